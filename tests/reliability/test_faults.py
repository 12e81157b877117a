"""Fault injection, every source, every scenario of ``scenarios.py``: no false change, the last
accepted state intact after a failure, and each real change reported exactly once once the
source is healthy again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from monitor.models import RunOutcome
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.reliability import report
from tests.reliability.harness import (
    Baselines,
    ChangeId,
    Sleeps,
    accepted_state,
    change_id,
    free_port,
    run_once,
    scrub,
    settings_for,
)
from tests.reliability.scenarios import SCENARIOS, Scenario, stage_of

RECOVERED = {RunOutcome.CHANGED, RunOutcome.UNCHANGED, RunOutcome.NOT_MODIFIED}


@pytest.fixture(scope="session")
def baselines(tmp_path_factory: pytest.TempPathFactory, mirror: FixtureServer) -> Baselines:
    return Baselines(tmp_path_factory.mktemp("baselines"), mirror)


@pytest.fixture
def server(mirror: FixtureServer) -> Iterator[FixtureServer]:
    mirror.clear()
    yield mirror
    mirror.clear()


def _keys(ids: Counter[ChangeId], same_content: bool) -> Counter[tuple[str, ...]]:
    return Counter({(k[:3] if same_content else k[:2]): n for k, n in ids.items()})


def _hits(server: FixtureServer, path: str) -> int:
    return sum(1 for r in server.requests if unquote(urlsplit(r.path).path) == path)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_fault_scenario(
    scenario: Scenario, baselines: Baselines, server: FixtureServer, tmp_path: Path
) -> None:
    source = scenario.source
    row = report.record(
        report.Row("faults", source, scenario.name, scenario.injected, scenario.expected, "-")
    )
    reference = _keys(baselines.get(source).reference, scenario.same_content)
    db = baselines.copy(source, tmp_path / "ecmon.db")
    prefix = f"/{source}/{stage_of(source)}/"
    for path, faults in scenario.faults:
        server.set_faults(prefix + path, faults)
    for route in scenario.routes:
        server.set_route(prefix + route.path, route.body(), content_type=route.content_type)
    base = f"http://127.0.0.1:{free_port()}" if scenario.refused else None

    with Store.open(db) as store:
        accepted = accepted_state(store, source)
        known = {c.id for c in store.changes()}
        sleeps = Sleeps()
        settings = settings_for(db, server, source, http=scenario.http, base=base)
        summary = run_once(store, settings, source, sleeps)
        hits = {path: _hits(server, prefix + path) for path, _ in scenario.faults}
        routed = {r.path: _hits(server, prefix + r.path) for r in scenario.routes}
        fault_run = Counter(change_id(c) for c in store.changes() if c.id not in known)
        intact = accepted_state(store, source) == accepted
        flag_key, flag = scenario.review_flag
        flags = store.accepted_records(source)[flag_key].get_tuple("review") if flag_key else ()

        server.clear()  # the source is healthy again
        follow = run_once(store, settings_for(db, server, source), source, Sleeps())
        cumulative = Counter(change_id(c) for c in store.changes() if c.id not in known)

    failing = scenario.expect != "recovered"
    found = _keys(fault_run, scenario.same_content)
    row.false_changes = sum(found.values()) if failing else sum((found - reference).values())
    total = _keys(cumulative, scenario.same_content)
    completed = Counter(k for k in total if k[0] == "modified" and k[1] in scenario.completes)
    total -= completed
    # The retry happens on the run that re-reads the list (a 304 list leaves it for later).
    assert len(completed) <= len(scenario.completes), (completed, scenario.completes)
    row.missed_or_doubled = sum((total - reference).values()) + sum((reference - total).values())
    row.state_intact = intact if failing else None
    kind = f" {summary.error_kind}" if summary.error_kind else ""
    row.observed = (
        f"{summary.outcome.value}{kind}: {scrub(summary.message)}"
        + (f"; backoff {', '.join(f'{s:g}' for s in sleeps)} s" if scenario.slept else "")
        + f" → clean re-run: {follow.outcome.value}"
    )

    expected = {
        "recovered": RECOVERED,
        "failed": {RunOutcome.FAILED},
        "suspect": {RunOutcome.SUSPECT},
    }[scenario.expect]
    assert summary.outcome in expected, summary
    if scenario.expect == "failed":
        assert summary.error_kind == scenario.error, summary
    assert scenario.message in summary.message, summary
    for path, faults in scenario.faults:
        assert hits[path] >= len(faults), f"{path} was requested {hits[path]} times"
    assert all(routed.values()), f"a route was never requested: {routed}"
    if scenario.slept is not None:
        assert scenario.slept in sleeps, sleeps
    if flag:
        assert any(flag in f for f in flags), flags
    assert row.false_changes == 0, fault_run
    assert not failing or intact
    assert follow.outcome in RECOVERED, follow
    assert row.missed_or_doubled == 0, (cumulative, reference)
    row.passed = True
