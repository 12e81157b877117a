"""Shared test helpers: the fixtures path, settings that enable one source (at a local
URL or a fixture stage), one pipeline run of one source, config files, and the CLI run
in-process."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.config import HttpSettings, Settings, SourceSettings
from monitor.http import HttpClient
from monitor.models import RunSummary
from monitor.pipeline import RunContext, run_sources
from monitor.sources import REGISTRY
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer

CSL = "us_csl_entity_list"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CSL_BEFORE = FIXTURES / CSL / "before" / "consolidated.csv"
CSL_AFTER = FIXTURES / CSL / "after" / "consolidated.csv"

# The demo's September 2025 Entity List additions as the lists name them: the nine
# semiconductor firms first, then the two others.
SEPT_2025_ADDITIONS = (
    "Shanghai Fudan Microelectronics Group Co., Ltd.",
    "Beijing Fudan Microelectronics Technology Co., Ltd.",
    "Shenzhen Fudan Microelectronics Co., Ltd.",
    "Shanghai Fudan Microelectronics (HK) Co., Ltd.",
    "Shanghai Fukong Hualong Microsystem Technology Co., Ltd.",
    "Shanghai Fuwei Xunjie Digital Technology Co., Ltd.",
    "Sino IC Technology",
    "GMC Semiconductor Technology (Wuxi) Co.",
    "Jicun Semiconductor Technology (Shanghai)",
    "Aerospace Information Research Institute, CAS",
    "Hong Kong Suochen Information Technology",
)
SEPT_2025_SEMICONDUCTORS = SEPT_2025_ADDITIONS[:9]

# No sleeping between retries in tests: a fault should fail fast.
FAST_HTTP = HttpSettings(retries=1, backoff=0.0, connect_timeout=2, read_timeout=2)


def only_source(
    db: Path, name: str, own: SourceSettings, *, max_shrink: float = 0.25
) -> Settings:
    """Settings that enable the source ``name`` alone, configured as ``own``.

    The fixtures are excerpts (5 EL rows before): one removal is 20%, so the
    shrink cap is 25% here instead of the production 5%."""
    return Settings(
        config_path=None,
        database=db,
        max_shrink=max_shrink,
        http=FAST_HTTP,
        sources=MappingProxyType({name: own}),
        origins=MappingProxyType({}),
    )


def csl_settings(db: Path, url: str, *, max_shrink: float = 0.25) -> Settings:
    """The CSL source alone, at ``url``, with fixture-sized bounds."""
    own = replace(REGISTRY[CSL].info.default_settings(), url=url, min_records=1)
    return only_source(db, CSL, own, max_shrink=max_shrink)


def stage_url(server: FixtureServer, name: str, stage: str) -> str:
    """Where the fixture server serves the source ``name``'s mirror for ``stage``."""
    return server.url_for(f"{name}/{stage}")


def mirrored(
    name: str,
    base: str,
    options: Mapping[str, object] = MappingProxyType({}),
    *,
    min_records: int | None = 1,
) -> SourceSettings:
    """The source's default settings with ``options`` applied as a config file would,
    every URL pointed at a mirror rooted at ``base`` (``min_records``: the count gate's
    lower bound, fixture-sized; ``None`` keeps the source's own)."""
    source = REGISTRY[name]
    defaults = source.info.default_settings()
    configured = replace(defaults, options=MappingProxyType({**defaults.options, **options}))
    own = source.rebase(configured, base)
    return own if min_records is None else replace(own, min_records=min_records)


def stage_settings(
    db: Path, server: FixtureServer, name: str, stage: str, **options: object
) -> Settings:
    """The source ``name`` alone, served from its fixture ``stage`` (see ``mirrored``)."""
    return only_source(db, name, mirrored(name, stage_url(server, name, stage), options))


def run_source(
    store: Store,
    settings: Settings,
    name: str = CSL,
    *,
    sleep: Callable[[float], None] = lambda _s: None,
) -> RunSummary:
    """One pipeline run of the source ``name`` (retries do not sleep unless ``sleep`` does)."""
    with HttpClient(settings.http, sleep=sleep) as client:
        [summary] = run_sources(RunContext(settings, store, client), [name])
    return summary


def run_stage(
    store: Store, db: Path, server: FixtureServer, name: str, stage: str, **options: object
) -> RunSummary:
    """Serve-a-stage-and-run: the source ``name`` alone, one run against ``stage``."""
    return run_source(store, stage_settings(db, server, name, stage, **options), name)


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment whose XDG config and data folders are under ``home`` (so no user
    config or database is read), plus ``extra`` variables."""
    return {
        "XDG_CONFIG_HOME": str(home / "cfg"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        **extra,
    }


def invoke(*args: str, env: Mapping[str, str] | None = None) -> Result:
    """``ecmon ARGS`` in-process; an unexpected exception propagates (not an exit code)."""
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def invoke_in(home: Path, *args: str) -> Result:
    """``ecmon ARGS`` with the XDG folders under ``home`` (see ``isolated_env``)."""
    return invoke(*args, env=isolated_env(home))


def invoke_db(db: Path, *args: str, env: Mapping[str, str] | None = None) -> Result:
    """``ecmon --db DB ARGS``."""
    return invoke("--db", str(db), *args, env=env)


def invoke_config(config: Path, *args: str) -> Result:
    """``ecmon --config CONFIG ARGS``."""
    return invoke("--config", str(config), *args)


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
