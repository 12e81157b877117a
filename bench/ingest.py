"""Cold ingest and 1%-churn diff of SYNTHETIC CSL-format files at several sizes.

Each repetition is a fresh child process (so peak memory is that run's own):
the base file is ingested into an empty database (fetch from 127.0.0.1, parse,
gate, baseline store), then the churn copy is run against it (parse, diff only
the keys whose hash differs, store the ~1% changes). Each ecmon child is paired
with a child running the stdlib floor (``bench/floor.py``) on the same files,
one right after the other, so the ratio of a pair sees the same machine load.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import floor
import measure
import synth

HERE = Path(__file__).resolve().parent
CSL = "us_csl_entity_list"


def child(folder: Path, db: Path) -> dict[str, float]:
    """In the child: baseline of base.csv, then the churn run; timings as JSON."""
    sys.path.insert(0, str(HERE.parent))
    from monitor.config import GateSettings, HttpSettings, Settings
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
                # A 1% churn of 200,000 rows removes 666: above the default per-list cap
                # (250 records, meant for the real lists); the 5% share cap still holds.
                gate = GateSettings(max_removed=10_000_000)
                settings = Settings(
                    None, db, 0.05, HttpSettings(retries=0),
                    MappingProxyType({CSL: own}), MappingProxyType({}), gate=gate,
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
                if label == "cold_ingest_s":
                    timings["db_bytes_after_baseline"] = float(_live_bytes(store))
                    # The peak so far is the cold run's (start-up included); the child's
                    # own peak (measured by the parent) covers the churn run too.
                    timings["cold_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return timings


def _live_bytes(store: object) -> int:
    """Database bytes in use after a checkpoint (free pages do not count)."""
    conn = store.db.conn  # type: ignore[attr-defined]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def _pair(folder: Path, i: int) -> tuple[dict[str, float], dict[str, float]]:
    """One ecmon child and one floor child on the same files, back to back."""
    results = []
    for script in (__file__, floor.__file__):
        done = measure.run(
            [sys.executable, script, str(folder), str(folder / f"{i}-{Path(script).stem}.db")]
        )
        if done.returncode != 0:
            raise SystemExit(f"{Path(script).name} child failed in {folder}")
        results.append({**json.loads(done.stdout), "peak_rss_mb": done.peak_mb,
                        "cpu_s": done.cpu_seconds, "process_s": done.seconds})  # fmt: skip
    return results[0], results[1]


def scenario(sizes: list[int], repeats: dict[str, int]) -> dict[str, object]:
    """Markdown rows (size, metric, median, min, max, runs) and the figures the targets use."""
    lines: list[str] = []
    figures: dict[str, float] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="ecmon-bench-") as tmp:
            folder = Path(tmp)
            synth.write_pair_in_child(size, folder)
            raw_bytes = (folder / "base.csv").stat().st_size
            pairs = []
            load_before = measure.load()
            for i in range(repeats.get(str(size), 3)):
                print(f"  ingest {size:,} rows, run {i + 1} (ecmon, then floor)", file=sys.stderr)
                pairs.append(_pair(folder, i))
            load_after = measure.load()
        ours = [e for e, _ in pairs]
        for metric in ("cold_ingest_s", "churn_run_s", "peak_rss_mb", "cold_peak_rss_mb", "cpu_s"):
            stat = measure.Stat.of([r[metric] for r in ours])
            lines.append(f"| {size:,} | ecmon {metric} | {stat.cells()} |")
        for metric in ("cold_ingest_s", "churn_run_s", "peak_rss_mb"):
            stat = measure.Stat.of([f[metric] for _, f in pairs])
            lines.append(f"| {size:,} | floor {metric} | {stat.cells()} |")
        for metric in ("cold_ingest_s", "churn_run_s"):
            ratio = measure.Stat.of([e[metric] / f[metric] for e, f in pairs])
            lines.append(f"| {size:,} | ecmon / floor, {metric} (paired) | {ratio.cells('.2f')} |")
            figures[f"{size}_{metric}_vs_floor"] = ratio.median
            figures[f"{size}_{metric}"] = measure.Stat.of([e[metric] for e in ours]).median
        db_ratio = ours[0]["db_bytes_after_baseline"] / raw_bytes
        figures[f"{size}_db_vs_raw"] = db_ratio
        figures[f"{size}_peak_rss_mb"] = max(e["peak_rss_mb"] for e in ours)
        lines.append(
            f"| {size:,} | database after baseline / raw file | {db_ratio:.2f} "
            f"({ours[0]['db_bytes_after_baseline'] / 1e6:.1f} MB / {raw_bytes / 1e6:.1f} MB) | | | 1 |"
        )
        lines.append(
            f"| {size:,} | changes found (ecmon / floor) | {ours[0]['churn_run_changes']:.0f} / "
            f"{pairs[0][1]['churn_run_changes']:.0f} | | | |"
        )
        lines.append(
            f"| {size:,} | load average before / after | {load_before} / {load_after} | | | |"
        )
    return {"rows": lines, "figures": figures}


if __name__ == "__main__":
    print(json.dumps(child(Path(sys.argv[1]), Path(sys.argv[2]))))
