"""``ecmon demo``: the whole pipeline on bundled fixtures, offline.

The fixtures (real-format excerpts, see ``fixtures/*/README.md``) are served
from a local HTTP server on 127.0.0.1, so the real HTTP stack runs. The stages are
arranged by the real dates of what they publish (``STAGES``): the "before" snapshot
becomes the baseline; "after" holds the week of 12 September 2025 (the BIS filing and
additions, MOFCOM's two investigations of 13 September); "later" what came after it (the
eCFR amended on 16 September, the Federal Register rules of 30 September and 12 November,
MOFCOM's 5 November answer). Each stage is diffed against the state the previous ones left.
A source without a folder for a stage sits it out (the eCFR has nothing dated 8-13
September). What a stage serves outside its dates is an arrangement, and ``arranged``
in ``monitor.cli.demo_timeline`` names it so the demo says so on screen; the shipped
fixtures have none (tests/cli/test_demo_timeline.py).
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
DEMO_MAX_SHRINK = 0.25


@dataclass(frozen=True)
class Stage:
    """One stage of the demo: a fixture folder and the real dates it stands for."""

    name: str  # the folder under each source's fixtures
    title: str
    start: str  # first real date it holds (ISO), "" for the baseline
    end: str  # last real date, "" when open

    def holds(self, day: str) -> bool:
        """Whether an act dated ``day`` belongs to this stage's dates."""
        return (not self.start or day >= self.start) and (not self.end or day <= self.end)

    @property
    def dates(self) -> str:
        if not self.start:
            return f"up to {self.end}"
        return f"{self.start} to {self.end}" if self.end else f"from {self.start}"


# In the order of real events (issue 13). The baseline ends before the week of the BIS
# filing (2025-09-12); the MFA decision of 2025-09-08 opens that week.
STAGES = (
    Stage(
        "before", "baseline, what was published before the September 2025 news", "", "2025-09-07"
    ),
    Stage(
        "after",
        "the BIS filing and additions (12 September), MOFCOM's two investigations (13 September)",
        "2025-09-08",
        "2025-09-13",
    ),
    Stage(
        "later",
        "the eCFR amendment (16 September), the later rules and answers",
        "2025-09-14",
        "",
    ),
)
# Every demo source has a baseline; it sits out a later stage it has no folder for.
REQUIRED_STAGES = ("before",)


@dataclass(frozen=True)
class DemoResult:
    stages: dict[str, list[RunSummary]]
    first_after_run: int


def demo_sources() -> list[str]:
    """Sources that ship a fixture mirror for the baseline and for a later stage."""
    return [
        name
        for name in REGISTRY
        if all((FIXTURES_DIR / name / st).is_dir() for st in REQUIRED_STAGES)
        and any((FIXTURES_DIR / name / st.name).is_dir() for st in STAGES[1:])
    ]


def stage_sources(stage: str) -> list[str]:
    """The demo sources with a mirror for ``stage`` (the others sit it out)."""
    return [name for name in demo_sources() if (FIXTURES_DIR / name / stage).is_dir()]


class MirrorRoot(Protocol):
    """Where fixture mirrors are served: a FixtureServer, or only its URL (tests)."""

    def url_for(self, path: str) -> str: ...


def demo_settings(database: Path, server: MirrorRoot, stage: str) -> Settings:
    """Settings pointing every demo source at its fixture mirror for ``stage``.

    The fixtures are excerpts of a few rows, so the count gate's lower bound is 1
    and the shrink cap 25% here (one removal out of five EL rows is 20%).
    """
    sources: dict[str, SourceSettings] = {}
    for name in stage_sources(stage):
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
    """Run every stage into ``store``, in order; report each stage's summaries."""
    stages: dict[str, list[RunSummary]] = {}
    first_after = 0
    with serving_fixtures() as server:
        for stage in (s.name for s in STAGES):
            settings = demo_settings(database, server, stage)
            with HttpClient(settings.http) as client:
                ctx = RunContext(settings=settings, store=store, client=client, progress=progress)
                stages[stage] = run_sources(ctx, list(settings.sources))
            if stage == "before":
                first_after = max((s.run_id or 0 for s in stages[stage]), default=0)
    return DemoResult(stages=stages, first_after_run=first_after)
