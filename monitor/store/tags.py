"""Sector tags kept once computed (issue 17, "tag once"): the table ``sector_tags``
(``store_schema._migration_13``) holds the pure tagger's answer
(``monitor.analysis.sectors.classify_record``) per (source, record key, content hash,
listing action), under the taxonomy fingerprint it was computed with.

A record's tags depend only on its content, the action that listed it and the taxonomy,
so a stored answer is reused while all three are the same: a new record version has
another content hash, a later-known listing action another ``listing``, and an edit of
``monitor/data/sectors.toml`` (or of the matching code, ``taxonomy.MATCHING_VERSION``)
another fingerprint, under which nothing stored is found and the older rows are replaced
at the next write. Analysts' overrides are not stored: they are applied after, each time.

Written lazily: the digest (``ecmon digest``, the outbox's compose, ``ecmon feed``: all
through ``monitor.digest.inputs.change_document``) stores what it computed with ``save``;
the other commands (``ecmon diff``, ``links``, ``browse``, ``sectors``) only read, so
browsing never writes, and a read-only store only reads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from monitor.analysis.sectors import Evidence, SectorTag
from monitor.errors import StoreError
from monitor.store import Store

_SCOPE = "sector tags"
# (source, record key, content hash, listing) -> the tags.
TagKey = tuple[str, str, str, str]
_CHUNK = 500  # keys per query (SQLite's default limit is 999 variables)


class TagStore:
    """Stored sector tags of one taxonomy fingerprint: ``get`` reads, ``put`` queues,
    ``save`` writes what was queued in one transaction."""

    def __init__(self, store: Store, fingerprint: str) -> None:
        self.store = store
        self.fingerprint = fingerprint
        self._found: dict[TagKey, tuple[SectorTag, ...]] = {}
        self._loaded: set[tuple[str, str]] = set()
        self._new: dict[TagKey, tuple[SectorTag, ...]] = {}

    def get(self, key: TagKey) -> tuple[SectorTag, ...] | None:
        """The stored tags of ``key``, or None when they were never computed under this
        taxonomy. One indexed query per record key (its every version and listing)."""
        if key in self._new:
            return self._new[key]
        if (key[0], key[1]) not in self._loaded:
            self._read(
                "source = ? AND taxonomy = ? AND record_key = ?",
                [key[0], self.fingerprint, key[1]],
            )
            self._loaded.add((key[0], key[1]))
        return self._found.get(key)

    def preload(self, source: str, keys: Iterable[str]) -> None:
        """Read the stored tags of many record keys of ``source`` at once (a digest's
        changes), so ``get`` answers them without a query each."""
        wanted = sorted({k for k in keys if (source, k) not in self._loaded})
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            self._read(
                f"source = ? AND taxonomy = ? AND record_key IN ({marks})",
                [source, self.fingerprint, *chunk],
            )
            self._loaded.update((source, key) for key in chunk)

    def put(self, key: TagKey, tags: tuple[SectorTag, ...]) -> None:
        self._new[key] = tags

    def save(self) -> int:
        """Write the tags computed since the last save; returns how many. Rows of another
        taxonomy for the same records are replaced. Nothing is written to a read-only
        store, or when another process holds the write lock past the busy timeout: the
        tags are only a cache, and the next command computes them again."""
        if not self._new or self.store.read_only:
            self._new.clear()
            return 0
        rows = [
            (source, key, content_hash, listing, self.fingerprint, encode(tags))
            for (source, key, content_hash, listing), tags in self._new.items()
        ]
        try:
            with self.store.db.transaction(_SCOPE) as cur:
                cur.executemany(
                    "INSERT OR REPLACE INTO sector_tags (source, record_key, content_hash,"
                    " listing, taxonomy, tags_json) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except StoreError:
            return 0
        self._found.update(self._new)
        self._new.clear()
        return len(rows)

    def _read(self, where: str, params: Sequence[str]) -> None:
        try:
            cursor = self.store.db.conn.execute(
                "SELECT source, record_key, content_hash, listing, tags_json FROM sector_tags"
                f" WHERE {where}",
                params,
            )
            for source, key, content_hash, listing, tags_json in cursor:
                self._found[(source, key, content_hash, listing)] = decode(tags_json)
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.store.path}: {exc}", source=_SCOPE) from exc


def encode(tags: Sequence[SectorTag]) -> str:
    """Compact JSON: ``[[sector, [[field, matched, rule, note], ...]], ...]``."""
    return json.dumps(
        [[t.sector, [[e.field, e.matched, e.rule, e.note] for e in t.evidence]] for t in tags],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(text: str) -> tuple[SectorTag, ...]:
    """The tags ``encode`` wrote; a row that is not that shape is a StoreError."""
    try:
        data = json.loads(text)
        return tuple(
            SectorTag(str(sector), tuple(Evidence(*map(str, item)) for item in evidence))
            for sector, evidence in data
        )
    except (ValueError, TypeError) as exc:
        raise StoreError(f"sector_tags: unreadable stored tags {text[:80]!r}: {exc}") from exc
