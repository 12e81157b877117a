"""The browsing companion: computed countermeasure links written to a small SQLite file
that Datasette serves beside the (read-only) ecmon database.

Links are computed by the analysis, not stored in the database; ``ecmon browse`` writes
the current ones here so they can be browsed and joined like the stored tables.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from monitor.errors import StoreError

LINK_COLUMNS = (
    "trigger_key",
    "trigger_date",
    "trigger_title",
    "response_key",
    "response_date",
    "response_title",
    "days_after",
    "score",
    "evidence_json",
)

_TYPES = {"days_after": "INTEGER", "score": "REAL"}


def write_links(path: Path, links: Iterable[Mapping[str, object]]) -> int:
    """Write ``links`` (rows keyed by ``LINK_COLUMNS``) into a new file; the row count."""
    rows = [tuple(_cell(link.get(c)) for c in LINK_COLUMNS) for link in links]
    try:
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TABLE IF EXISTS links")
            conn.execute(
                "CREATE TABLE links (id INTEGER PRIMARY KEY, "
                + ", ".join(f"{c} {_TYPES.get(c, 'TEXT')}" for c in LINK_COLUMNS)
                + ")"
            )
            marks = ", ".join("?" * len(LINK_COLUMNS))
            conn.executemany(
                f"INSERT INTO links ({', '.join(LINK_COLUMNS)}) VALUES ({marks})", rows
            )
        conn.close()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot write the links file {path}: {exc}") from exc
    return len(rows)


def _cell(value: object) -> object:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value
