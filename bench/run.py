"""Benchmarks: cold ingest and 1%-churn diff of SYNTHETIC CSL-format files.

Every row generated here is synthetic (names "SYNTHETIC ENTITY nnnnnn ..." and
the remark "SYNTHETIC BENCHMARK ROW"); the layout is the real 29-column CSL
header. Each measurement runs in its own child process, the files are served
from a local HTTP server on 127.0.0.1 so the real fetch path runs, and the
figures are the median (with min and max) of several repetitions.

    python bench/run.py            # 3,500 and 20,000 rows, writes bench/results.md
    python bench/run.py --smoke    # smallest size once; a CI smoke test, not judged
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The real 29-column CSL header (SOURCES.md section 1).
HEADER = [
    "_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
    "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage",
    "vessel_flag", "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships",
    "dates_of_birth", "nationalities", "places_of_birth", "source_information_url", "ids",
]  # fmt: skip
EL = "Entity List (EL) - Bureau of Industry and Security"
COUNTRIES = ["CN", "HK", "RU", "IR", "AE", "TR", "SG", "PK", "GB", "DE"]


def synthetic_row(n: int, variant: int = 0) -> dict[str, str]:
    country = COUNTRIES[n % len(COUNTRIES)]
    row = dict.fromkeys(HEADER, "")
    row.update(
        _id=f"{n:056x}",
        source=EL,
        name=f"SYNTHETIC ENTITY {n:06d} Technology Co., Ltd.",
        addresses=f"No. {n} Synthetic Road, Synthetic City, {country}",
        federal_register_notice=f"{80 + n % 10} FR {10000 + n % 50000}"
        + (f"; 90 FR {40000 + variant}" if variant else ""),
        start_date=f"20{10 + n % 15:02d}-0{1 + n % 9}-1{n % 9}",
        license_requirement="For all items subject to the EAR. (See § 744.11 of the EAR)",
        license_policy="Presumption of denial.",
        remarks="SYNTHETIC BENCHMARK ROW",
        alt_names=f"SYNTHETIC ALIAS {n:06d}; and SYN-{n:06d}",
        source_list_url="https://www.bis.gov/regulations/ear/744#supplement-4-744",
    )
    return row


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def make_pair(size: int, folder: Path, churn: float = 0.01) -> None:
    """A base file and a copy with ``churn`` of rows changed: a third added, removed, modified."""
    rng = random.Random(size)
    base = [synthetic_row(n) for n in range(size)]
    step = max(1, int(size * churn) // 3)
    picked = rng.sample(range(size), 2 * step)
    removed, modified = set(picked[:step]), set(picked[step:])
    after = [
        synthetic_row(n, variant=1) if n in modified else r
        for n, r in enumerate(base)
        if n not in removed
    ]
    after += [synthetic_row(size + i) for i in range(step)]
    write_csv(folder / "base.csv", base)
    write_csv(folder / "churn.csv", after)


def child(folder: Path, db: Path) -> dict[str, float]:
    """Runs in a child process: baseline of base.csv, then the churn run; reports timings."""
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace
    from types import MappingProxyType

    from monitor.config import HttpSettings, Settings
    from monitor.fixture_server import FixtureServer
    from monitor.http import HttpClient
    from monitor.pipeline import RunContext, run_sources
    from monitor.sources import REGISTRY
    from monitor.store import Store

    name = "us_csl_entity_list"
    timings: dict[str, float] = {}
    server = FixtureServer(root=folder)
    server.start()
    try:
        with Store.open(db) as store, HttpClient(HttpSettings(retries=0)) as client:
            for label, file in (("cold_ingest_s", "base.csv"), ("churn_run_s", "churn.csv")):
                own = replace(
                    REGISTRY[name].info.default_settings(),
                    url=server.url_for(file),
                    min_records=1,
                    max_records=1_000_000,
                )
                settings = Settings(
                    None,
                    db,
                    0.05,
                    HttpSettings(retries=0),
                    MappingProxyType({name: own}),
                    MappingProxyType({}),
                )
                start = time.perf_counter()
                [summary] = run_sources(RunContext(settings, store, client), [name])
                timings[label] = time.perf_counter() - start
                timings[label.replace("_s", "_changes")] = (
                    summary.added + summary.removed + summary.modified
                )
    finally:
        server.stop()
    timings["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return timings


def measure(size: int, repeats: int) -> list[dict[str, float]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="ecmon-bench-") as tmp:
        folder = Path(tmp)
        make_pair(size, folder)
        for i in range(repeats):
            db = folder / f"bench-{i}.db"
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(folder), str(db)],
                check=True,
                capture_output=True,
                text=True,
            )
            results.append(json.loads(out.stdout))
    return results


def summarise(size: int, runs: list[dict[str, float]]) -> list[str]:
    lines = []
    for metric in ("cold_ingest_s", "churn_run_s", "peak_rss_mb"):
        values = [r[metric] for r in runs]
        lines.append(
            f"| {size:,} | {metric} | {statistics.median(values):.3f} | "
            f"{min(values):.3f} | {max(values):.3f} | {len(values)} |"
        )
    lines.append(
        f"| {size:,} | changes reported by the churn run "
        f"| {runs[0]['churn_run_changes']:.0f} | | | |"
    )
    return lines


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--smoke", action="store_true", help="smallest size, one run, no results file"
    )
    parser.add_argument("--child", nargs=2, metavar=("FOLDER", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]))))
        return
    sizes, repeats = ([3_500], 1) if args.smoke else ([3_500, 20_000], args.repeats)
    table = [
        "| rows (synthetic) | metric | median | min | max | runs |",
        "|---|---|---|---|---|---|",
    ]
    for size in sizes:
        print(f"benchmark: {size:,} synthetic rows x {repeats} runs", file=sys.stderr)
        table += summarise(size, measure(size, repeats))
    report = "\n".join(
        [
            "# ecmon benchmark results",
            "",
            f"- machine: {platform.machine()}, {platform.processor() or 'cpu n/a'}, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
            f"- commit: {commit()}",
            f"- date (UTC): {time.strftime('%Y-%m-%d %H:%M', time.gmtime())}",
            "- data: SYNTHETIC CSL-format rows (real 29-column header), served from 127.0.0.1;",
            "  cold_ingest = first run (fetch, parse, baseline store); churn_run = second run",
            "  against a copy with 1% of rows changed (a third each added, removed, modified);",
            "  peak_rss = the child process's peak resident memory over both runs.",
            "",
            *table,
            "",
        ]
    )
    print(report)
    if not args.smoke:
        (HERE / "results.md").write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
