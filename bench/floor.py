"""The stdlib floor: the least any CSL monitor must do, as one plain script.

Fetch the file over HTTP (urllib), hash the bytes, parse it with ``csv``, diff
keyed dicts of row digests against the stored state and store the rows and the
changes in SQLite in one transaction. No typed records, no field labels, no
rename matching, no history: a ratio ecmon / floor says what ecmon's extra work
costs, measured on the same file, on the same machine, in the same bench run.

Run as a child exactly like ``ingest.child`` (same in-process fixture server),
so the two timings of a pair differ only in the work done.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"_id", "source_list_url", "source_information_url"}  # churn without the entry changing


def cycle(url: str, conn: sqlite3.Connection) -> int:
    """One run: fetch, hash, parse, diff, store; returns the number of changes."""
    with urllib.request.urlopen(url) as response:
        raw = response.read()
    raw_sha = hashlib.sha256(raw).hexdigest()
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig")))
    header = next(reader)
    keep = [i for i, name in enumerate(header) if name not in SKIP]
    name_at, source_at = header.index("name"), header.index("source")
    current: dict[str, tuple[str, list[str]]] = {}
    for cells in reader:
        if not cells or not cells[source_at].startswith("Entity List"):
            continue
        body = "\x1f".join(cells[i] for i in keep)
        current[cells[name_at].casefold()] = (hashlib.sha256(body.encode()).hexdigest(), cells)
    stored = dict(conn.execute("SELECT key, hash FROM rows"))
    added = current.keys() - stored.keys()
    removed = stored.keys() - current.keys()
    modified = {k for k in current.keys() & stored.keys() if current[k][0] != stored[k]}
    with conn:
        conn.execute("INSERT INTO runs (raw_sha256, at) VALUES (?, ?)", (raw_sha, time.time()))
        conn.executemany("DELETE FROM rows WHERE key = ?", [(k,) for k in removed | modified])
        conn.executemany(
            "INSERT INTO rows (key, hash, cells) VALUES (?, ?, ?)",
            [(k, current[k][0], json.dumps(current[k][1])) for k in added | modified],
        )
        if stored:  # a baseline is not a change
            conn.executemany(
                "INSERT INTO changes (key, kind) VALUES (?, ?)",
                [(k, kind) for kinds, kind in ((added, "added"), (removed, "removed"),
                 (modified, "modified")) for k in kinds],
            )  # fmt: skip
    return len(added) + len(removed) + len(modified) if stored else 0


def child(folder: Path, db: Path) -> dict[str, float]:
    sys.path.insert(0, str(HERE.parent))
    from monitor.testing.fixture_server import FixtureServer

    conn = sqlite3.connect(db)
    conn.executescript(
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE IF NOT EXISTS rows (key TEXT PRIMARY KEY, hash TEXT, cells TEXT);"
        "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, raw_sha256 TEXT, at REAL);"
        "CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY, key TEXT, kind TEXT);"
    )
    timings: dict[str, float] = {}
    with FixtureServer(root=folder) as server:
        for label, name in (("cold_ingest_s", "base.csv"), ("churn_run_s", "churn.csv")):
            start = time.perf_counter()
            changes = cycle(server.url_for(name), conn)
            timings[label] = time.perf_counter() - start
            timings[label.replace("_s", "_changes")] = float(changes)
    conn.close()
    return timings


if __name__ == "__main__":
    print(json.dumps(child(Path(sys.argv[1]), Path(sys.argv[2]))))
