"""Crash safety, every source: a run killed with SIGKILL at random SQL statements leaves a
sound database (``PRAGMA integrity_check``), either the whole baseline or the whole new
snapshot (never half of one), and the next run reports each real change exactly once."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.reliability import report
from tests.reliability.harness import (
    Baselines,
    Sleeps,
    accepted_state,
    change_id,
    run_once,
    settings_for,
)
from tests.reliability.scenarios import SOURCES, stage_of

ROOT = Path(__file__).resolve().parents[2]
KILLS_PER_SOURCE = 6  # 24 kills over the four sources


def child(db: Path, url: str, source: str, kill_at: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.reliability.crash_child", str(db), url, source, str(kill_at)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory, mirror: FixtureServer) -> Baselines:
    return Baselines(tmp_path_factory.mktemp("crash-baselines"), mirror)


@pytest.mark.parametrize("source", SOURCES)
def test_sigkill_at_random_points(
    source: str, baselines: Baselines, mirror: FixtureServer, tmp_path: Path
) -> None:
    mirror.clear()
    base = baselines.get(source)
    expected = sum(base.reference.values())
    row = report.record(
        report.Row(
            "crash",
            source,
            f"SIGKILL during the {stage_of(source)} run",
            f"SIGKILL at {KILLS_PER_SOURCE} random SQL statements (fixed seed)",
            "integrity_check ok; all of the baseline or all of the new snapshot; "
            f"the next run reports the {expected} real changes exactly once",
            "-",
        )
    )
    probe = baselines.copy(source, tmp_path / "probe.db")
    done = child(probe, mirror.url, source, 0)
    assert done.returncode == 0, done.stderr
    total = int(done.stdout.split()[0])
    assert total > KILLS_PER_SOURCE

    offsets = sorted(
        random.Random(f"2025-09-12/{source}").sample(range(1, total + 1), KILLS_PER_SOURCE)
    )
    killed = intact = whole = exact = 0
    for offset in offsets:
        db = baselines.copy(source, tmp_path / f"crash-{offset}.db")
        result = child(db, mirror.url, source, offset)
        killed += result.returncode == -9
        intact += integrity(db) == "ok"
        with Store.open(db) as store:
            state = accepted_state(store, source)
            committed = Counter(change_id(c) for c in store.changes())
            # All or nothing: the baseline and no change, or the new snapshot and every change.
            whole += (state, committed) in ((base.before, Counter()), (base.after, base.reference))
            run_once(store, settings_for(db, mirror, source), source, Sleeps())
            exact += Counter(change_id(c) for c in store.changes()) == base.reference
    row.observed = (
        f"{total} statements per run; killed at {', '.join(map(str, offsets))}: "
        f"{killed}/{len(offsets)} killed, integrity ok {intact}/{len(offsets)}, whole state "
        f"{whole}/{len(offsets)}, next run exact {exact}/{len(offsets)}"
    )
    row.false_changes = len(offsets) - exact
    assert killed == len(offsets)
    assert intact == whole == exact == len(offsets)
    row.passed = True


def test_failed_runs_keep_raw_bytes_within_raw_keep(tmp_path: Path) -> None:
    """15 failed runs of 2 MB each with raw_keep = 3: only the newest 3 keep their bytes
    (all 15 were kept: 30 MB)."""
    from datetime import UTC, datetime

    from monitor.errors import ParseError
    from monitor.pipeline import run_info

    row = report.record(
        report.Row(
            "crash",
            "",
            "raw bytes of failed runs under raw_keep",
            "15 failed runs of one source, 2 MB of distinct raw bytes each, raw_keep = 3",
            "the bytes of the newest 3 kept, the older 12 released (hash and size stay)",
            "-",
        )
    )
    size = 2_000_000
    now = datetime.now(UTC)
    with Store.open(tmp_path / "ecmon.db", keep_raw=3) as store:
        for n in range(15):
            info = run_info("us_csl_entity_list", "http://127.0.0.1:9/x.csv", now, now)
            store.record_failure(info, ParseError(f"bad {n}"), os.urandom(size))
        [(kept,)] = store.db.conn.execute(
            "SELECT count(*) FROM blobs WHERE length(data) > 0"
        ).fetchall()
        [(total,)] = store.db.conn.execute("SELECT count(*) FROM blobs").fetchall()
    row.observed = f"{kept} of {total} failed runs' blobs keep their bytes"
    assert (kept, total) == (3, 15)
    row.passed = True
