"""Steady state: a no-change `ecmon run` as cron or a timer would start it.

Whole-process time (interpreter start, imports, config, a conditional GET that
the local server answers with 304, the run row) and how much the database grows
per run, measured as live bytes ((page_count - freelist_count) * page_size)
after a WAL checkpoint, so a file that merely has not shrunk does not count.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

import measure
import synth

ROOT = Path(__file__).resolve().parent.parent
ECMON = measure.tool("ecmon")
CSL = "us_csl_entity_list"


def live_bytes(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def write_config(
    path: Path, db: Path, urls: dict[str, str], max_shrink: float = 0.05, max_removed: int = 250
) -> Path:
    """Only the given sources enabled, each at its URL (``max_removed``: the per-list gate)."""
    sys.path.insert(0, str(ROOT))
    from monitor.sources import REGISTRY

    tables = [
        f'[sources.{name}]\nurl = "{urls[name]}"\nmin_records = 1\nmax_records = 10000000\n'
        if name in urls
        else f"[sources.{name}]\nenabled = false\n"
        for name in REGISTRY
    ]
    path.write_text(
        f'database = "{db}"\nmax_shrink = {max_shrink}\n' + "".join(tables)
        + f"[gate]\nmax_removed = {max_removed}\n",
        encoding="utf-8",
    )
    return path


def scenario(rows: int, runs: int) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from monitor.testing.fixture_server import FixtureServer

    with tempfile.TemporaryDirectory(prefix="ecmon-steady-") as tmp, FixtureServer() as server:
        folder = Path(tmp)
        server.set_route("/csl.csv", synth.csv_bytes([synth.row(n) for n in range(rows)]))
        db = folder / "steady.db"
        config = write_config(folder / "c.toml", db, {CSL: server.url_for("/csl.csv")})
        first = measure.run([ECMON, "--config", str(config), "run"])
        if first.returncode != 0 or "baseline" not in first.stdout:
            raise SystemExit(f"steady-state setup failed: {first.stdout}")
        start_bytes = live_bytes(db)
        timings, peaks = [], []
        for _ in range(runs):
            done = measure.run([ECMON, "--config", str(config), "run"])
            if "not modified" not in done.stdout:
                raise SystemExit(f"expected a 304 run, got: {done.stdout}")
            timings.append(done.seconds)
            peaks.append(done.peak_mb)
        growth = (live_bytes(db) - start_bytes) / runs
    return [
        f"| {rows:,} | whole-process s per no-change run | {measure.Stat.of(timings).cells()} |",
        f"| {rows:,} | peak RSS MB | {measure.Stat.of(peaks).cells()} |",
        f"| {rows:,} | database growth per run, bytes | {growth:.0f} | | | {runs} |",
    ]
