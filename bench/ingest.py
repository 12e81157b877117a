"""Cold ingest and 1%-churn diff of SYNTHETIC CSL-format files at several sizes.

Each repetition is a fresh child process (so peak memory is that run's own):
the base file is ingested into an empty database (fetch from 127.0.0.1, parse,
gate, baseline store), then the churn copy is run against it (parse, diff only
the keys whose hash differs, store the ~1% changes).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import measure
import synth

HERE = Path(__file__).resolve().parent
CSL = "us_csl_entity_list"


def child(folder: Path, db: Path) -> dict[str, float]:
    """In the child: baseline of base.csv, then the churn run; timings as JSON."""
    sys.path.insert(0, str(HERE.parent))
    from monitor.config import HttpSettings, Settings
    from monitor.http import HttpClient
    from monitor.pipeline import RunContext, run_sources
    from monitor.sources import REGISTRY
    from monitor.store import Store
    from monitor.testing.fixture_server import FixtureServer

    timings: dict[str, float] = {}
    with FixtureServer(root=folder) as server, Store.open(db) as store:
        with HttpClient(HttpSettings(retries=0)) as client:
            for label, name in (("cold_ingest_s", "base.csv"), ("churn_run_s", "churn.csv")):
                own = replace(
                    REGISTRY[CSL].info.default_settings(),
                    url=server.url_for(name),
                    min_records=1,
                    max_records=10_000_000,
                )
                settings = Settings(
                    None, db, 0.05, HttpSettings(retries=0),
                    MappingProxyType({CSL: own}), MappingProxyType({}),
                )  # fmt: skip
                start = time.perf_counter()
                [summary] = run_sources(RunContext(settings, store, client), [CSL])
                timings[label] = time.perf_counter() - start
                expected = "baseline" if label == "cold_ingest_s" else "changed"
                if summary.outcome.value != expected:  # a figure of a failed run means nothing
                    raise SystemExit(f"{name}: expected {expected}, got {summary}")
                timings[label.replace("_s", "_changes")] = float(
                    summary.added + summary.removed + summary.modified
                )
    return timings


def scenario(sizes: list[int], repeats: dict[str, int]) -> list[str]:
    """Markdown rows: rows, metric, median, min, max, runs."""
    lines = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="ecmon-bench-") as tmp:
            folder = Path(tmp)
            synth.write_pair_in_child(size, folder)
            runs = []
            for i in range(repeats.get(str(size), 3)):
                print(f"  ingest {size:,} rows, run {i + 1}", file=sys.stderr)
                done = measure.run([sys.executable, __file__, str(folder), str(folder / f"{i}.db")])
                if done.returncode != 0:
                    raise SystemExit(f"ingest child failed at {size} rows")
                runs.append({**json.loads(done.stdout), "peak_rss_mb": done.peak_mb})
        for metric in ("cold_ingest_s", "churn_run_s", "peak_rss_mb"):
            stat = measure.Stat.of([r[metric] for r in runs])
            lines.append(f"| {size:,} | {metric} | {stat.cells()} |")
        lines.append(
            f"| {size:,} | changes found by the churn run | {runs[0]['churn_run_changes']:.0f} | | | |"
        )
    return lines


if __name__ == "__main__":
    print(json.dumps(child(Path(sys.argv[1]), Path(sys.argv[2]))))
