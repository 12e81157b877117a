"""A failure the database cannot record (issue 16, defect 8, second half).

On a full disk a run's failure cannot be written to ``runs``/``source_state``, and
``status`` went on showing the last good run, exit 0. The write failure is simulated at
the store (every transaction fails as SQLite does on a full disk: ``database or disk is
full``), not by filling a disk. The run must exit non-zero; ``status`` must name the
source as broken (exit 8) from the note beside the database; the next run that the
database records clears it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli.main import main
from monitor.store.db import Db
from monitor.store.unrecorded import path_for
from monitor.testing.fixture_server import Fault, FixtureServer
from tests.reliability import report
from tests.support import CSL, CSL_AFTER, CSL_BEFORE, write_config

PATH = "/consolidated.csv"
_REAL = Db.transaction


@contextmanager
def _disk_full(self: Db, scope: str) -> Iterator[sqlite3.Cursor]:
    """Db.transaction as on a full disk: the real BEGIN ... ROLLBACK, and the write fails."""
    with _REAL(self, scope) as cur:
        raise sqlite3.OperationalError("database or disk is full")
        yield cur  # pragma: no cover - never reached


@pytest.mark.parametrize(
    ("case", "fault"),
    [("a fetch failure", Fault.http_status(500)), ("a run with changes", None)],
)
def test_an_unrecorded_failure_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, fault: Fault | None
) -> None:
    row = report.record(
        report.Row(
            "disk",
            CSL,
            f"database full during {case}",
            "every write fails with SQLite's 'database or disk is full' (injected at the store)",
            "run exits non-zero; status exits 8 naming the source; cleared by the next good run",
            "-",
        )
    )
    db = tmp_path / "ecmon.db"
    runner = CliRunner()
    with FixtureServer() as server:
        config = write_config(tmp_path / "ecmon.toml", db, server.url_for(PATH))

        def ecmon(*args: str) -> tuple[int, str]:
            result = runner.invoke(main, ["--config", str(config), *args])
            return result.exit_code, result.output

        server.set_route(PATH, CSL_BEFORE.read_bytes())
        assert ecmon("run")[0] == 0
        assert ecmon("status")[0] == 0
        server.set_route(PATH, CSL_AFTER.read_bytes())
        if fault is not None:
            server.set_faults(PATH, [fault, fault])
        monkeypatch.setattr(Db, "transaction", _disk_full)
        run_code, run_out = ecmon("run")
        monkeypatch.setattr(Db, "transaction", _REAL)
        status_code, status_out = ecmon("status")
        noted = path_for(db).read_text(encoding="utf-8").strip()
        server.set_faults(PATH, [])
        good_code, _ = ecmon("run")
        after_code, after_out = ecmon("status")
    row.observed = (
        f"run exit {run_code}; status exit {status_code}; after a good run: status exit"
        f" {after_code}"
    )
    assert run_code == 5, run_out
    assert "not recorded" in run_out
    assert status_code == 8, status_out
    assert "could not be recorded" in status_out and "disk is full" in status_out
    assert CSL in noted
    assert good_code == 0 and after_code == 0, after_out
    assert "could not be recorded" not in after_out
    row.passed = True


def test_the_note_file_is_made_while_there_is_room(tmp_path: Path) -> None:
    """A writable open makes the note file at full size, so a later note overwrites blocks
    the file owns instead of needing new ones."""
    from monitor.store import Store
    from monitor.store.unrecorded import SIZE

    db = tmp_path / "ecmon.db"
    with Store.open(db):
        pass
    assert path_for(db).stat().st_size == SIZE
