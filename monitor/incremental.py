"""Touch only what changed: a list file read as digested rows against the accepted ones.

The accepted state keeps, for each record, the digests of the raw rows it was built from
(``RowIndex``). A new file is read row by row: a row whose digest is known belongs to the
record it built last time and is not parsed; only new rows become Records. A key whose
multiset of row digests differs from the stored one is *dirty*: it is rebuilt from all
its rows (the known ones read again, which only a merged entity needs) and diffed. Keys
no row maps to any more are removals. Every other key is the very same record as before,
so the diff of the dirty keys is the diff of the whole files (``tests/test_incremental``
checks that on random publications).

Pure: the store supplies the index, the source the reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from monitor.models import Record, RowIndex
from monitor.sources.base import RowReader


@dataclass(frozen=True)
class Delta:
    """What differs between the index and a file: see ``Snapshot`` for the fields."""

    records: dict[str, Record]
    removed: frozenset[str]
    rows: dict[str, tuple[bytes, ...]]
    stale_rows: frozenset[bytes]
    total: int


def read_delta(reader: RowReader, index: RowIndex) -> Delta:
    """The records whose rows changed since ``index``, and the keys that vanished."""
    current: dict[str, list[bytes]] = {}
    fresh: list[Record] = []
    lists: set[str] = set()
    for row in reader.rows():
        lists.add(row.list_name)
        key = index.keys.get(row.digest)
        if key is None:
            record = reader.record(row)
            key = record.key
            fresh.append(record)
        current.setdefault(key, []).append(row.digest)
    reader.check(lists)
    dirty = {
        key: rows
        for key, rows in ((key, _sorted(digests)) for key, digests in current.items())
        if rows != index.rows.get(key)
    }
    removed = frozenset((index.rows.keys() | index.others) - current.keys())
    records = _rebuild(reader, index, dirty, fresh)
    stale = frozenset(d for key in (*dirty, *removed) for d in index.rows.get(key, ()))
    return Delta(records, removed, dirty, stale, len(current))


def _rebuild(
    reader: RowReader,
    index: RowIndex,
    dirty: Mapping[str, tuple[bytes, ...]],
    fresh: list[Record],
) -> dict[str, Record]:
    """The dirty keys' records from all their rows; known rows are read again only when a
    dirty key has one (a merged entity whose other row changed, or a new duplicate)."""
    parts = list(fresh)
    known = {d for digests in dirty.values() for d in digests if d in index.keys}
    if known:
        parts += [reader.record(row) for row in reader.rows() if row.digest in known]
    records = {record.key: record for record in reader.merge(parts)}
    missing = dirty.keys() - records.keys()
    if missing:  # a reader whose record() and rows() disagree: never guess
        raise RuntimeError(f"rows of {sorted(missing)[0]!r} built no record")
    return records


def _sorted(digests: list[bytes]) -> tuple[bytes, ...]:
    """A key's rows as a multiset: the file's row order is not a change."""
    return (digests[0],) if len(digests) == 1 else tuple(sorted(digests))
