"""A database made by the previous release (commit 40ed1c6, recipe beside the fixture)
upgrades in place: every run, record, change and queued message is kept, and the next
run of the demo's sources against the same publications reports nothing new."""

from __future__ import annotations

import gzip
import sqlite3
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from monitor.http import HttpClient
from monitor.models import RunOutcome
from monitor.pipeline import RunContext, run_sources
from monitor.store import Store
from monitor.store.schema import MIGRATIONS
from monitor.testing.demo import demo_settings, demo_sources, serving_fixtures

MFA = "cn_mfa_countermeasures"  # a source the release did not have
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


MESSAGE = (
    "recipient, status, attempts, next_attempt_at, last_error, message_id, sender, subject,"
    " text_body, html_body, created_at, sent_at"
)


def queued(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(f"SELECT {MESSAGE} FROM {table} ORDER BY id").fetchall()


def test_the_release_database_upgrades_and_keeps_everything(release_db: Path) -> None:
    before = counts(release_db, (*KEPT, "alert_messages"))
    digest_rows, alert_rows = queued(release_db, "outbox"), queued(release_db, "alert_messages")
    with sqlite3.connect(release_db) as conn:
        alert_keys = conn.execute("SELECT kind, event_key, source FROM alert_messages").fetchall()
        digest_ids = conn.execute("SELECT id, digest_id FROM outbox").fetchall()
    assert before["records"] > 0 and before["changes"] > 0
    assert [r[1] for r in digest_rows] == ["pending"] and [r[1] for r in alert_rows] == ["pending"]
    with Store.open(release_db) as store:
        assert store.schema_version() == len(MIGRATIONS)
    after = counts(release_db, tuple(t for t in KEPT if t != "outbox"))
    assert after == {t: before[t] for t in KEPT if t != "outbox"}
    # One outbox: the queued digest message and the queued alert mail, both still pending,
    # every stored field as it was (attempts, backoff, error, Message-ID, bodies).
    assert queued(release_db, "outbox") == digest_rows + alert_rows
    with sqlite3.connect(release_db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "alert_messages" not in tables
        rows = conn.execute(
            "SELECT id, digest_id, kind, event_key, source, channel FROM outbox ORDER BY id"
        ).fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    [(digest_row, digest_id)] = digest_ids
    [(kind, event_key, source)] = alert_keys
    assert rows[0] == (digest_row, digest_id, "digest", None, None, "email")
    assert rows[1][1:] == (None, kind, event_key, source, "email")
    assert rows[1][0] > digest_row


def test_queued_alert_mails_are_sent_after_the_upgrade_through_the_one_outbox(
    release_db: Path,
) -> None:
    from datetime import timedelta

    from monitor.notify.base import OutgoingMessage
    from monitor.notify.outbox import deliver
    from monitor.store import alerts as store_alerts

    sent: list[OutgoingMessage] = []

    class Inbox:
        def send(self, message: OutgoingMessage) -> None:
            sent.append(message)

    [alert] = queued(release_db, "alert_messages")
    with Store.open(release_db) as store:
        [row] = store_alerts.messages(store)
        assert (row.kind, row.status, row.attempts) == ("broken", "pending", 1)
        later = datetime.fromisoformat(row.next_attempt_at) + timedelta(seconds=1)
        attempts = deliver(store, lambda _name: Inbox(), now=later)
        assert sorted(a.delivery.kind for a in attempts if a.sent) == ["broken", "digest"]
        assert deliver(store, lambda _name: Inbox(), now=later, retry_now=True) == []
        [row] = store_alerts.messages(store)
        assert (row.status, row.attempts) == ("sent", 2)
    mails = {m.message_id: m for m in sent}
    assert len(sent) == 2 and alert[5] in mails  # each once; the alert with its Message-ID
    assert mails[str(alert[5])].subject == alert[7] and mails[str(alert[5])].text == alert[8]


def test_the_next_run_after_the_upgrade_reports_nothing_new(release_db: Path) -> None:
    with serving_fixtures() as server, Store.open(release_db) as store:
        # That release served every source's news in one "after" stage; the stages now follow
        # real dates, and what it held of the eCFR (the 2025-09-16 table) and of the Federal
        # Register (all 8 rules) is in later/: each source runs on the folder that holds what
        # the release stored.
        after, later = (demo_settings(release_db, server, s) for s in ("after", "later"))
        moved = ("us_ecfr_entity_list", "us_federal_register")
        own = {n: (later if n in moved else after).source(n) for n in demo_sources()}
        settings = replace(after, sources=MappingProxyType(own))
        with HttpClient(settings.http, sleep=lambda _s: None) as client:
            summaries = run_sources(RunContext(settings, store, client), demo_sources())
        run_ids = {s.run_id for s in summaries}
        added = [c.change for c in store.changes() if c.provenance.run_id in run_ids]
    report = {s.source: (s.outcome.value, s.added, s.removed, s.modified) for s in summaries}
    # Since that release the MOFCOM fixtures gained UEL〔2025〕5号 and 6号 (2025-03-04, issue
    # 13): those are all that is new. The MFA source is new since that release: it takes its
    # baseline (reported as no change). The Federal Register's list answers as stored (304) and
    # its desk holds no BIS rule in later/.
    newer = ("cn:不可靠实体清单工作机制公告〔2025〕5号", "cn:不可靠实体清单工作机制公告〔2025〕6号")
    assert all(
        s.outcome in (RunOutcome.UNCHANGED, RunOutcome.NOT_MODIFIED)
        for s in summaries
        if s.source not in ("cn_mofcom_announcements", MFA)
    ), report
    assert report[MFA][0] == RunOutcome.BASELINE.value, report
    assert added and all(c.kind == "added" for c in added), report
    assert all(
        c.key in newer or (c.after is not None and c.after.get_text("listed_by") in newer)
        for c in added
    ), [c.key for c in added]


def test_records_are_packed_in_place_and_read_back_as_the_same_json(release_db: Path) -> None:
    """Migration 12: every record and version keeps its JSON byte for byte (packed in
    ``record_z``); the indexes no query uses are gone, the lookup by key still has one."""
    from monitor.store.codec import unpack_json

    def texts(conn: sqlite3.Connection, column: str) -> dict[tuple[str, int], object]:
        found: dict[tuple[str, int], object] = {}
        for table in ("records", "record_versions"):
            for id_, value in conn.execute(f"SELECT id, {column} FROM {table}"):
                found[(table, id_)] = value
        return found

    with sqlite3.connect(release_db) as conn:
        before = texts(conn, "record_json")
        current = conn.execute("SELECT id FROM record_versions WHERE to_run IS NULL").fetchall()
    for (id_,) in current:  # a current version's JSON is the records row's (migration 10)
        before[("record_versions", id_)] = None
    assert any(v is not None for (t, _), v in before.items() if t == "record_versions")
    with Store.open(release_db) as store:
        assert store.accepted_records("us_csl_entity_list")
    with sqlite3.connect(release_db) as conn:
        after = texts(conn, "record_z")
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        plan = " ".join(
            str(r[-1])
            for r in conn.execute(
                "EXPLAIN QUERY PLAN SELECT id FROM record_versions WHERE key = ?", ("x",)
            )
        )
    assert all(v is None or isinstance(v, bytes) for v in after.values())
    unpacked = {k: unpack_json(v) if isinstance(v, bytes) else v for k, v in after.items()}
    assert unpacked == before
    assert not {"idx_records_name_folded", "idx_record_versions_name_folded"} & indexes
    assert "INDEX idx_record_versions_key (key=?)" in plan
