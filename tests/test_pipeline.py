"""One source run gathers what the store remembers of the source once and hashes the fetched
bytes once, then passes both down (issue 11: the state was read 4 times and the bytes hashed
twice per run)."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from monitor import pipeline
from monitor.models import RunOutcome
from monitor.store import SourceState, Store
from monitor.testing.fixture_server import FixtureServer
from tests.support import CSL_AFTER, CSL_BEFORE, csl_settings, run_source

PATH = "/csl/consolidated.csv"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts of the store's state reads and of the pipeline's hashing."""
    counted: Counter[str] = Counter()
    read_state, read_raw = Store.source_state, Store.accepted_raw_sha256

    def source_state(self: Store, source: str) -> SourceState | None:
        counted["source_state"] += 1
        return read_state(self, source)

    def accepted_raw_sha256(self: Store, source: str) -> str | None:
        counted["accepted_raw_sha256"] += 1
        return read_raw(self, source)

    def sha256(data: bytes = b"") -> object:
        counted["sha256"] += 1
        return hashlib.sha256(data)

    monkeypatch.setattr(Store, "source_state", source_state)
    monkeypatch.setattr(Store, "accepted_raw_sha256", accepted_raw_sha256)
    monkeypatch.setattr(pipeline, "hashlib", SimpleNamespace(sha256=sha256))
    return counted


def test_each_run_reads_the_source_state_once_and_hashes_its_bytes_once(
    tmp_path: Path, fixture_server: FixtureServer, calls: Counter[str]
) -> None:
    db = tmp_path / "ecmon.db"
    settings = csl_settings(db, fixture_server.url_for(PATH))
    after = CSL_AFTER.read_bytes()
    stages = [
        (CSL_BEFORE.read_bytes(), RunOutcome.BASELINE, 1),
        (after, RunOutcome.CHANGED, 1),
        (after + b"\r\n", RunOutcome.UNCHANGED, 1),  # new bytes, the same records
        (after + b"\r\n", RunOutcome.NOT_MODIFIED, 0),  # a 304: nothing to hash
    ]
    with Store.open(db) as store:
        for body, outcome, hashed in stages:
            fixture_server.set_route(PATH, body)
            calls.clear()
            summary = run_source(store, settings)
            assert summary.outcome is outcome, summary
            # Before issue 11: source_state 4 times (3 via accepted_raw_sha256), bytes hashed twice.
            assert calls == Counter(source_state=1, sha256=hashed), (outcome, calls)
