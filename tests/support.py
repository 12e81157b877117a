"""Shared test helpers: settings pointing the CSL source at a local URL, one run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from monitor.config import HttpSettings, Settings
from monitor.http import HttpClient
from monitor.models import RunSummary
from monitor.pipeline import RunContext, run_sources
from monitor.sources import REGISTRY
from monitor.store import Store

CSL = "us_csl_entity_list"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CSL_BEFORE = FIXTURES / CSL / "before" / "consolidated.csv"
CSL_AFTER = FIXTURES / CSL / "after" / "consolidated.csv"

# No sleeping between retries in tests: a fault should fail fast.
FAST_HTTP = HttpSettings(retries=1, backoff=0.0, connect_timeout=2, read_timeout=2)


def csl_settings(db: Path, url: str, *, max_shrink: float = 0.25) -> Settings:
    """The fixtures are excerpts (5 EL rows before): one removal is 20%, so the
    shrink cap is 25% here instead of the production 5%."""
    own = replace(REGISTRY[CSL].info.default_settings(), url=url, min_records=1)
    return Settings(
        config_path=None,
        database=db,
        max_shrink=max_shrink,
        http=FAST_HTTP,
        sources=MappingProxyType({CSL: own}),
        origins=MappingProxyType({}),
    )


def run_csl(store: Store, settings: Settings) -> RunSummary:
    with HttpClient(settings.http, sleep=lambda _s: None) as client:
        [summary] = run_sources(RunContext(settings, store, client), [CSL])
    return summary


def write_sources_config(path: Path, db: Path, urls: dict[str, str]) -> Path:
    """A TOML config enabling only the sources in ``urls`` (each at its URL), with
    fixture-sized bounds."""
    tables = []
    for name in REGISTRY:
        if name in urls:
            tables.append(f'[sources.{name}]\nurl = "{urls[name]}"\nmin_records = 1\n')
        else:
            tables.append(f"[sources.{name}]\nenabled = false\n")
    path.write_text(
        f'database = "{db}"\nmax_shrink = 0.25\n[http]\nretries = 1\nbackoff = 0.0\n'
        + "".join(tables),
        encoding="utf-8",
    )
    return path


def write_config(path: Path, db: Path, url: str) -> Path:
    """A TOML config for CLI tests: the CSL source at ``url``, fixture-sized bounds,
    every other source disabled (so nothing polls a real URL)."""
    others = "".join(f"[sources.{name}]\nenabled = false\n" for name in REGISTRY if name != CSL)
    path.write_text(
        f'database = "{db}"\nmax_shrink = 0.25\n[http]\nretries = 1\nbackoff = 0.0\n'
        f'[sources.{CSL}]\nurl = "{url}"\nmin_records = 1\n{others}',
        encoding="utf-8",
    )
    return path


def demo_database(folder: Path) -> Path:
    """A database holding the demo's two stages (as `ecmon demo` leaves it)."""
    from monitor.testing.demo import run_demo

    path = folder / "demo.db"
    with Store.open(path) as store:
        run_demo(store, path, lambda _source, _step: None)
    return path
