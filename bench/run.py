"""ecmon benchmarks: writes bench/results.md (see README "Benchmarks").

    python bench/run.py           # everything; a few minutes on 2 cores
    python bench/run.py --smoke   # smallest sizes, one run each, no results file (CI)

All data is SYNTHETIC (bench/synth.py) except the MOFCOM fixture mirror used
in the urlwatch comparison. Figures are medians of several runs with min and
max, each measured in its own child process on this machine; targets are
checked here, never by timed assertions in the tests.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import urlwatch_cmp

HERE = Path(__file__).resolve().parent
TABLE = ["| size | metric | median | min | max | runs |", "|---|---|---|---|---|---|"]


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def machine() -> str:
    cores = len(__import__("os").sched_getaffinity(0))
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
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def section(title: str, intro: str, rows: list[str], header: list[str] = TABLE) -> list[str]:
    return [f"## {title}", "", intro, "", *header, *rows, ""]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="smallest sizes once; no results file")
    args = parser.parse_args()
    smoke = args.smoke
    sizes = [3_500] if smoke else [3_500, 20_000, 100_000, 200_000]
    repeats = {n: 1 for n in sizes} if smoke else {3_500: 5, 20_000: 5, 100_000: 3, 200_000: 3}
    print("ingest and churn", file=sys.stderr)
    out = [
        "# ecmon benchmark results", "",
        f"- machine: {machine()}", f"- commit: {commit()}",
        f"- date (UTC): {time.strftime('%Y-%m-%d %H:%M', time.gmtime())}",
        "- data: SYNTHETIC CSL-format rows (real 29-column header) served from 127.0.0.1", "",
    ]  # fmt: skip
    out += section(
        "1–3. Cold ingest, 1% churn, steady state",
        "cold_ingest = first run into an empty database (fetch, parse, gate, baseline store); "
        "churn_run = the next run against a copy with 1% of rows changed (a third each added, "
        "removed, modified); peak RSS = that child process over both runs.",
        in_child("ingest", "scenario", sizes, {str(k): v for k, v in repeats.items()}),
    )
    print("steady state", file=sys.stderr)
    out += section(
        "2. No-change run (HTTP 304), whole process",
        "`ecmon run` started as cron would, the local server answering 304; growth is live "
        "database bytes after a WAL checkpoint (page-granular: 4 KiB pages).",
        in_child("steady", "scenario", 3_500, 5 if smoke else 60),
    )
    print("rendering", file=sys.stderr)
    out += section("4. Rendering 1,000 changes", "Synthetic changes through the real parser and differ.",
                   in_child("render", "scenario", 1 if smoke else 7))  # fmt: skip
    print("365 days", file=sys.stderr)
    out += section(
        "5. Storage after daily runs", "3,500 synthetic entities; ~20 additions, ~3 modifications "
        "and ~2 removals a week at random days; raw files kept for the newest 10 runs.",
        in_child("year", "scenario", 10 if smoke else 365),
    )  # fmt: skip
    if urlwatch_cmp.available():
        print("urlwatch", file=sys.stderr)
        rows, report = in_child("urlwatch_cmp", "scenario", 3 if smoke else 15)
        header = ["| | ecmon | urlwatch | ratio ecmon/urlwatch |", "|---|---|---|---|"]
        out += section(
            "6. Side by side with urlwatch 2.29", urlwatch_cmp.__doc__ or "", rows, header
        )
        out += [report, ""]
    else:
        out += [
            "## 6. Side by side with urlwatch",
            "",
            "urlwatch is not installed (`make bench` installs it).",
            "",
        ]
    text = "\n".join(out)
    print(text)
    if not smoke:
        (HERE / "results.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
