"""A database made by the previous release (commit 40ed1c6, recipe beside the fixture)
upgrades in place: every run, record, change and queued message is kept, and the next
run of the demo's sources against the same publications reports nothing new."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest

from monitor.http import HttpClient
from monitor.models import RunOutcome
from monitor.pipeline import RunContext, run_sources
from monitor.store import Store
from monitor.store.schema import MIGRATIONS
from monitor.testing.demo import demo_settings, demo_sources, serving_fixtures

RELEASE = Path(__file__).resolve().parent / "fixtures" / "release_40ed1c6.db.gz"
KEPT = ("runs", "snapshots", "records", "record_versions", "changes", "digests", "outbox")


def counts(path: Path, tables: tuple[str, ...]) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}


@pytest.fixture
def release_db(tmp_path: Path) -> Path:
    path = tmp_path / "release.db"
    path.write_bytes(gzip.decompress(RELEASE.read_bytes()))
    return path


def test_the_release_database_upgrades_and_keeps_everything(release_db: Path) -> None:
    before = counts(release_db, (*KEPT, "alert_messages"))
    with sqlite3.connect(release_db) as conn:
        queued = conn.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()[0]
    assert before["records"] > 0 and before["changes"] > 0 and queued == 1
    with Store.open(release_db) as store:
        assert store.schema_version() == len(MIGRATIONS)
    after = counts(release_db, KEPT)
    assert {t: after[t] for t in KEPT} == {t: before[t] for t in KEPT}
    # The queued alert mail survives, in whichever table this release keeps it.
    with sqlite3.connect(release_db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        alerts = (
            conn.execute("SELECT count(*) FROM alert_messages WHERE status != 'sent'").fetchone()[0]
            if "alert_messages" in tables
            else conn.execute(
                "SELECT count(*) FROM outbox WHERE status != 'sent' AND digest_id IS NULL"
            ).fetchone()[0]
        )
        assert alerts == before["alert_messages"] == 1
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_next_run_after_the_upgrade_reports_nothing_new(release_db: Path) -> None:
    with serving_fixtures() as server, Store.open(release_db) as store:
        settings = demo_settings(release_db, server, "after")
        with HttpClient(settings.http, sleep=lambda _s: None) as client:
            summaries = run_sources(RunContext(settings, store, client), demo_sources())
    report = {s.source: (s.outcome.value, s.added, s.removed, s.modified) for s in summaries}
    assert all(s.outcome in (RunOutcome.UNCHANGED, RunOutcome.NOT_MODIFIED) for s in summaries), (
        report
    )
