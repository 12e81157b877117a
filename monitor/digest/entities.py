"""Listings as the digest shows them: one entry per entity (the CSL and the eCFR
report the same entry; a reader counts entities, not feed rows), with its evidence,
and the groups new listings fall into. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from monitor.digest.actions import (
    action_summary,
    field_text,
    hits,
    identity,
    record_of,
    sectors,
    seen_at,
    texts,
)

LIST_LABELS = {
    "el": "BIS Entity List",
    "meu": "BIS Military End-User List",
    "uvl": "BIS Unverified List",
    "dpl": "BIS Denied Persons List",
    "ecl": "MOFCOM export control control list (出口管制管控名单)",
    "uel": "MOFCOM unreliable entity list (不可靠实体清单)",
}
BIS_LISTS = frozenset({"el", "meu", "uvl", "dpl"})

# ---------------------------------------------------------------- entities


def entity(change: Mapping[str, Any]) -> dict[str, Any]:
    """A listing (added, modified or removed entry) as the digest shows it."""
    record = record_of(change)
    name_zh, name_en = field_text(record, "name_zh"), field_text(record, "name_en")
    before = change.get("before") or {}
    renamed = change.get("previous_key") and before.get("name") != record.get("name")
    name = name_en or str(change["name"])
    return {
        "kind": change["kind"],
        "list": change["list"],
        "key": change["key"],
        "name": name,
        "name_zh": name_zh if name_zh != name else "",
        "country": change.get("country") or "",
        "previous_name": str(before.get("name", "")) if renamed else "",
        "labels": [],
        "sources": [],
        "sectors": [],
        "hits": [],
        "evidence": [],
        "fields": [],
        "action_key": "",
        "attribution": None,
        "change_ids": [],
        "identities": [],
        "seen_at": "",
        "start_date": "",
    }


def absorb(item: dict[str, Any], change: Mapping[str, Any], source_title: str) -> None:
    """Add one source's report of ``item`` (the CSL and the eCFR report the same entry)."""
    record = record_of(change)
    fields = record.get("fields", {})
    _extend(item["sources"], [source_title])
    _extend(item["labels"], texts(change.get("labels")))
    _extend(item["sectors"], sectors(change.get("sectors")))
    _extend(item["hits"], hits(change.get("hits")))
    _extend(item["fields"], [_field_row(f) for f in change.get("fields") or []])
    _extend(item["evidence"], _evidence(change, record))
    item["change_ids"].append(change["id"])
    item["identities"].append(identity(change))
    item["seen_at"] = max(item["seen_at"], seen_at(change))
    item["start_date"] = item["start_date"] or str(change.get("effective_date") or "")
    item["attribution"] = item["attribution"] or change.get("attribution")
    item["action_key"] = item["action_key"] or str(
        (change.get("attribution") or {}).get("action_key")
        or fields.get("status_action" if change["kind"] != "added" else "listed_by")
        or ""
    )


def _extend(target: list[Any], values: Iterable[Any]) -> None:
    for value in values:
        if value not in target:
            target.append(value)


def _field_row(change: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "field": str(change["field"]).replace("_", " "),
        "before": texts(change.get("before")),
        "after": texts(change.get("after")),
        "added": texts(change.get("added")),
        "removed": texts(change.get("removed")),
    }


def _evidence(change: Mapping[str, Any], record: Mapping[str, Any]) -> list[dict[str, str]]:
    """What a reader checks a listing against: citations, dates, licence terms, status."""
    citations = "; ".join(texts(change.get("citations")))
    if not citations and change["kind"] == "added" and change["list"] in BIS_LISTS:
        citations = "none stated in the source"
    rows = [("citation", citations)]
    if change["kind"] == "removed":
        rows.append(("listed since", str(change.get("effective_date") or "")))
    else:
        rows.append(("start date", str(change.get("effective_date") or "")))
    if change["kind"] != "added":  # the field rows say what changed; the rest is noise here
        return [{"label": label, "value": value} for label, value in rows if value]
    for name, label in (
        ("license_requirement", "license requirement"),
        ("license_policy", "license policy"),
        ("aliases", "aliases"),
        ("status", "status"),
        ("status_since", "status since"),
        ("measures", "measures"),
    ):
        rows.append((label, field_text(record, name)))
    return [{"label": label, "value": value} for label, value in rows if value]


# ------------------------------------------------------------------ groups


def group_for(
    item: Mapping[str, Any], actions: Mapping[str, Mapping[str, Any]]
) -> tuple[str, Callable[[], dict[str, Any]]]:
    """The group a new listing belongs to, and how to make it: the action that listed it
    (by its key alone when we do not hold it); else its stated start date; else its list
    alone, said so plainly."""
    attribution = item["attribution"]
    key = item["action_key"]
    if key:
        record = actions.get(key) or {"key": key, "fields": {}}
        action = action_summary(record, None, attribution)
        heading = f"{action['kind_label'].capitalize()}: {action['heading']}"
        return f"action:{key}", lambda: _group(
            f"action:{key}", heading, action["published"], action
        )
    label = _list_label(item["list"])
    if item["start_date"]:
        date = item["start_date"]
        heading = f"{label} additions with start date {date}"
        note = "No rule naming these entries is stored; grouped by the start date the list states."
        return f"start:{item['list']}:{date}", lambda: _group(
            f"start:{item['list']}:{date}", heading, date, None, note
        )
    heading = f"{label} additions (no start date or rule stated)"
    return f"list:{item['list']}", lambda: _group(f"list:{item['list']}", heading, "", None)


def _group(
    group_id: str, heading: str, date: str, action: dict[str, Any] | None, note: str = ""
) -> dict[str, Any]:
    return {
        "id": group_id,
        "heading": heading,
        "date": date,
        "action": action,
        "note": note,
        "entities": [],
    }


def _list_label(code: str) -> str:
    return LIST_LABELS.get(code, code.upper())
