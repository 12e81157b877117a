"""Running one source against the fixture mirror, and what a run left in the store.

``Baselines`` keeps, per source, a database holding the ``before`` fixtures as the accepted
baseline and the reference: the changes a clean run of the ``after`` mirror records. Each
scenario works on its own copy of that database.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from monitor.config import HttpSettings, Settings
from monitor.models import RunSummary, StoredChange
from monitor.sources import REGISTRY
from monitor.store import Store
from monitor.testing.demo import MirrorRoot, demo_settings
from monitor.testing.fixture_server import FixtureServer
from tests.reliability.scenarios import SOURCES, stage_of
from tests.support import run_source

# Small timeouts, one retry: a fault shows within a second. Sleeps are recorded, not slept.
HTTP = HttpSettings(
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=30.0,
    retries=1,
    backoff=0.5,
    max_retry_after=30.0,
    max_bytes=1_000_000,
)

ChangeId = tuple[str, str, str]  # kind, key, content hash of the record after (or before)


class Sleeps(list[float]):
    """A ``sleep`` for HttpClient that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mirror:
    """What ``demo_settings`` needs of a fixture server, for a process that only has its URL."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def url_for(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"


def settings_for(
    db: Path,
    server: MirrorRoot,
    source: str,
    *,
    stage: str | None = None,
    http: Mapping[str, Any] | None = None,
    base: str | None = None,
) -> Settings:
    """The demo settings for ``source`` alone (``base``: a mirror root other than the server;
    ``stage``: by default the one the scenarios break, ``scenarios.stage_of``)."""
    stage = stage or stage_of(source)
    settings = demo_settings(db, server, stage)
    own = settings.source(source)
    if base is not None:
        own = REGISTRY[source].rebase(own, f"{base.rstrip('/')}/{source}/{stage}")
    return replace(
        settings,
        http=replace(HTTP, **(http or {})),
        sources=MappingProxyType({source: own}),
    )


def run_once(store: Store, settings: Settings, source: str, sleeps: Sleeps) -> RunSummary:
    return run_source(store, settings, source, sleep=sleeps)


def change_id(stored: StoredChange) -> ChangeId:
    change = stored.change
    record = change.after or change.before
    return change.kind, change.key, record.content_hash if record else ""


@dataclass
class Baseline:
    db: Path  # the before stage accepted as the baseline
    reference: Counter[ChangeId]  # what a clean run of the stage of its changes records
    before: dict[str, str]  # accepted key -> content hash, at the baseline
    after: dict[str, str]  # the same after the clean run


class Baselines:
    """Per source: a template database with the ``before`` baseline, and the reference."""

    def __init__(self, root: Path, server: FixtureServer) -> None:
        self.root = root
        self.server = server
        self._made: dict[str, Baseline] = {}

    def get(self, source: str) -> Baseline:
        if source not in self._made:
            self._made[source] = self._make(source)
        return self._made[source]

    def copy(self, source: str, target: Path) -> Path:
        shutil.copyfile(self.get(source).db, target)
        return target

    def _make(self, source: str) -> Baseline:
        """Runs the clean mirror: clears the server's routes and faults (make it first)."""
        self.server.clear()
        template = self.root / f"{source}.baseline.db"
        with Store.open(template) as store:
            run_once(
                store, settings_for(template, self.server, source, stage="before"), source, Sleeps()
            )
            before = accepted_state(store, source)
        probe = self.root / f"{source}.reference.db"
        shutil.copyfile(template, probe)
        with Store.open(probe) as store:
            summary = run_once(store, settings_for(probe, self.server, source), source, Sleeps())
            assert summary.outcome.value == "changed", summary
            reference = Counter(change_id(c) for c in store.changes())
            after = accepted_state(store, source)
        return Baseline(template, reference, before, after)


def accepted_state(store: Store, source: str) -> dict[str, str]:
    return {key: r.content_hash for key, r in store.accepted_records(source).items()}


_ORIGIN = re.compile(r"http://127\.0\.0\.1:\d+")
_CONTEXT = re.compile(r"^source \S+: | \(url [^()]*(?:\([^()]*\)[^()]*)*\)$")


def scrub(text: str, limit: int = 150) -> str:
    """A run message for the report: without the source and URL (the row names them) and
    port numbers, and of bounded length."""
    clean = _CONTEXT.sub("", " ".join(text.split()))
    clean = _ORIGIN.sub("http://127.0.0.1:PORT", clean)
    clean = re.sub(r"\d+ bytes so far", "N bytes so far", clean)  # depends on timing
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def write_mirror_config(
    path: Path,
    db: Path,
    mirror: FixtureServer,
    stage: str | None = None,
    sources: Sequence[str] = SOURCES,
) -> Path:
    """Every source at its fixture mirror (as ``ecmon demo`` points them; ``stage``: by
    default the one holding each source's change), bounds for excerpts, the daemon polling
    every second."""
    lines = [
        f"database = {_toml(str(db))}",
        "max_shrink = 0.25",
        "[http]",
        "retries = 1",
        "backoff = 0.0",
        "[daemon]",
        "jitter_seconds = 0",
    ]
    for name in sources:
        own = settings_for(db, mirror, name, stage=stage).source(name)
        lines += [
            f"[sources.{name}]",
            f"url = {_toml(own.url)}",
            "min_records = 1",
            'schedule = "every 1s"',
        ]
        if name == "cn_mofcom_announcements":
            # URLs only: the ids are read from the mirror's column pages.
            hosts = own.options["hosts"]
            assert isinstance(hosts, Mapping)
            lines.append(f"hosts = {_toml(dict(hosts))}")
    for name in REGISTRY:
        if name not in sources:  # nothing polls a real URL
            lines += [f"[sources.{name}]", "enabled = false"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
