"""The change document: stored changes as one plain, JSON-ready model.

``ecmon diff --format json`` prints it as is (schema:
``monitor/schemas/changes.schema.json``); the text and Markdown templates
render the same dict, so every format says the same thing. Its shape is declared
here (``ChangesDocument`` and the TypedDicts it holds), so mypy checks every key that
the writers here and in ``monitor.enrich`` set and that the digest reads; key order
is the JSON's order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import NotRequired, TypedDict

from monitor.analysis.links import LinkDict
from monitor.analysis.sectors import SectorItem
from monitor.listdates import list_date
from monitor.models import FieldChange, FieldValue, RecordDict, StoredChange, utc_iso
from monitor.redact import redact_url

SCHEMA_VERSION = "1"


class AttributionDict(TypedDict):
    """The government action behind a change (``monitor.enrich.attribution_dict``)."""

    action_key: str
    instrument: str
    document_number: str
    title: str
    published: str
    url: str
    evidence: str


class HitDict(TypedDict):
    """A watchlist hit on a changed record, with the analyst's stored decision."""

    ref: str
    watch_name: str
    score: float
    reason: str
    status: str
    id: int | None


class Annotation(TypedDict, total=False):
    """Extra keys of a change entry (``monitor.enrich.annotator``)."""

    sectors: list[SectorItem]
    hits: list[HitDict]  # only when a watchlist is configured


class FieldDict(TypedDict):
    field: str
    before: str | list[str]
    after: str | list[str]
    added: list[str]
    removed: list[str]


class ProvenanceDict(TypedDict):
    run_id: int
    url: str
    raw_sha256: str
    fetched_at: str


class ListDateDict(TypedDict):
    """The date the list itself gives a change, and what that date is (``monitor.listdates``)."""

    date: str
    basis: str


class ChangeDict(TypedDict):
    id: int
    kind: str
    source: str
    list: str
    key: str
    previous_key: str | None
    name: str
    country: str
    labels: list[str]
    citations: list[str]
    effective_date: str | None
    list_date: ListDateDict | None
    fields: list[FieldDict]
    attribution: AttributionDict | None
    before: RecordDict | None
    after: RecordDict | None
    provenance: ProvenanceDict
    sectors: NotRequired[list[SectorItem]]
    hits: NotRequired[list[HitDict]]


class Summary(TypedDict):
    added: int
    modified: int
    removed: int


class SourceRef(TypedDict):
    name: str
    title: str


# What a document was asked for (``runs``, ``source``, ``since``...): JSON values.
Query = Mapping[str, object]


class ChangesDocument(TypedDict):
    schema_version: str
    generated_at: str
    query: dict[str, object]
    summary: Summary
    sources: list[SourceRef]
    changes: list[ChangeDict]
    links: NotRequired[list[LinkDict]]  # the digest's input adds the links touching changes


# Given a change, the government action behind it, or None.
Attributor = Callable[[StoredChange], AttributionDict | None]
# Given a change, extra keys for its entry (``sectors``, ``hits``: see ``monitor.enrich``).
Annotator = Callable[[StoredChange], Annotation]


def no_attribution(_change: StoredChange) -> None:
    return None


def no_annotation(_change: StoredChange) -> Annotation:
    return {}


_KIND_ORDER = {"added": 0, "modified": 1, "removed": 2}


def changes_document(
    changes: Sequence[StoredChange],
    *,
    query: Query,
    generated_at: datetime,
    source_titles: Mapping[str, str],
    attribute: Attributor = no_attribution,
    annotate: Annotator = no_annotation,
) -> ChangesDocument:
    """The whole document for a set of stored changes.

    Sources appear in the order of ``source_titles`` (the registry's: the BIS lists,
    then the rules, then MOFCOM); unknown ones after them, by name.
    """
    rank = {name: index for index, name in enumerate(source_titles)}

    def source_order(name: str) -> tuple[int, str]:
        return rank.get(name, len(rank)), name

    items = sorted(
        changes,
        key=lambda c: (
            source_order(c.provenance.source),
            _KIND_ORDER[c.change.kind],
            c.change.list_name != "action",  # the act first, then the entries it lists
            c.change.name.casefold(),
        ),
    )
    counts = {kind: sum(1 for c in items if c.change.kind == kind) for kind in _KIND_ORDER}
    summary = Summary(added=counts["added"], modified=counts["modified"], removed=counts["removed"])
    sources = sorted({c.provenance.source for c in items}, key=source_order)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": utc_iso(generated_at),
        "query": {k: v for k, v in query.items() if v is not None},
        "summary": summary,
        "sources": [SourceRef(name=s, title=source_titles.get(s, s)) for s in sources],
        "changes": [change_to_dict(c, attribute, annotate) for c in items],
    }


def _list_date(stored: StoredChange) -> ListDateDict | None:
    stated = list_date(stored.provenance.source, stored.change.record, stored.provenance.valid_for)
    return {"date": stated.date, "basis": stated.basis} if stated.date else None


def change_to_dict(
    stored: StoredChange,
    attribute: Attributor = no_attribution,
    annotate: Annotator = no_annotation,
) -> ChangeDict:
    change, prov = stored.change, stored.provenance
    found = attribute(stored)
    entry: ChangeDict = {
        "id": stored.id,
        "kind": change.kind,
        "source": prov.source,
        "list": change.list_name,
        "key": change.key,
        "previous_key": change.previous_key,
        "name": change.name,
        "country": change.country,
        "labels": list(change.labels),
        "citations": list(stored.citations),
        "effective_date": stored.effective_date or None,
        "list_date": _list_date(stored),
        "fields": [field_to_dict(f) for f in change.fields],
        "attribution": found,
        "before": change.before.to_dict() if change.before else None,
        "after": change.after.to_dict() if change.after else None,
        "provenance": {
            "run_id": prov.run_id,
            "url": redact_url(prov.url),
            "raw_sha256": prov.raw_sha256,
            "fetched_at": utc_iso(prov.fetched_at),
        },
    }
    extra = annotate(stored)
    if "sectors" in extra:  # in this order: the JSON's keys
        entry["sectors"] = extra["sectors"]
    if "hits" in extra:
        entry["hits"] = extra["hits"]
    return entry


def field_to_dict(change: FieldChange) -> FieldDict:
    return {
        "field": change.field,
        "before": _plain(change.before),
        "after": _plain(change.after),
        "added": list(change.added),
        "removed": list(change.removed),
    }


def _plain(value: FieldValue) -> str | list[str]:
    return list(value) if isinstance(value, tuple) else value
