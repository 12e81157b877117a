"""Crash safety: a run killed with SIGKILL at many points leaves a sound database,
no half snapshot, and the next run reports each real change exactly once."""

from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from monitor.fixture_server import FixtureServer
from monitor.store import Store
from tests.support import CSL, CSL_AFTER, CSL_BEFORE, csl_settings, run_csl

ROOT = Path(__file__).resolve().parent.parent
PATH = "/csl/consolidated.csv"
EXPECTED_CHANGES = 13  # 11 added, 1 modified, 1 removed (see fixtures README)


def child(db: Path, url: str, kill_at: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.crash_child", str(db), url, str(kill_at)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_sigkill_at_random_points(tmp_path: Path, fixture_server: FixtureServer) -> None:
    url = fixture_server.url_for(PATH)
    template = tmp_path / "baseline.db"
    fixture_server.set_route(PATH, CSL_BEFORE.read_bytes())
    with Store.open(template) as store:
        run_csl(store, csl_settings(template, url))
        baseline = {k: r.content_hash for k, r in store.accepted_records(CSL).items()}
    fixture_server.set_route(PATH, CSL_AFTER.read_bytes())

    probe = tmp_path / "probe.db"
    shutil.copy(template, probe)
    done = child(probe, url, 0)
    assert done.returncode == 0, done.stderr
    total = int(done.stdout.split()[0])
    assert total > 20

    offsets = sorted(random.Random(2025_09_12).sample(range(1, total + 1), 20))
    killed = 0
    for offset in offsets:
        db = tmp_path / f"crash-{offset}.db"
        shutil.copy(template, db)
        result = child(db, url, offset)
        killed += result.returncode == -9
        assert integrity(db) == "ok"
        with Store.open(db) as store:
            current = {k: r.content_hash for k, r in store.accepted_records(CSL).items()}
            committed = len(store.changes())
            # All or nothing: either the baseline stands or the whole after-state does.
            assert committed in (0, EXPECTED_CHANGES), (offset, committed)
            assert (current == baseline) == (committed == 0), offset
            run_csl(store, csl_settings(db, url))
            changes = store.changes()
            assert len(changes) == EXPECTED_CHANGES, (offset, len(changes))
            assert len({(c.change.kind, c.change.key) for c in changes}) == EXPECTED_CHANGES
    assert killed >= 15, f"only {killed} of 20 runs were really killed"
