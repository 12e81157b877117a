"""The store's side of the analysis: reading what sector tags, links and screening need,
and keeping watchlist hits with the analyst's decisions. SQL for issue 4 lives here only
(tables from ``store_schema._migration_2``); the matching itself is pure
(``monitor.analysis.watchlist``, ``monitor.analysis.links``).

A hit is keyed by (watch entry ref, source, record key). Screening upserts the hits it
finds and marks the others of a full screening as no longer present. A dismissal records
the record's content hash; when a later screening sees another hash, the hit is opened
again (status ``new``) and the reopening is logged in ``watch_decisions`` beside every
confirm and dismiss.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.analysis.links import ListAddition
from monitor.analysis.watchlist import STATUSES, Hit, effective_status
from monitor.errors import EcmonError, StoreError
from monitor.models import FieldValue, Record, utc_iso
from monitor.store import Store, codec

CSL_SOURCE = "us_csl_entity_list"
ECFR_SOURCE = "us_ecfr_entity_list"
BIS_LIST_SOURCES = (CSL_SOURCE, ECFR_SOURCE)
_SCOPE = "watchlist"  # names the transaction in StoreError messages


@dataclass(frozen=True)
class StoredHit:
    id: int
    hit: Hit
    status: str  # effective: a dismissal of an older record version reads "new"
    recorded_status: str  # as stored
    decided_hash: str | None  # the record content hash the decision was made on
    decided_at: str | None
    decision_note: str
    first_seen_at: str
    last_seen_at: str
    present: bool  # found by the latest screening


# ------------------------------------------------------------------ reading records


def actions(store: Store) -> list[tuple[str, Record]]:
    """Every action record held, with its source."""
    rows = store.db.rows("SELECT source, record_z FROM records WHERE list_name = 'action'")
    return [(row["source"], codec.record_from_blob(row["record_z"])) for row in rows]


def current_records(
    store: Store, *, lists: Sequence[str] = (), source: str | None = None
) -> Iterator[tuple[str, Record]]:
    """Every record of the accepted states (what ``ecmon screen`` checks), optionally only
    those of some lists (``el``, ``ecl``, ``action`` ...) or of one source."""
    conditions, params = ["1"], list[object]()
    if source is not None:
        conditions.append("source = ?")
        params.append(source)
    if lists:
        conditions.append(f"list_name IN ({','.join('?' * len(lists))})")
        params.extend(lists)
    sql = f"SELECT source, record_z FROM records WHERE {' AND '.join(conditions)}"
    for row in store.db.rows(f"{sql} ORDER BY source, key", params):
        yield row["source"], codec.record_from_blob(row["record_z"])


def list_additions(store: Store, *, remember: bool = False) -> list[ListAddition]:
    """BIS list entries with the date they came: CSL entries by their ``start_date`` (the
    listing announcement), eCFR additions by the date their snapshot is valid for.

    CSL entries are read as their listing facts only (``listing_facts``): grouping them
    needs those of every entry, and only the few groups a link can use need the whole
    record (``monitor.enrich.links_report`` reads those). ``remember``: see ``listing_facts``."""
    found = [
        ListAddition(CSL_SOURCE, record, record.get_text("start_date"), "CSL start_date")
        for record in listing_facts(store, CSL_SOURCE, remember=remember)
        if record.list_name != "action" and record.get_text("start_date")
    ]
    rows = store.db.rows(
        "SELECT c.after_json, s.valid_for FROM changes c JOIN runs r ON r.id = c.run_id"
        " LEFT JOIN snapshots s ON s.id = r.snapshot_id"
        " WHERE c.source = ? AND c.kind = 'added' AND s.valid_for IS NOT NULL ORDER BY c.id",
        (ECFR_SOURCE,),
    )
    found += [
        ListAddition(
            ECFR_SOURCE,
            codec.record_from_json(row["after_json"]),
            row["valid_for"],
            "eCFR valid for",
        )
        for row in rows
        if row["after_json"]
    ]
    return found


# The fields of a list entry that group it into additions (``monitor.analysis.link_events``).
LISTING_FACTS = ("start_date", "citations")


def listing_facts(store: Store, source: str, *, remember: bool = False) -> list[Record]:
    """Every current record of ``source`` with only its key, list, name, country and
    ``LISTING_FACTS``, in the order ``Store.accepted_records`` gives them (by key). No whole
    ``Record`` is built of its every field, alias and address; such a record's content hash
    is not the stored one (read the whole record to tag it).

    The facts are read from ``listing_facts`` (``store_schema._migration_14``) where they
    were kept for the record's current content hash, else from the packed record JSON.
    ``remember``: keep those read from the JSON, so the next reader does not unpack them
    (the digest; other readers, and a read-only store, only read)."""
    cursor = store.db.conn.execute(
        "SELECT r.key, r.content_hash, f.facts_json,"
        " CASE WHEN f.content_hash IS r.content_hash THEN NULL ELSE r.record_z END"
        " FROM records r LEFT JOIN listing_facts f"
        " ON f.source = r.source AND f.record_key = r.key"
        " WHERE r.source = ? ORDER BY r.key",
        (source,),
    )
    found: list[Record] = []
    read: list[tuple[str, str, str, str]] = []
    for key, content_hash, kept, packed in cursor:
        if packed is None:
            # Kept as read below: texts, and lists of texts for the tuples.
            k, list_name, name, country, fields = _decode(kept)
            values = {f: tuple(v) if type(v) is list else v for f, v in fields.items()}
            found.append(Record(k, list_name, name, country, values))
            continue
        data = json.loads(codec.unpack_json(packed))
        stored = data["fields"]
        facts: dict[str, FieldValue] = {
            name: _field_value(stored[name]) for name in LISTING_FACTS if name in stored
        }
        record = Record(
            str(data["key"]), str(data["list"]), str(data["name"]), str(data["country"]), facts
        )
        found.append(record)
        kept = [record.key, record.list_name, record.name, record.country, facts]
        read.append((source, key, content_hash, json.dumps(kept, ensure_ascii=False)))
    if remember and read and not store.read_only:
        _keep_facts(store, source, read)
    return found


_decode = json.JSONDecoder().decode  # (json.loads checks its argument's type each call)


def _keep_facts(store: Store, source: str, rows: list[tuple[str, str, str, str]]) -> None:
    """Store listing facts read from the JSON, and drop those of records no longer held.
    Only a cache: when another process holds the write lock past the busy timeout, nothing
    is kept and the next digest reads the JSON again."""
    try:
        with store.db.transaction("listing facts") as cur:
            cur.executemany(
                "INSERT OR REPLACE INTO listing_facts (source, record_key, content_hash,"
                " facts_json) VALUES (?, ?, ?, ?)",
                rows,
            )
            cur.execute(
                "DELETE FROM listing_facts WHERE source = ? AND NOT EXISTS (SELECT 1 FROM"
                " records r WHERE r.source = listing_facts.source"
                " AND r.key = listing_facts.record_key)",
                (source,),
            )
    except StoreError:
        return


def _field_value(value: object) -> FieldValue:
    """A field as ``Record.from_dict`` reads it: a list becomes a tuple of text."""
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else str(value)


# ------------------------------------------------------------------ hits


def save_hits(
    store: Store, hits: Sequence[Hit], at: datetime, *, full: bool = True
) -> list[StoredHit]:
    """Upsert ``hits`` found at ``at``; returns them as stored. With ``full`` (a screening
    of every list), hits not found again are marked as no longer present."""
    now = utc_iso(at)
    ids: list[int] = []
    with store.db.transaction(_SCOPE) as cur:
        if full:
            cur.execute("UPDATE watch_hits SET present = 0")
        for hit in hits:
            ids.append(_upsert(cur, hit, now))
    wanted = set(ids)
    return [h for h in stored_hits(store) if h.id in wanted]


def _upsert(cur: sqlite3.Cursor, hit: Hit, now: str) -> int:
    row = cur.execute(
        "SELECT id, status, decided_hash FROM watch_hits"
        " WHERE ref = ? AND source = ? AND record_key = ?",
        (hit.ref, hit.source, hit.key),
    ).fetchone()
    values = (
        hit.watch_name,
        hit.list_name,
        hit.record_name,
        hit.country,
        hit.score,
        hit.reason,
        hit.content_hash,
        now,
    )
    if row is None:
        cur.execute(
            "INSERT INTO watch_hits (watch_name, list_name, record_name, country, score, reason,"
            " content_hash, last_seen_at, ref, source, record_key, status, first_seen_at,"
            " present) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, 1)",
            (*values, hit.ref, hit.source, hit.key, now),
        )
        return int(cur.lastrowid or 0)
    hit_id, status, decided_hash = int(row[0]), str(row[1]), row[2]
    cur.execute(
        "UPDATE watch_hits SET watch_name = ?, list_name = ?, record_name = ?, country = ?,"
        " score = ?, reason = ?, content_hash = ?, last_seen_at = ?, present = 1 WHERE id = ?",
        (*values, hit_id),
    )
    if effective_status(status, decided_hash, hit.content_hash) != status:
        # The record changed since it was dismissed: the analyst must look again.
        cur.execute(
            "UPDATE watch_hits SET status = 'new', decided_hash = NULL WHERE id = ?", (hit_id,)
        )
        _log(
            cur,
            hit_id,
            "new",
            "reopened: the record changed since it was dismissed",
            hit.content_hash,
            now,
        )
    return hit_id


def stored_hits(
    store: Store, *, status: str | None = None, keys: Iterable[tuple[str, str]] | None = None
) -> list[StoredHit]:
    """Stored hits, best first; ``status`` filters on the effective status and ``keys``
    on (source, record key)."""
    rows = store.db.rows(
        "SELECT h.*, r.content_hash AS current_hash FROM watch_hits h LEFT JOIN records r"
        " ON r.source = h.source AND r.key = h.record_key ORDER BY h.score DESC, h.id"
    )
    wanted = set(keys) if keys is not None else None
    hits = [
        _stored(row)
        for row in rows
        if wanted is None or (row["source"], row["record_key"]) in wanted
    ]
    return [h for h in hits if status is None or h.status == status]


def decide(store: Store, hit_id: int, status: str, note: str, at: datetime) -> StoredHit:
    """Confirm or dismiss a hit, on the record content it was last seen with."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    now = utc_iso(at)
    with store.db.transaction(_SCOPE) as cur:
        row = cur.execute(
            "SELECT h.content_hash, r.content_hash FROM watch_hits h LEFT JOIN records r"
            " ON r.source = h.source AND r.key = h.record_key WHERE h.id = ?",
            (hit_id,),
        ).fetchone()
        if row is None:
            raise EcmonError(f"no watchlist hit with id {hit_id} (see `ecmon hits`)")
        content_hash = str(row[1] or row[0])  # the record as it stands now, if still listed
        cur.execute(
            "UPDATE watch_hits SET status = ?, decided_hash = ?, decided_at = ?,"
            " decision_note = ?, content_hash = ? WHERE id = ?",
            (status, content_hash, now, note, content_hash, hit_id),
        )
        _log(cur, hit_id, status, note, content_hash, now)
    return next(h for h in stored_hits(store) if h.id == hit_id)


def decisions(store: Store, hit_id: int) -> list[dict[str, str]]:
    """The decision log of one hit, oldest first."""
    rows = store.db.rows(
        "SELECT status, note, content_hash, decided_at FROM watch_decisions"
        " WHERE hit_id = ? ORDER BY id",
        (hit_id,),
    )
    return [{k: str(row[k] or "") for k in row.keys()} for row in rows]  # noqa: SIM118


def _log(
    cur: sqlite3.Cursor, hit_id: int, status: str, note: str, content_hash: str, now: str
) -> None:
    cur.execute(
        "INSERT INTO watch_decisions (hit_id, status, note, content_hash, decided_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (hit_id, status, note, content_hash, now),
    )


def _stored(row: sqlite3.Row) -> StoredHit:
    current = row["current_hash"] or row["content_hash"]
    hit = Hit(
        ref=row["ref"],
        watch_name=row["watch_name"] or "",
        source=row["source"],
        key=row["record_key"],
        list_name=row["list_name"] or "",
        record_name=row["record_name"] or "",
        country=row["country"] or "",
        score=float(row["score"]),
        reason=row["reason"] or "",
        content_hash=row["content_hash"],
    )
    return StoredHit(
        id=int(row["id"]),
        hit=hit,
        status=effective_status(row["status"], row["decided_hash"], current),
        recorded_status=row["status"],
        decided_hash=row["decided_hash"],
        decided_at=row["decided_at"],
        decision_note=row["decision_note"] or "",
        first_seen_at=row["first_seen_at"] or "",
        last_seen_at=row["last_seen_at"] or "",
        present=bool(row["present"]),
    )
