"""Touch only what changed: a list file read as digested rows against the accepted ones.

The accepted state keeps, for each record, the digests of the raw rows it was built from
(``RowIndex``). A new file is read row by row: a row whose digest is known belongs to the
record it built last time and is not parsed; only new rows become Records. A key whose
multiset of row digests differs from the stored one is *dirty*: it is rebuilt from all
its rows (the known ones read again, which only a merged entity needs) and diffed. Keys
no row maps to any more are removals. Every other key is the very same record as before,
so the diff of the dirty keys is the diff of the whole files (``tests/test_incremental``
checks that on random publications).

A baseline has nothing accepted to compare with: ``stream_baseline`` reads it in
batches handed to the store as they are read, so only one batch of Records is alive at
a time (a 200,000-row file held all its Records, ~3 KB each, until the store).

Pure: the store supplies the index (or the sink), the source the reader.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from monitor.models import Record, RowIndex
from monitor.sources.base import Row, RowReader

# Rows parsed before a batch is handed over: ~3 KB of Record each, so ~6 MB at a time.
BATCH_ROWS = 2000


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
    # Key -> its rows' digests in this file; None for a key met once so far, on the one
    # row it was accepted with (most keys: no list and no digest copy kept for them).
    current: dict[str, list[bytes] | None] = {}
    fresh: list[Record] = []
    lists: set[str] = set()
    for row in reader.rows():
        lists.add(row.list_name)
        key = index.keys.get(row.digest)
        if key is None:
            record = reader.record(row)
            key = record.key
            fresh.append(record)
        elif key not in current and len(index.rows.get(key, ())) == 1:
            current[key] = None
            continue
        digests = current.get(key)
        if digests is None:
            digests = [*index.rows[key]] if key in current else []
            current[key] = digests
        digests.append(row.digest)
    reader.check(lists)
    dirty: dict[str, tuple[bytes, ...]] = {}
    for key, found in current.items():
        if found is not None and (rows := _sorted(found)) != index.rows.get(key):
            dirty[key] = rows
    removed = frozenset(key for key in index.rows if key not in current)
    removed |= index.others - current.keys()
    records = _rebuild(reader, index, dirty, fresh)
    stale = frozenset(d for key in (*dirty, *removed) for d in index.rows.get(key, ()))
    return Delta(records, removed, dirty, stale, len(current))


def _rebuild(
    reader: RowReader,
    index: RowIndex,
    dirty: Mapping[str, tuple[bytes, ...]],
    fresh: list[Record],
) -> dict[str, Record]:
    """The dirty keys' records from all their rows; the file is read again only when a
    dirty key has a known row (a merged entity whose other row changed, or a new
    duplicate). Such a key's rows are then all parsed again in file order, as the whole
    file's merge meets them: the merge keeps its first row's order of multi-valued
    fields, so its fresh rows first and its known rows after would store another order."""
    reread = {
        key: set(digests)
        for key, digests in dirty.items()
        if any(d in index.keys for d in digests)
    }
    parts = [record for record in fresh if record.key not in reread]
    if reread:
        wanted = set().union(*reread.values())
        parts += [reader.record(row) for row in reader.rows() if row.digest in wanted]
    records = {record.key: record for record in reader.merge(parts)}
    missing = dirty.keys() - records.keys()
    if missing:  # a reader whose record() and rows() disagree: never guess
        raise RuntimeError(f"rows of {sorted(missing)[0]!r} built no record")
    return records


def _sorted(digests: list[bytes]) -> tuple[bytes, ...]:
    """A key's rows as a multiset: the file's row order is not a change."""
    return (digests[0],) if len(digests) == 1 else tuple(sorted(digests))


class BaselineSink(Protocol):
    """Where a streamed baseline goes (the store, inside its one transaction)."""

    def add(self, records: Sequence[Record], rows: Sequence[tuple[bytes, str]]) -> None:
        """Records of keys never added before, and (digest, key) of every row read."""
        ...

    def digests_of(self, keys: Collection[str]) -> set[bytes]:
        """The digests of the rows added so far under ``keys``."""
        ...

    def rewrite(self, records: Sequence[Record]) -> None:
        """Replace added records by these (same keys) rebuilt from all their rows."""
        ...


def stream_baseline(reader: RowReader, sink: BaselineSink, batch_rows: int | None = None) -> int:
    """Read a whole file into ``sink`` batch by batch (``BATCH_ROWS`` rows unless told);
    returns its number of records.

    The records are those ``read_delta`` finds against an empty index: a key whose rows
    all fall in one batch is merged there; a key met again in a later batch (its record
    already added) is rebuilt at the end from all its rows, read again by digest, so the
    merge sees every row of the key at once, as the full parse does.
    """
    with _no_cycle_collection():
        return _stream(reader, sink, BATCH_ROWS if batch_rows is None else max(batch_rows, 1))


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while a baseline is read.

    Each row allocates a few dozen containers (cells, Record, fields, tuples), so the
    collector ran ~300 times on a 20,000-row baseline, its oldest generation scanning
    every object alive (the imports' included): ~0.1 s of a ~1.6 s run. The rows, Records
    and store rows form no reference cycles, so reference counting frees them as before;
    cycles made meanwhile elsewhere (an exception's traceback) wait for the next
    collection after the baseline, which runs as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _stream(reader: RowReader, sink: BaselineSink, size: int) -> int:
    seen: set[str] = set()
    late: set[str] = set()
    lists: set[str] = set()
    batch: list[tuple[Row, Record]] = []
    for row in reader.rows():
        lists.add(row.list_name)
        batch.append((row, reader.record(row)))
        if len(batch) >= size:
            _hand_over(reader, sink, batch, seen, late)
            batch = []
    _hand_over(reader, sink, batch, seen, late)
    reader.check(lists)
    if late:
        digests = sink.digests_of(late)
        parts = [reader.record(row) for row in reader.rows() if row.digest in digests]
        sink.rewrite(reader.merge(parts))
    return len(seen)


def _hand_over(
    reader: RowReader,
    sink: BaselineSink,
    batch: Sequence[tuple[Row, Record]],
    seen: set[str],
    late: set[str],
) -> None:
    """Add a batch's new keys (merged within the batch); note the keys seen before."""
    fresh = [record for _row, record in batch if record.key not in seen]
    late.update(record.key for _row, record in batch if record.key in seen)
    seen.update(record.key for record in fresh)
    rows = [(row.digest, record.key) for row, record in batch]
    sink.add(reader.merge(fresh), rows)
