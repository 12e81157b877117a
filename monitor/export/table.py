"""Exported entities as CSV (one row each, formula-safe) or JSON (every stored field)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence

from monitor.export.entities import ExportedEntity

Cell = Callable[[object], str]

COLUMNS = (
    "list",
    "key",
    "name",
    "country",
    "aliases",
    "other_names",
    "addresses",
    "status",
    "list_date",
    "citations",
    "listed_by",
    "license_requirement",
    "license_policy",
    "measures",
    "reported_by",
    "source_url",
    "raw_sha256",
    "seen_at",
)


def row(entity: ExportedEntity) -> dict[str, str]:
    """The CSV row of one entity; multi-valued cells are joined with "; "."""
    record, version = entity.record, entity.version
    return {
        "list": record.list_name,
        "key": record.key,
        "name": record.name,
        "country": record.country,
        "aliases": "; ".join(entity.values("aliases", "alt_names")),
        "other_names": "; ".join(entity.names_other),
        "addresses": "; ".join(entity.values("addresses")),
        "status": entity.status,
        "list_date": entity.list_date,
        "citations": "; ".join(entity.values("citations")),
        "listed_by": entity.text("listed_by"),
        "license_requirement": entity.text("license_requirement"),
        "license_policy": entity.text("license_policy"),
        "measures": "; ".join(entity.values("measures")),
        "reported_by": "; ".join(entity.reported_by),
        "source_url": version.url,
        "raw_sha256": version.raw_sha256,
        "seen_at": version.seen_at,
    }


def to_csv(entities: Sequence[ExportedEntity], cell: Cell) -> str:
    """CSV with a header row; ``cell`` makes each value safe for spreadsheets."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entity in entities:
        writer.writerow({k: cell(v) for k, v in row(entity).items()})
    return out.getvalue()


def to_json(entities: Sequence[ExportedEntity], *, list_name: str, as_of: str | None) -> str:
    """A JSON document: the list, the moment, and each entity with all its stored fields."""
    doc = {
        "list": list_name,
        "as_of": as_of,
        "count": len(entities),
        "entities": [
            {
                **row(entity),
                "aliases": list(entity.values("aliases", "alt_names")),
                "addresses": list(entity.values("addresses")),
                "reported_by": list(entity.reported_by),
                "fields": {k: _plain(v) for k, v in entity.record.fields.items()},
            }
            for entity in entities
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
