"""Every registered source has fixtures, parses them through the real pipeline
(served from 127.0.0.1) and stays within its count bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.models import RunOutcome
from monitor.sources import REGISTRY
from monitor.store import Store
from monitor.testing.demo import REQUIRED_STAGES, STAGES, demo_settings
from monitor.testing.fixture_server import FixtureServer
from tests.support import FIXTURES, run_source


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_source_has_documented_fixture_mirrors(name: str) -> None:
    folder = FIXTURES / name
    assert (folder / "README.md").is_file(), f"{name}: fixtures README missing"
    for stage in REQUIRED_STAGES:
        assert (folder / stage).is_dir(), f"{name}: fixtures/{name}/{stage}/ missing"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_source_parses_its_fixtures_within_bounds(name: str, tmp_path: Path) -> None:
    info = REGISTRY[name].info
    db = tmp_path / "registry.db"
    expected = {"before": {RunOutcome.BASELINE}, "after": {RunOutcome.CHANGED}}
    expected["later"] = {RunOutcome.CHANGED}
    stages = [s.name for s in STAGES if (FIXTURES / name / s.name).is_dir()]
    # A baseline, then at least one later stage (a source sits out a stage it has no
    # news for in that stage's dates, as the eCFR does 8-13 September).
    assert stages[: len(REQUIRED_STAGES)] == list(REQUIRED_STAGES) and len(stages) >= 2
    with FixtureServer(root=FIXTURES) as server, Store.open(db) as store:
        for stage in stages:
            summary = run_source(store, demo_settings(db, server, stage), name)
            assert summary.outcome in expected[stage], summary
            assert summary.record_count is not None
            assert 1 <= summary.record_count <= info.max_records
