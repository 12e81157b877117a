"""The store's side of ``ecmon export``: one list's entities as they stood, with provenance.

A list (``el``, ``uel`` ...) may be held by several sources (the CSL file and the eCFR
both hold the Entity List). Each stored version of a record knows the run that brought
it (``from_run``) and the run that replaced or removed it (``to_run``); "as of" a moment
is every version brought by a run finished by then and not yet replaced by one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from monitor.models import Record
from monitor.store import Store, codec


@dataclass(frozen=True)
class ListedVersion:
    """One record version of a list, with the run that brought it."""

    source: str
    record: Record
    url: str  # the URL the bringing run fetched
    raw_sha256: str  # the hash of the raw bytes it was parsed from
    seen_at: str  # when that run finished (UTC, ISO 8601)


_CURRENT = (
    "SELECT r.source, r.record_z, u.url, u.raw_sha256, u.finished_at"
    " FROM records r JOIN runs u ON u.id = r.last_changed_run"
    " WHERE r.list_name = ? ORDER BY r.source, r.key"
)
# A version counts when its run had finished by the moment and no run finished by then
# replaced it. ``record_versions`` holds every version, the current one included (its
# JSON in ``records`` while it is current).
_AS_OF = (
    "SELECT v.source, coalesce(v.record_z, c.record_z) AS record_z,"
    " f.url, f.raw_sha256, f.finished_at"
    " FROM record_versions v JOIN runs f ON f.id = v.from_run"
    " LEFT JOIN runs t ON t.id = v.to_run"
    " LEFT JOIN records c ON v.to_run IS NULL AND c.source = v.source AND c.key = v.key"
    " WHERE f.finished_at <= ? AND (t.id IS NULL OR t.finished_at > ?)"
    " ORDER BY v.source, v.key"
)


def listed(store: Store, list_name: str, as_of: str | None = None) -> list[ListedVersion]:
    """The records of ``list_name`` now, or as accepted by the end of ``as_of`` (an ISO
    timestamp compared with run finish times)."""
    if as_of is None:
        rows = store.db.rows(_CURRENT, (list_name,))
    else:
        # Versions carry their list inside the JSON only; filtered after decoding.
        rows = store.db.rows(_AS_OF, (as_of, as_of))
    found = (_version(row) for row in rows)
    return [v for v in found if v.record.list_name == list_name]


def known_lists(store: Store) -> list[str]:
    """The list names the database holds records of (actions aside)."""
    rows = store.db.rows(
        "SELECT DISTINCT list_name FROM records WHERE list_name != 'action' ORDER BY 1"
    )
    return [str(row["list_name"]) for row in rows]


def _version(row: sqlite3.Row) -> ListedVersion:
    return ListedVersion(
        source=row["source"],
        record=codec.record_from_blob(row["record_z"]),
        url=row["url"] or "",
        raw_sha256=row["raw_sha256"] or "",
        seen_at=row["finished_at"] or "",
    )
