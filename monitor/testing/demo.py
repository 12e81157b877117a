"""``ecmon demo``: the whole pipeline on bundled fixtures, offline.

The fixtures (real-format excerpts, see ``fixtures/*/README.md``) are served
from a local HTTP server on 127.0.0.1, so the real HTTP stack runs. The
"before" snapshot becomes the baseline, the "after" snapshot is diffed against
it, and the changes of the "after" run are returned for printing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from monitor.config import HttpSettings, Settings, SourceSettings
from monitor.http import HttpClient
from monitor.locks import Progress
from monitor.models import RunSummary
from monitor.pipeline import RunContext, run_sources
from monitor.resources import bundled_dir
from monitor.sources import REGISTRY
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer

FIXTURES_DIR = bundled_dir("fixtures")
STAGES = ("before", "after")
DEMO_MAX_SHRINK = 0.25


@dataclass(frozen=True)
class DemoResult:
    stages: dict[str, list[RunSummary]]
    first_after_run: int


def demo_sources() -> list[str]:
    """Sources that ship a fixture mirror for every stage."""
    return [name for name in REGISTRY if all((FIXTURES_DIR / name / st).is_dir() for st in STAGES)]


class MirrorRoot(Protocol):
    """Where fixture mirrors are served: a FixtureServer, or only its URL (tests)."""

    def url_for(self, path: str) -> str: ...


def demo_settings(database: Path, server: MirrorRoot, stage: str) -> Settings:
    """Settings pointing every demo source at its fixture mirror for ``stage``.

    The fixtures are excerpts of a few rows, so the count gate's lower bound is 1
    and the shrink cap 25% here (one removal out of five EL rows is 20%).
    """
    sources: dict[str, SourceSettings] = {}
    for name in demo_sources():
        source = REGISTRY[name]
        mirror = source.rebase(source.info.default_settings(), server.url_for(f"{name}/{stage}"))
        sources[name] = replace(mirror, min_records=1)
    return Settings(
        config_path=None,
        database=database,
        max_shrink=DEMO_MAX_SHRINK,
        http=HttpSettings(retries=1, backoff=0.1),
        sources=MappingProxyType(sources),
        origins=MappingProxyType({}),
    )


@contextmanager
def serving_fixtures() -> Iterator[FixtureServer]:
    server = FixtureServer(root=FIXTURES_DIR)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_demo(store: Store, database: Path, progress: Progress) -> DemoResult:
    """Run the before and after stages into ``store``; report each stage's summaries."""
    stages: dict[str, list[RunSummary]] = {}
    first_after = 0
    with serving_fixtures() as server:
        for stage in STAGES:
            settings = demo_settings(database, server, stage)
            with HttpClient(settings.http) as client:
                ctx = RunContext(settings=settings, store=store, client=client, progress=progress)
                stages[stage] = run_sources(ctx, list(settings.sources))
            if stage == "before":
                first_after = max((s.run_id or 0 for s in stages[stage]), default=0)
    return DemoResult(stages=stages, first_after_run=first_after)
