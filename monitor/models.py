"""Plain, frozen data passed between the steps of a run.

Nothing here does I/O. Field values are either a string or a tuple of strings,
so records serialise to JSON without a schema of their own and every source
can carry its own fields while the differ stays generic.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Literal, TypedDict, cast

FieldValue = str | tuple[str, ...]


def utc_now() -> datetime:
    """Now, in UTC, to the second: the clock of runs, reviews and digests."""
    return datetime.now(UTC).replace(microsecond=0)


ChangeKind = Literal["added", "removed", "modified"]


class RecordDict(TypedDict):
    """A record's JSON form (``Record.to_dict``): a field is a string or a list of them."""

    key: str
    list: str
    name: str
    country: str
    fields: dict[str, str | list[str]]
    meta: dict[str, str]


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no whitespace: the form every content hash is taken over."""
    if _ENCODE is not None:
        return "".join(_ENCODE(value, 0))
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _no_default(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _c_encoder() -> Callable[[object, int], Sequence[str]] | None:
    """CPython's C encoder built once with ``canonical_json``'s options.

    ``json.dumps`` builds an encoder per call: a third of the time of a record's JSON, and
    every record is serialised twice per baseline (its content hash, its stored form). The
    encoder's constructor is not public API, so it is used only where it gives exactly
    what ``json.dumps`` gives on a sample; no cycle check (records hold no cycles).
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    sample = {"b": ["é", "\u2028", 'q"\\'], "a": {"z": "", "y": [1, 2.5, None, True]}}
    try:
        encode = make(
            None, _no_default, json.encoder.encode_basestring, None, ":", ",", True, False, True
        )
        got = "".join(encode(sample, 0))
    except (TypeError, ValueError):
        return None
    expected = json.dumps(sample, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return cast("Callable[[object, int], Sequence[str]]", encode) if got == expected else None


_ENCODE = _c_encoder()

# A string as ``canonical_json`` encodes it (``ensure_ascii=False``: the C function when
# CPython has it, the same one ``json.dumps`` and the C encoder use).
_encode_text: Callable[[str], str] = json.encoder.encode_basestring


def _fields_json(fields: Mapping[str, FieldValue]) -> str:
    return canonical_json(fields if type(fields) is dict else dict(fields))


def _with_value(
    fields_json: str, name: str, value: FieldValue, ordered: tuple[str, ...]
) -> str:
    """``fields_json`` (a canonical object of strings and lists of strings) with the list
    of ``name`` written in the order of ``ordered``: exactly the canonical JSON of the
    fields with that one value replaced (same keys, so same places).

    The member is found as ``{"name":[`` or ``,"name":[``: inside a JSON string every
    quote is escaped, so a quote right after ``{`` or ``,`` opens a key (list items are
    strings followed by ``,`` or ``]``, never ``:``), and keys are unique."""
    member = _encode_text(name) + ":"
    was = member + _list_json(value)
    for lead in ("{", ","):
        at = fields_json.find(lead + was)
        if at >= 0:
            start, end = at + 1, at + 1 + len(was)
            return f"{fields_json[:start]}{member}{_list_json(ordered)}{fields_json[end:]}"
    raise ValueError(f"field {name!r} not found in its record's JSON")  # cannot happen


def _list_json(values: Sequence[str]) -> str:
    return "[" + ",".join(map(_encode_text, values)) + "]"


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Record:
    """One entry of a source's snapshot.

    ``key`` is computed by ecmon (normalised name + country), never taken from a
    publisher id. ``fields`` are the content we compare and hash; ``meta`` holds
    provenance that churns without the entry changing (row ids, page URLs) and
    is excluded from the hash.
    """

    key: str
    list_name: str
    name: str
    country: str
    fields: Mapping[str, FieldValue]
    meta: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def content_hash(self) -> str:
        return _sha256_hex(self._hashed_json(None))

    def _hashed_json(self, fields_json: str | None) -> str:
        """``canonical_json`` of the hashed body: list, name, country and the fields, less
        the key and meta, with multi-valued fields sorted (a publisher re-sorting aliases or
        citations is not a change). ``fields_json``, when given, is the fields as stored
        (``_fields_json``): it is also their hashed form when every multi-valued field is
        already in order, and is then not encoded again.

        A canonical object is its sorted keys' encodings joined, so the pieces joined here
        give exactly ``canonical_json({"list":…, "name":…, "country":…, "fields":…})``."""
        unsorted: list[tuple[str, FieldValue, tuple[str, ...]]] = []
        for name, value in self.fields.items():
            # (A tuple of fewer than two values is its own sorted list as JSON.)
            if not isinstance(value, str) and len(value) > 1:
                ordered = tuple(sorted(value))
                if ordered != value:
                    unsorted.append((name, value, ordered))
        if fields_json is None:
            hashed = dict(self.fields)
            hashed.update((name, ordered) for name, _value, ordered in unsorted)
            fields_json = _fields_json(hashed)
        else:
            for name, value, ordered in unsorted:
                fields_json = _with_value(fields_json, name, value, ordered)
        return (
            f'{{"country":{_encode_text(self.country)},"fields":{fields_json},'
            f'"list":{_encode_text(self.list_name)},"name":{_encode_text(self.name)}}}'
        )

    def get_tuple(self, name: str) -> tuple[str, ...]:
        """A multi-valued field as a tuple (empty when absent; a lone string becomes one item)."""
        value = self.fields.get(name, ())
        if isinstance(value, str):
            return (value,) if value else ()
        return value

    def get_text(self, name: str) -> str:
        """A single-valued field as text (tuples are joined with '; ')."""
        value = self.fields.get(name, "")
        return value if isinstance(value, str) else "; ".join(value)

    def to_dict(self) -> RecordDict:
        """A JSON-ready form; ``Record.from_dict`` reverses it exactly."""
        return {
            "key": self.key,
            "list": self.list_name,
            "name": self.name,
            "country": self.country,
            "fields": {k: list(v) if isinstance(v, tuple) else v for k, v in self.fields.items()},
            "meta": dict(self.meta),
        }

    def to_json(self) -> str:
        """``canonical_json(self.to_dict())``, the stored form, without copying the fields
        first: tuples encode as JSON lists as they are."""
        return self._stored_json(_fields_json(self.fields))

    def json_and_hash(self) -> tuple[str, str]:
        """``(self.to_json(), self.content_hash)`` with the fields encoded once for both
        where they can be (see ``_hashed_json``): the store writes both for every record."""
        fields_json = _fields_json(self.fields)
        if "content_hash" not in self.__dict__:  # cached_property's own slot
            self.__dict__["content_hash"] = _sha256_hex(self._hashed_json(fields_json))
        return self._stored_json(fields_json), self.content_hash

    def _stored_json(self, fields_json: str) -> str:
        # Keys in canonical (sorted) order: country, fields, key, list, meta, name.
        meta = self.meta if type(self.meta) is dict else dict(self.meta)
        return (
            f'{{"country":{_encode_text(self.country)},"fields":{fields_json},'
            f'"key":{_encode_text(self.key)},"list":{_encode_text(self.list_name)},'
            f'"meta":{canonical_json(meta)},"name":{_encode_text(self.name)}}}'
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Record:
        raw_fields = data["fields"]
        raw_meta = data.get("meta") or {}
        assert isinstance(raw_fields, Mapping) and isinstance(raw_meta, Mapping)
        fields: dict[str, FieldValue] = {
            str(k): tuple(str(i) for i in v) if isinstance(v, list | tuple) else str(v)
            for k, v in raw_fields.items()
        }
        return cls(
            key=str(data["key"]),
            list_name=str(data["list"]),
            name=str(data["name"]),
            country=str(data["country"]),
            fields=fields,
            meta={str(k): str(v) for k, v in raw_meta.items()},
        )


@dataclass(frozen=True)
class RowIndex:
    """The accepted state's rows: digest -> record key, and each key's sorted digests.

    ``others`` are accepted keys without rows (a database from before row digests, or a
    state written whole): every current row is then read as new, and they can vanish.
    """

    keys: Mapping[bytes, str] = field(default_factory=dict)
    rows: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict)
    others: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Snapshot:
    """The records of one source at one time, with where and when they came from."""

    source: str
    url: str
    raw_sha256: str
    fetched_at: datetime
    records: Mapping[str, Record]
    valid_for: str | None = None
    notes: tuple[str, ...] = ()
    # A partial snapshot (``monitor.incremental``): ``records`` holds only the keys whose
    # rows changed, ``removed`` the accepted keys that vanished, ``rows`` the row digests
    # of each key in ``records`` and ``total`` how many records the whole snapshot has.
    # None for a whole snapshot, whose ``records`` are the complete state.
    rows: Mapping[str, tuple[bytes, ...]] | None = None
    removed: frozenset[str] = frozenset()
    stale_rows: frozenset[bytes] = frozenset()
    total: int | None = None

    @property
    def count(self) -> int:
        return len(self.records) if self.total is None else self.total

    @property
    def partial(self) -> bool:
        return self.rows is not None


@dataclass(frozen=True)
class FieldChange:
    """One field's before and after value inside a modified record."""

    field: str
    before: FieldValue
    after: FieldValue

    @property
    def added(self) -> tuple[str, ...]:
        """Items present after but not before (multi-valued fields only)."""
        if isinstance(self.before, tuple) and isinstance(self.after, tuple):
            old = set(self.before)
            return tuple(v for v in self.after if v not in old)
        return ()

    @property
    def removed(self) -> tuple[str, ...]:
        """Items present before but not after (multi-valued fields only)."""
        if isinstance(self.before, tuple) and isinstance(self.after, tuple):
            new = set(self.after)
            return tuple(v for v in self.before if v not in new)
        return ()


@dataclass(frozen=True)
class Change:
    """An added, removed or modified record, with field-level detail and labels.

    For a rename, ``key`` is the new key and ``previous_key`` the old one.
    """

    kind: ChangeKind
    key: str
    list_name: str
    name: str
    country: str
    before: Record | None
    after: Record | None
    fields: tuple[FieldChange, ...] = ()
    labels: tuple[str, ...] = ()
    previous_key: str | None = None

    @property
    def record(self) -> Record:
        """The record as it now stands, or as it last stood for a removal."""
        found = self.after or self.before
        assert found is not None, "a change always has a before or an after"
        return found


class RunOutcome(StrEnum):
    """What one source run ended as; stored with every run."""

    BASELINE = "baseline"  # first accepted snapshot: not reported as additions
    CHANGED = "changed"  # accepted, with changes
    UNCHANGED = "unchanged"  # parsed (or byte-identical) and nothing differs
    NOT_MODIFIED = "not_modified"  # HTTP 304: checked, nothing fetched or parsed
    SUSPECT = "suspect"  # stored for inspection, not diffed, not accepted
    FAILED = "failed"  # fetch or parse error; stored state untouched
    ARCHIVED = "archived"  # an as-of snapshot kept for comparisons; not the current state


@dataclass(frozen=True)
class RunInfo:
    """Facts about one source run that the store records whatever its outcome."""

    source: str
    url: str
    started_at: datetime
    finished_at: datetime
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class TimelineEvent:
    """One step in an entity's history (``ecmon history``)."""

    at: str
    run_id: int
    source: str
    kind: str  # baseline | added | modified | removed | renamed
    record: Record
    change: StoredChange | None = None
    valid_for: str = ""  # the date the snapshot it came from is valid for (eCFR amendments)


@dataclass(frozen=True)
class Provenance:
    """Where a stored change came from."""

    source: str
    run_id: int
    url: str
    raw_sha256: str
    fetched_at: datetime
    valid_for: str = ""  # the date its snapshot is valid for, where the source says (eCFR)


@dataclass(frozen=True)
class StoredChange:
    """A change as the store keeps it: the change and its provenance."""

    id: int
    change: Change
    provenance: Provenance

    @property
    def citations(self) -> tuple[str, ...]:
        return self.change.record.get_tuple("citations")

    @property
    def effective_date(self) -> str:
        return self.change.record.get_text("start_date")


@dataclass(frozen=True)
class RunSummary:
    """The one-line result of one source run, as the CLI and daemon report it."""

    source: str
    outcome: RunOutcome
    run_id: int | None
    record_count: int | None = None
    added: int = 0
    removed: int = 0
    modified: int = 0
    message: str = ""
    error_kind: str | None = None
    exit_code: int = 0  # a failed run: the exit code of its error class (errors.py)


@dataclass(frozen=True)
class SourceStatus:
    """A source's health as ``ecmon status`` shows it."""

    source: str
    enabled: bool
    last_outcome: str | None
    last_run_at: str | None
    last_success_at: str | None
    consecutive_failures: int
    last_error: str | None
    record_count: int
    suspect_reason: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)


def utc_iso(moment: datetime) -> str:
    """A timestamp as stored: ISO 8601 in UTC with seconds."""
    return moment.isoformat(timespec="seconds")
