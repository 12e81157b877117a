"""Storage over a year: 365 simulated daily runs of a 3,500-entity SYNTHETIC list.

Realistic churn for the Entity List: tens of additions a week (about 20), a few
modifications (about 3) and removals (about 2), spread over the days at random
(seeded); some days nothing changes. Each day's file is served from 127.0.0.1
and run through the real pipeline. Storage should grow with changes, not runs:
raw files are kept for the newest `raw_keep` runs only (their hashes stay).

A day's file that did not change is answered 304 by the local server (it sends
strong ETags, as the publisher's CDN does): that is a ``not_modified`` run, the
common case in production. So that even a short (smoke) simulation covers it,
each day is checked a second time, as the 3-hourly schedule would, and that
second check must come back ``not_modified``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import synth

ROOT = Path(__file__).resolve().parent.parent
CSL = "us_csl_entity_list"
ACCEPTED = ("baseline", "changed", "unchanged", "not_modified")
WEEKLY = {"added": 20, "modified": 3, "removed": 2}


def day_events(rng: random.Random) -> dict[str, int]:
    """How many of each change one day brings (binomial around the weekly rates)."""
    return {
        kind: sum(rng.random() < rate / 7 / 4 for _ in range(4)) for kind, rate in WEEKLY.items()
    }


def scenario(days: int, entities: int = 3_500) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from monitor.config import HttpSettings, Settings
    from monitor.http import HttpClient
    from monitor.pipeline import RunContext, run_sources
    from monitor.sources import REGISTRY
    from monitor.store import Store
    from monitor.testing.fixture_server import FixtureServer

    rng = random.Random(365)
    live = {n: 0 for n in range(entities)}  # entity number -> modification count
    next_id = entities
    checkpoints: dict[int, int] = {}
    changed_days = not_modified = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ecmon-year-") as tmp, FixtureServer() as server:
        db = Path(tmp) / "year.db"
        own = replace(REGISTRY[CSL].info.default_settings(), url=server.url_for("/csl.csv"))
        settings = Settings(None, db, 0.05, HttpSettings(retries=0),
                            MappingProxyType({CSL: own}), MappingProxyType({}))  # fmt: skip
        with Store.open(db) as store, HttpClient(settings.http) as client:
            for day in range(1, days + 1):
                events = day_events(rng) if day > 1 else {"added": 0, "modified": 0, "removed": 0}
                for _ in range(events["added"]):
                    live[next_id] = 0
                    next_id += 1
                for n in rng.sample(sorted(live), events["modified"] + events["removed"]):
                    if events["removed"] > 0:
                        del live[n]
                        events["removed"] -= 1
                    else:
                        live[n] += 1
                rows = [synth.row(n, v) for n, v in sorted(live.items())]
                server.set_route("/csl.csv", synth.csv_bytes(rows))
                [summary] = run_sources(RunContext(settings, store, client), [CSL])
                if summary.outcome.value not in ACCEPTED:
                    raise SystemExit(f"day {day}: {summary}")
                changed_days += summary.outcome.value == "changed"
                [again] = run_sources(RunContext(settings, store, client), [CSL])
                if again.outcome.value != "not_modified":
                    raise SystemExit(f"day {day}, second check: expected not_modified, {again}")
                not_modified += 1 + (summary.outcome.value == "not_modified")
                if day in (1, 30, 90, 180, 365) or day == days:
                    store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    checkpoints[day] = db.stat().st_size
    elapsed = time.perf_counter() - start
    lines = [
        f"| day {day} | database file, MB | {size / 1e6:.2f} | | | |"
        for day, size in checkpoints.items()
    ]
    lines.append(f"| {days} days | days with changes | {changed_days} | | | |")
    lines.append(f"| {days} days | not_modified (304) runs | {not_modified} | | | {2 * days} |")
    lines.append(f"| {days} days | simulation wall time, s | {elapsed:.1f} | | | 1 |")
    return lines
