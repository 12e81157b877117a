"""Listings as the digest shows them: one entry per entity (the CSL and the eCFR
report the same entry; a reader counts entities, not feed rows), with its evidence,
and the groups new listings fall into. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from monitor.changeset import ChangeDict, FieldDict
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
from monitor.digest.types import ActionSummary, Entity, EvidenceRow, FieldRow, Group
from monitor.models import RecordDict

T = TypeVar("T")

LIST_LABELS = {
    "el": "BIS Entity List",
    "meu": "BIS Military End-User List",
    "uvl": "BIS Unverified List",
    "dpl": "BIS Denied Persons List",
    "ecl": "MOFCOM export control control list (出口管制管控名单)",
    "uel": "MOFCOM unreliable entity list (不可靠实体清单)",
    "mfa": "MFA countermeasure list (反制清单)",
}
BIS_LISTS = frozenset({"el", "meu", "uvl", "dpl"})

# ---------------------------------------------------------------- entities


def entity(change: ChangeDict) -> Entity:
    """A listing (added, modified or removed entry) as the digest shows it."""
    record = record_of(change)
    name_zh, name_en = field_text(record, "name_zh"), field_text(record, "name_en")
    before = change["before"]
    renamed = change["previous_key"] and (before["name"] if before else None) != record["name"]
    name = name_en or change["name"]
    return {
        "kind": change["kind"],
        "list": change["list"],
        "key": change["key"],
        "name": name,
        "name_zh": name_zh if name_zh != name else "",
        "country": change["country"] or "",
        "previous_name": before["name"] if renamed and before else "",
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


def absorb(
    item: Entity, change: ChangeDict, source_title: str, identities: Mapping[int, str] | None = None
) -> None:
    """Add one source's report of ``item`` (the CSL and the eCFR report the same entry).
    ``identities``: the changes' identities already known (``actions.identities_of``)."""
    record = record_of(change)
    fields = record["fields"]
    _extend(item["sources"], [source_title])
    _extend(item["labels"], texts(change["labels"]))
    _extend(item["sectors"], sectors(change.get("sectors")))
    _extend(item["hits"], hits(change.get("hits")))
    _extend(item["fields"], [_field_row(f) for f in change["fields"]])
    _extend(item["evidence"], _evidence(change, record))
    item["change_ids"].append(change["id"])
    item["identities"].append(identity(change, identities))
    item["seen_at"] = max(item["seen_at"], seen_at(change))
    item["start_date"] = item["start_date"] or (change["effective_date"] or "")
    item["attribution"] = item["attribution"] or change["attribution"]
    attributed = change["attribution"]["action_key"] if change["attribution"] else ""
    stated = fields.get("status_action" if change["kind"] != "added" else "listed_by")
    item["action_key"] = item["action_key"] or str(attributed or stated or "")


def _extend(target: list[T], values: Iterable[T]) -> None:
    for value in values:
        if value not in target:
            target.append(value)


def _field_row(change: FieldDict) -> FieldRow:
    return {
        "field": change["field"].replace("_", " "),
        "before": texts(change["before"]),
        "after": texts(change["after"]),
        "added": texts(change["added"]),
        "removed": texts(change["removed"]),
    }


def _evidence(change: ChangeDict, record: RecordDict) -> list[EvidenceRow]:
    """What a reader checks a listing against: citations, dates, licence terms, status."""
    citations = "; ".join(texts(change["citations"]))
    if not citations and change["kind"] == "added" and change["list"] in BIS_LISTS:
        citations = "none stated in the source"
    rows = [("citation", citations)]
    if change["kind"] == "removed":
        rows.append(("listed since", change["effective_date"] or ""))
    else:
        rows.append(("start date", change["effective_date"] or ""))
    # The list's own date beside when ecmon saw it (issue 15): a backfilled amendment reads
    # its amendment day, not the day it was fetched. The CSL's is the start date above.
    stated = change.get("list_date")
    if stated and stated["date"] != change["effective_date"] and stated["basis"] != "status since":
        rows.append(("list date", f"{stated['date']} ({stated['basis']})"))
    rows.append(("seen by ecmon", seen_at(change)[:10]))
    if change["kind"] != "added":  # the field rows say what changed; the rest is noise here
        return [EvidenceRow(label=label, value=value) for label, value in rows if value]
    for name, label in (
        ("license_requirement", "license requirement"),
        ("license_policy", "license policy"),
        ("aliases", "aliases"),
        ("status", "status"),
        ("status_since", "status since"),
        ("measures", "measures"),
        ("role", "role"),
    ):
        rows.append((label, field_text(record, name)))
    return [EvidenceRow(label=label, value=value) for label, value in rows if value]


# ------------------------------------------------------------------ groups


def group_for(item: Entity, actions: Mapping[str, RecordDict]) -> tuple[str, Callable[[], Group]]:
    """The group a new listing belongs to, and how to make it: the action that listed it
    (by its key alone when we do not hold it); else its stated start date; else its list
    alone, said so plainly."""
    attribution = item["attribution"]
    key = item["action_key"]
    if key:
        record = actions.get(key) or RecordDict(
            key=key, list="", name="", country="", fields={}, meta={}
        )
        action = action_summary(record, None, attribution)
        heading = f"{action['kind_label'].capitalize()}: {action['heading']}"
        date = action["published"] or field_text(record, "announced")  # a filed rule: its day
        return f"action:{key}", lambda: _group(f"action:{key}", heading, date, action)
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
    group_id: str, heading: str, date: str, action: ActionSummary | None, note: str = ""
) -> Group:
    return {
        "id": group_id,
        "heading": heading,
        "date": date,
        "action": action,
        "note": note,
        "shared": [],
        "sources": [],
        "entities": [],
    }


def lift_shared(group: Group) -> None:
    """Say once at the group what every one of its entities states alike: an evidence row
    (the measures of one announcement, the licence terms of one rule) moves from each
    entity to ``shared``; the reporting sources are named at the group when they are the
    same for all. A group of one keeps its entity whole."""
    members = group["entities"]
    if len(members) < 2:
        return
    first, rest = members[0], members[1:]
    group["shared"] = [row for row in first["evidence"] if all(row in e["evidence"] for e in rest)]
    for item in members:
        item["evidence"] = [row for row in item["evidence"] if row not in group["shared"]]
    if all(e["sources"] == first["sources"] for e in rest):
        group["sources"] = list(first["sources"])


def _list_label(code: str) -> str:
    return LIST_LABELS.get(code, code.upper())
