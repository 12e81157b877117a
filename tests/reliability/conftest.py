"""The reliability suite's shared parts: one fixture mirror for the session, and the report.

``docs/reliability.md`` is (re)written at the end of a session that collected every test
module of this folder, deselected none of its tests and ran them all; a partial run (one
file, ``-k``, ``-x`` stopping early) leaves the committed report alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.testing.demo import FIXTURES_DIR
from monitor.testing.fixture_server import FixtureServer
from tests.reliability import report

HERE = Path(__file__).resolve().parent
_mine: set[str] = set()
_deselected: list[str] = []
_ran: set[str] = set()
_failed: set[str] = set()


def _is_mine(item: pytest.Item) -> bool:
    return Path(str(item.path)).resolve().is_relative_to(HERE)


@pytest.fixture(scope="session")
def mirror() -> Iterator[FixtureServer]:
    """The bundled fixtures served on 127.0.0.1; tests add routes and faults, then clear()."""
    with FixtureServer(root=FIXTURES_DIR) as server:
        yield server


def pytest_deselected(items: list[pytest.Item]) -> None:
    _deselected.extend(item.nodeid for item in items if _is_mine(item))


def pytest_collection_finish(session: pytest.Session) -> None:
    _mine.update(item.nodeid for item in session.items if _is_mine(item))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid not in _mine:
        return
    if report.when == "call" or report.skipped:
        _ran.add(report.nodeid)
    if report.failed:
        _failed.add(report.nodeid)


def _complete() -> bool:
    files = {p.name for p in HERE.glob("test_*.py")}
    collected = {nodeid.split("::", 1)[0].rsplit("/", 1)[-1] for nodeid in _mine}
    return bool(_mine) and files <= collected and not _deselected and _mine <= _ran


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _complete():
        return
    text = report.render(report.ROWS, _failed)
    target = report.REPORT
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
