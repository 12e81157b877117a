"""The change document: stored changes as one plain, JSON-ready model.

``ecmon diff --format json`` prints it as is (schema:
``monitor/schemas/changes.schema.json``); the text and Markdown templates
render the same dict, so every format says the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from monitor.models import FieldChange, FieldValue, StoredChange, utc_iso

SCHEMA_VERSION = "1"

# Given a change, the government action behind it (as a JSON-ready mapping) or None.
Attributor = Callable[[StoredChange], Mapping[str, Any] | None]
# Given a change, extra keys for its entry (``sectors``, ``hits``: see ``monitor.enrich``).
Annotator = Callable[[StoredChange], Mapping[str, Any]]


def no_attribution(_change: StoredChange) -> None:
    return None


def no_annotation(_change: StoredChange) -> Mapping[str, Any]:
    return {}


_KIND_ORDER = {"added": 0, "modified": 1, "removed": 2}


def changes_document(
    changes: Sequence[StoredChange],
    *,
    query: Mapping[str, Any],
    generated_at: datetime,
    source_titles: Mapping[str, str],
    attribute: Attributor = no_attribution,
    annotate: Annotator = no_annotation,
) -> dict[str, Any]:
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
    summary = {kind: sum(1 for c in items if c.change.kind == kind) for kind in _KIND_ORDER}
    sources = sorted({c.provenance.source for c in items}, key=source_order)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": utc_iso(generated_at),
        "query": {k: v for k, v in query.items() if v is not None},
        "summary": summary,
        "sources": [{"name": s, "title": source_titles.get(s, s)} for s in sources],
        "changes": [change_to_dict(c, attribute, annotate) for c in items],
    }


def change_to_dict(
    stored: StoredChange,
    attribute: Attributor = no_attribution,
    annotate: Annotator = no_annotation,
) -> dict[str, Any]:
    change, prov = stored.change, stored.provenance
    found = attribute(stored)
    return {
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
        "fields": [field_to_dict(f) for f in change.fields],
        "attribution": dict(found) if found else None,
        "before": change.before.to_dict() if change.before else None,
        "after": change.after.to_dict() if change.after else None,
        "provenance": {
            "run_id": prov.run_id,
            "url": prov.url,
            "raw_sha256": prov.raw_sha256,
            "fetched_at": utc_iso(prov.fetched_at),
        },
        **annotate(stored),
    }


def field_to_dict(change: FieldChange) -> dict[str, Any]:
    return {
        "field": change.field,
        "before": _plain(change.before),
        "after": _plain(change.after),
        "added": list(change.added),
        "removed": list(change.removed),
    }


def _plain(value: FieldValue) -> str | list[str]:
    return list(value) if isinstance(value, tuple) else value
