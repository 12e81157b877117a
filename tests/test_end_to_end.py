"""The whole pipeline against a real HTTP server on 127.0.0.1, with good and bad files.

After a good snapshot, broken publications (truncated, empty, an HTML error page,
a renamed column, 30% of rows missing) must record no removals, leave the
accepted state intact, be named by `ecmon status`, and `ecmon diff` must still
show the last good changes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monitor.models import RunOutcome
from monitor.store import Store
from monitor.testing.fixture_server import Fault, FixtureServer
from tests.support import (
    CSL,
    CSL_AFTER,
    CSL_BEFORE,
    csl_settings,
    invoke_config,
    run_source,
    write_config,
)

PATH = "/csl/consolidated.csv"


@pytest.fixture
def primed(tmp_path: Path, fixture_server: FixtureServer) -> Iterator[tuple[Store, Path, str]]:
    """A store holding the before baseline and the after changes."""
    db = tmp_path / "ecmon.db"
    url = fixture_server.url_for(PATH)
    store = Store.open(db)
    for fixture, outcome in ((CSL_BEFORE, RunOutcome.BASELINE), (CSL_AFTER, RunOutcome.CHANGED)):
        fixture_server.set_route(PATH, fixture.read_bytes())
        assert run_source(store, csl_settings(db, url)).outcome == outcome
    yield store, db, url
    store.close()


def test_good_snapshots_give_baseline_then_changes(primed: tuple[Store, Path, str]) -> None:
    store, _, _ = primed
    kinds = sorted(c.change.kind for c in store.changes())
    assert kinds.count("added") == 11
    assert kinds.count("removed") == 1
    # CETC 13 holds both its citations in both files (87 FR 77505 dates from December 2022),
    # and the BIS site migration in the URL columns is not a change.
    assert kinds.count("modified") == 0
    assert all(c.provenance.url.endswith(PATH) for c in store.changes())


def test_unchanged_file_is_not_modified_then_identical(
    primed: tuple[Store, Path, str], fixture_server: FixtureServer
) -> None:
    store, db, url = primed
    # Same bytes again: the server answers 304 to our If-None-Match.
    summary = run_source(store, csl_settings(db, url))
    assert summary.outcome == RunOutcome.NOT_MODIFIED
    assert fixture_server.requests[-1].headers.get("if-none-match")
    # Same bytes without validators support (a new route object, same content, no 304).
    fixture_server.set_route(PATH, CSL_AFTER.read_bytes(), headers={"ETag": '"other"'})
    assert run_source(store, csl_settings(db, url)).outcome == RunOutcome.UNCHANGED


def truncated_mid_row(data: bytes) -> bytes:
    cut = data.index(b"Sino IC Technology")
    return data[: cut + 5]


def renamed_column(data: bytes) -> bytes:
    return data.replace(b"federal_register_notice", b"fr_notice", 1)


def missing_30_percent(data: bytes) -> bytes:
    lines = data.decode("utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    el_rows = [i for i, row in enumerate(rows) if "Entity List (EL)" in row]
    drop = set(el_rows[: math.ceil(len(el_rows) * 0.3)])
    return (header + "".join(r for i, r in enumerate(rows) if i not in drop)).encode("utf-8")


HTML_PAGE = b"<!DOCTYPE html><html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"

BAD_FILES: dict[str, tuple[Callable[[bytes], bytes], RunOutcome, str]] = {
    "truncated": (truncated_mid_row, RunOutcome.FAILED, "line"),
    "empty": (lambda _d: b"", RunOutcome.FAILED, "empty"),
    "html_error_page": (lambda _d: HTML_PAGE, RunOutcome.FAILED, "HTML"),
    "renamed_column": (renamed_column, RunOutcome.FAILED, "federal_register_notice"),
    "missing_30_percent": (missing_30_percent, RunOutcome.SUSPECT, "would remove"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_publication_changes_nothing(
    case: str, primed: tuple[Store, Path, str], fixture_server: FixtureServer, tmp_path: Path
) -> None:
    store, db, url = primed
    make, outcome, problem = BAD_FILES[case]
    accepted_before = store.accepted_records(CSL)
    changes_before = store.changes()
    fixture_server.set_route(PATH, make(CSL_AFTER.read_bytes()))

    summary = run_source(store, csl_settings(db, url))

    assert summary.outcome == outcome, summary
    assert problem in summary.message
    assert store.accepted_records(CSL) == accepted_before
    assert [c.id for c in store.changes()] == [c.id for c in changes_before]
    config = write_config(tmp_path / "c.toml", db, url)
    status = invoke_config(config, "status")
    assert status.exit_code == 0, status.output
    assert problem in status.output
    assert ("held as suspect" if outcome == RunOutcome.SUSPECT else "last error") in status.output
    # The list of recent problems names the reason too (a suspect run's is its snapshot's).
    assert f"{outcome.value}: " in status.output
    problems = status.output.split("Recent problems", 1)[1]
    assert problem in problems
    diff = invoke_config(config, "diff", "--format", "json")
    assert diff.exit_code == 0, diff.output
    document = json.loads(diff.output)
    assert document["summary"] == {"added": 11, "modified": 0, "removed": 1}


def test_http_level_truncation_and_errors_change_nothing(
    primed: tuple[Store, Path, str], fixture_server: FixtureServer
) -> None:
    store, db, url = primed
    accepted = store.accepted_records(CSL)
    for fault in (Fault.truncated(), Fault.http_status(500), Fault.close_connection()):
        fixture_server.set_faults(PATH, [fault, fault])
        summary = run_source(store, csl_settings(db, url))
        assert summary.outcome == RunOutcome.FAILED
        assert summary.error_kind == "FetchError"
        assert url in summary.message
    assert store.accepted_records(CSL) == accepted
    [status] = store.statuses([(CSL, True)])
    assert status.consecutive_failures == 3


def test_recovery_after_failures_reports_each_change_once(
    primed: tuple[Store, Path, str], fixture_server: FixtureServer
) -> None:
    store, db, url = primed
    fixture_server.set_route(PATH, b"")
    assert run_source(store, csl_settings(db, url)).outcome == RunOutcome.FAILED
    # Back to the before file: the removal and additions are reversed exactly once.
    fixture_server.set_route(PATH, CSL_BEFORE.read_bytes())
    summary = run_source(store, csl_settings(db, url, max_shrink=1.0))
    assert summary.outcome == RunOutcome.CHANGED
    assert (summary.added, summary.removed, summary.modified) == (1, 11, 0)
    [status] = store.statuses([(CSL, True)])
    assert status.consecutive_failures == 0
