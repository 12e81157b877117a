"""ecmon benchmarks: writes bench/results.md (see README "Benchmarks").

    python bench/run.py           # everything; tens of minutes on 2 shared cores
    python bench/run.py --smoke   # smallest sizes, one run each, results to a temp file (CI)
    python bench/run.py --sizes 20000,200000 --repeats 2 --idle-runs 20   # a shorter run

All data is SYNTHETIC (bench/synth.py) except the MOFCOM fixture mirror used
in the urlwatch comparison. Each scenario runs in its own child process on this
machine; ratios (ecmon / stdlib floor, ecmon / urlwatch, digest / no-change
run) come from pairs measured one right after the other, so both sides of a
ratio see the same load. The load average is recorded beside the figures.
Targets (issue 17) are checked here, never by timed assertions in the tests.

``results.md`` is rewritten after every section, so a run that fails or is
stopped half-way still leaves the sections it finished (and says which are
still missing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import measure
import urlwatch_cmp

HERE = Path(__file__).resolve().parent
PROFILES = HERE / "profiles.md"
TABLE = ["| size | metric | median | min | max | runs |", "|---|---|---|---|---|---|"]

# (label, how to read the figure, target, unit): every target is an upper bound
Target = tuple[str, Callable[[dict[str, float]], float | None], float, str]
TARGETS: list[Target] = [
    ("20k 1% churn vs floor", lambda f: f.get("20000_churn_run_s_vs_floor"), 1.5, "×"),
    ("20k 1% change cycle vs urlwatch", lambda f: f.get("change20k_wall_ratio"), 0.4, "×"),
    ("20k cold vs floor", lambda f: f.get("20000_cold_ingest_s_vs_floor"), 2.5, "×"),
    ("200k churn vs floor", lambda f: f.get("200000_churn_run_s_vs_floor"), 1.5, "×"),
    ("churn cost per row 200k / 20k", lambda f: _per_row(f), 1.1, "×"),
    ("no-change 304 run vs urlwatch", lambda f: f.get("304_wall_ratio"), 0.5, "×"),
    ("peak RSS at 200k, MiB", lambda f: f.get("200000_peak_rss_mb"), 250, ""),
    ("`ecmon digest` 1,000 changes / no-change run", lambda f: f.get("digest_vs_idle"), 2.0, "×"),
    ("DB after baseline / raw file (20k)", lambda f: f.get("20000_db_vs_raw"), 2.5, "×"),
]


def _per_row(f: dict[str, float]) -> float | None:
    big, small = f.get("200000_churn_run_s"), f.get("20000_churn_run_s")
    return None if big is None or small is None else (big / 200_000) / (small / 20_000)


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def machine() -> str:
    cores = len(os.sched_getaffinity(0))
    return (
        f"{platform.machine()}, {cores} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def in_child(module: str, function: str, *args: object) -> object:
    """Run ``module.function(*args)`` in a fresh process and return its result.

    Each scenario gets its own process so that one scenario's memory never shows
    in another's figures (a forked child inherits its parent's peak RSS on Linux).
    """
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        f"import {module}; print(json.dumps({module}.{function}(*json.loads(sys.argv[2]))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(HERE), json.dumps(list(args))],
        check=True, stdout=subprocess.PIPE, text=True,  # stderr: progress and errors
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def section(title: str, intro: str, rows: list[str], header: list[str] = TABLE) -> list[str]:
    return [f"## {title}", "", intro, "", *header, *rows, ""]


def targets_table(figures: dict[str, float]) -> list[str]:
    lines = ["## Targets (issue 17), from the sections below", "",
             "| figure | measured | target | met |", "|---|---|---|---|"]  # fmt: skip
    for label, get, target, unit in TARGETS:
        value = get(figures)
        shown = "not measured yet" if value is None else f"{value:.2f}{unit}"
        met = "" if value is None else ("yes" if value <= target else "**no**")
        lines.append(f"| {label} | {shown} | ≤ {target:g}{unit} | {met} |")
    return [*lines, ""]


class Results:
    """The results file, rewritten after every finished section."""

    def __init__(self, path: Path, head: list[str], planned: list[str]) -> None:
        self.path, self.head, self.planned = path, head, planned
        self.sections: list[list[str]] = []
        self.figures: dict[str, float] = {}

    def add(self, lines: list[str], figures: dict[str, float] | None = None) -> None:
        self.sections.append(lines)
        self.figures.update(figures or {})
        self.write()

    def text(self) -> str:
        missing = self.planned[len(self.sections) :]
        todo = [f"- not finished yet: {', '.join(missing)}", ""] if missing else []
        body = [line for lines in self.sections for line in lines]
        # The profiles of missed targets are written by hand (bench/profiles.md) and kept.
        notes = PROFILES.read_text(encoding="utf-8").splitlines() if PROFILES.exists() else []
        return "\n".join([*self.head, *todo, *targets_table(self.figures), *body, *notes])

    def write(self) -> None:
        self.path.write_text(self.text(), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="smallest sizes once; temp results")
    parser.add_argument("--sizes", help="ingest sizes, comma-separated (default 3500,20000,100000,200000)")
    parser.add_argument("--repeats", type=int, help="runs per ingest size (default 5 up to 20k, else 3)")
    parser.add_argument("--idle-runs", type=int, default=60, help="no-change runs in section 2")
    parser.add_argument("--digest-runs", type=int, default=7, help="runs of sections 4 and 4b")
    parser.add_argument("--days", type=int, default=365, help="days of section 5")
    parser.add_argument("--warm-runs", type=int, default=15, help="paired runs in section 6")
    args = parser.parse_args()
    smoke = args.smoke
    sizes = [3_500] if smoke else [3_500, 20_000, 100_000, 200_000]
    if args.sizes:
        sizes = [int(n) for n in args.sizes.split(",")]
    repeats = {n: 1 for n in sizes} if smoke else {n: 5 if n <= 20_000 else 3 for n in sizes}
    if args.repeats and not smoke:
        repeats = dict.fromkeys(sizes, args.repeats)
    head = [
        "# ecmon benchmark results", "",
        f"- machine: {machine()}", f"- commit: {commit()}",
        f"- date (UTC): {time.strftime('%Y-%m-%d %H:%M', time.gmtime())}",
        f"- load average (1/5/15 min) at start: {measure.load()}",
        "- data: SYNTHETIC CSL-format rows (real 29-column header) served from 127.0.0.1",
        f"- whole-process commands: ecmon {measure.tool('ecmon')}, urlwatch "
        f"{measure.tool('urlwatch')}", "",
    ]  # fmt: skip
    planned = ["1–3 ingest", "2 no-change", "4 render", "4b digest", "5 storage", "6 urlwatch"]
    path = Path(tempfile.gettempdir()) / "ecmon-bench-smoke.md" if smoke else HERE / "results.md"
    results = Results(path, head, planned)
    print("ingest and churn", file=sys.stderr)
    got = in_child("ingest", "scenario", sizes, {str(k): v for k, v in repeats.items()})
    assert isinstance(got, dict)
    results.add(section(
        "1–3. Cold ingest, 1% churn, against the stdlib floor",
        "cold_ingest = first run into an empty database (fetch, parse, gate, baseline store); "
        "churn_run = the next run against a copy with 1% of rows changed (a third each added, "
        "removed, modified); timed inside the child; peak RSS and CPU = that child process over "
        "both runs. floor = bench/floor.py on the same files right after (fetch, hash, csv, "
        "keyed diff, one SQLite transaction).",
        got["rows"],
    ), got["figures"])  # fmt: skip
    print("steady state", file=sys.stderr)
    results.add(section(
        "2. No-change run (HTTP 304), whole process",
        "`ecmon run` started as cron would, the local server answering 304; growth is live "
        "database bytes after a WAL checkpoint (page-granular: 4 KiB pages).",
        in_child("steady", "scenario", 3_500, 5 if smoke else args.idle_runs),  # type: ignore[arg-type]
    ))  # fmt: skip
    print("rendering", file=sys.stderr)
    results.add(section(
        "4. Rendering 1,000 changes (in process)",
        "Synthetic changes through the real parser and differ; only building the document and "
        "the templates are timed (no start-up, no store, no analysis): see 4b for the command.",
        in_child("render", "scenario", 1 if smoke else args.digest_runs),  # type: ignore[arg-type]
    ))  # fmt: skip
    print("ecmon digest", file=sys.stderr)
    import digest_cmd

    got = in_child("digest_cmd", "scenario", 1 if smoke else args.digest_runs)
    assert isinstance(got, dict)
    results.add(section("4b. `ecmon digest`, 1,000 changes, whole process",
                        digest_cmd.__doc__ or "", got["rows"]), got["figures"])  # fmt: skip
    print("365 days", file=sys.stderr)
    results.add(section(
        "5. Storage after daily runs", "3,500 synthetic entities; ~20 additions, ~3 modifications "
        "and ~2 removals a week at random days; each day checked twice (the second check is a "
        "304); raw files kept for the newest 10 runs.",
        in_child("year", "scenario", 10 if smoke else args.days),  # type: ignore[arg-type]
    ))  # fmt: skip
    if urlwatch_cmp.available():
        print("urlwatch", file=sys.stderr)
        got = in_child("urlwatch_cmp", "scenario", *((2, 2, 3_500) if smoke else (args.warm_runs, 30, 20_000)))
        assert isinstance(got, dict)
        header = ["| | ecmon | urlwatch | ratio ecmon/urlwatch |", "|---|---|---|---|"]
        lines = section("6. Side by side with urlwatch 2.29", urlwatch_cmp.__doc__ or "",
                        got["rows"], header)  # fmt: skip
        results.add([*lines, got["report"], ""], got["figures"])
    else:
        results.add(["## 6. Side by side with urlwatch", "",
                     "urlwatch is not installed (`make bench` installs it).", ""])  # fmt: skip
    print(results.text())
    print(f"written: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
