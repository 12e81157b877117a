"""The real-data suite's shared parts: where the real files are, and the fidelity report.

The real public files are read in place, never copied into the repository: from
``$ECMON_REALDATA`` when set, else from ``<repo>/../shared/realdata`` (the folder next to
the checkout; for a git worktree, also next to its main checkout). The variable is read
when this module is imported, because the suite's autouse fixture removes every
``ECMON_*`` variable before each test runs.

Where the folder is absent (a clean clone with no ``../shared``), every test here is
skipped with a message naming the folder, and ``docs/fidelity.md`` is left as committed.
``docs/fidelity.md`` is (re)written only at the end of a session that collected every test
module of this folder, deselected none of its tests and ran them all, with the data present.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.realdata import report

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TRUTH = HERE / "truth"


def _main_checkout(repo: Path) -> Path:
    """The main checkout of a git worktree (its ``.git`` file names the common git dir)."""
    marker = repo / ".git"
    if marker.is_file():
        text = marker.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir:"):
            gitdir = Path(text.removeprefix("gitdir:").strip())
            if gitdir.parent.name == "worktrees":
                return gitdir.parent.parent.parent
    return repo


def _realdata() -> Path:
    """``$ECMON_REALDATA``, else ``../shared/realdata`` next to this checkout, else next to
    the main checkout when this is a git worktree."""
    given = os.environ.get("ECMON_REALDATA")
    if given:
        return Path(given).resolve()
    for checkout in (REPO, _main_checkout(REPO)):
        candidate = checkout.parent / "shared" / "realdata"
        if candidate.is_dir():
            return candidate.resolve()
    return (REPO.parent / "shared" / "realdata").resolve()


REALDATA = _realdata()

_mine: set[str] = set()
_deselected: list[str] = []
_ran: set[str] = set()
_failed: set[str] = set()


def realdata_file(relative: str) -> Path:
    """A real file by its path inside the real-data folder; skips when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(
            f"real-data folder {REALDATA} is absent (set ECMON_REALDATA or put shared/realdata "
            "next to the checkout)"
        )
    path = REALDATA / relative
    if not path.is_file():
        pytest.fail(f"real-data folder {REALDATA} has no {relative}")
    return path


def truth(name: str) -> dict[str, Any]:
    """A truth file of ``truth/`` (TOML), read as written."""
    with (TRUTH / name).open("rb") as handle:
        return tomllib.load(handle)


def _is_mine(item: pytest.Item) -> bool:
    return Path(str(item.path)).resolve().is_relative_to(HERE)


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
    if not REALDATA.is_dir() or not _complete():
        return
    text = report.render(report.FILE_ROWS, report.SECTOR_ROWS, _failed)
    target = report.REPORT
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
