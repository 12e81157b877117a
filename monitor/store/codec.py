"""How models become store rows and back (pure: no SQL is executed here).

Used only by ``monitor.store.store`` and ``monitor.store.write``. Records are kept as
canonical JSON (``Record.to_dict``), so ``record_from_json(record_json(r)) == r``
exactly, tuples included; timestamps as ISO-8601 UTC text. The ``record_z`` columns hold
that JSON packed (``pack_json``: deflated against a preset dictionary), about a fifth of
its size; ``unpack_json`` gives back the same text.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime

from monitor.errors import StoreError
from monitor.keys import fold_name
from monitor.models import (
    Change,
    FieldChange,
    FieldValue,
    Provenance,
    Record,
    StoredChange,
    utc_iso,
)
from monitor.store.zdict import RECORD_ZDICT_V1


def iso(moment: datetime) -> str:
    """A timestamp as stored: ISO 8601 in UTC (a naive time is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return utc_iso(aware.astimezone(UTC))


def record_json(record: Record) -> str:
    return record.to_json()


def record_from_json(text: str) -> Record:
    return Record.from_dict(json.loads(text))


# The first byte of a packed record says how the rest is to be read; 1: raw deflate
# against ``RECORD_ZDICT_V1``. Compression settings may change (any window up to 32 KiB
# reads back); the dictionary of a format never does.
_FORMAT_1 = b"\x01"


# One compressor primed with the dictionary, copied per record: priming hashes the whole
# dictionary, which costs more than compressing a record. A small window and hash table
# (a record is a few KiB at most) keep the copy cheap. Level 3, not 6: on the real 2022
# CSL's 2,735 records 16.4 µs a record instead of 19.5 µs, 666 kB instead of 648 kB.
_PRIMED = zlib.compressobj(3, zlib.DEFLATED, -12, 4, zlib.Z_DEFAULT_STRATEGY, RECORD_ZDICT_V1)


def pack_json(text: str) -> bytes:
    """A record's JSON as stored in a ``record_z`` column (format 1)."""
    packer = _PRIMED.copy()
    return _FORMAT_1 + packer.compress(text.encode("utf-8")) + packer.flush()


def unpack_json(data: bytes) -> str:
    """``pack_json`` reversed; a value of another format is a StoreError."""
    if data[:1] != _FORMAT_1:
        raise StoreError(f"stored record of unknown format {bytes(data[:1])!r}")
    unpacker = zlib.decompressobj(-15, RECORD_ZDICT_V1)
    try:
        text = unpacker.decompress(data[1:]) + unpacker.flush()
    except zlib.error as exc:
        raise StoreError(f"stored record is damaged: {exc}") from exc
    if not unpacker.eof:
        raise StoreError("stored record is cut short")
    return text.decode("utf-8")


def record_blob(record: Record) -> bytes:
    """A record as its ``record_z`` column holds it."""
    return pack_json(record_json(record))


def record_from_blob(data: bytes) -> Record:
    return record_from_json(unpack_json(data))


def records_blob(records: Iterable[Record]) -> bytes:
    """Records as one zlib-compressed JSON array (a held snapshot's records)."""
    return compress_json_array(record_json(r) for r in records)


def compress_json_array(items: Iterable[str]) -> bytes:
    """JSON texts as one zlib-compressed JSON array, compressed as they come (a held
    200,000-record state is ~170 MB of JSON)."""
    packer = zlib.compressobj(6)
    parts = [packer.compress(b"[")]
    for number, item in enumerate(items):
        parts.append(packer.compress((b"," if number else b"") + item.encode("utf-8")))
    parts.append(packer.compress(b"]"))
    parts.append(packer.flush())
    return b"".join(parts)


def records_from_blob(data: bytes) -> dict[str, Record]:
    """``records_blob`` reversed, by key."""
    items = json.loads(zlib.decompress(data).decode("utf-8"))
    records = (Record.from_dict(item) for item in items)
    return {record.key: record for record in records}


def search_text(record: Record) -> str:
    """Aliases and other name fields, plus the folded forms, for the FTS index.

    A field counts as a name when its name contains "alias" or "name"
    (``aliases``, ``alt_names``, ``chinese_name``...).
    """
    names = [
        value
        for field, raw in record.fields.items()
        if "alias" in field.lower() or "name" in field.lower()
        for value in _values(raw)
    ]
    folded = [fold_name(text) for text in (record.name, *names)]
    return "\n".join(dict.fromkeys(text for text in (*names, *folded) if text))


def _values(value: FieldValue) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def _json_value(value: FieldValue) -> str | list[str]:
    return list(value) if isinstance(value, tuple) else value


def change_columns(change: Change) -> dict[str, object]:
    """The ``changes`` columns that come from the change itself."""
    fields = [
        {"field": f.field, "before": _json_value(f.before), "after": _json_value(f.after)}
        for f in change.fields
    ]
    return {
        "kind": change.kind,
        "key": change.key,
        "previous_key": change.previous_key,
        "list_name": change.list_name,
        "name": change.name,
        "country": change.country,
        "labels_json": json.dumps(list(change.labels), ensure_ascii=False),
        "fields_json": json.dumps(fields, ensure_ascii=False),
        "before_json": record_json(change.before) if change.before else None,
        "after_json": record_json(change.after) if change.after else None,
    }


class Filter:
    """AND-ed WHERE conditions whose value is given (None means no condition)."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.params: list[object] = []

    def add(self, condition: str, value: object) -> None:
        if value is not None:
            self._parts.append(condition)
            self.params.append(value)

    def sql(self) -> str:
        return " AND ".join(self._parts) or "1"


def entity(row: sqlite3.Row) -> tuple[str, str, str, str]:
    return (row["source"], row["key"], row["name"], row["country"] or "")


def _field_value(value: object) -> FieldValue:
    return tuple(str(v) for v in value) if isinstance(value, list) else str(value)


def stored_change(row: sqlite3.Row) -> StoredChange:
    before = record_from_json(row["before_json"]) if row["before_json"] else None
    after = record_from_json(row["after_json"]) if row["after_json"] else None
    fields = tuple(
        FieldChange(item["field"], _field_value(item["before"]), _field_value(item["after"]))
        for item in json.loads(row["fields_json"] or "[]")
    )
    change = Change(
        kind=row["kind"],
        key=row["key"],
        list_name=row["list_name"] or "",
        name=row["name"] or "",
        country=row["country"] or "",
        before=before,
        after=after,
        fields=fields,
        labels=tuple(json.loads(row["labels_json"] or "[]")),
        previous_key=row["previous_key"],
    )
    provenance = Provenance(
        source=row["source"],
        run_id=row["run_id"],
        url=row["snapshot_url"] or row["run_url"],
        raw_sha256=row["raw_sha256"] or "",
        fetched_at=datetime.fromisoformat(row["fetched_at"] or row["finished_at"]),
        valid_for=row["valid_for"] or "",
    )
    return StoredChange(id=row["id"], change=change, provenance=provenance)
