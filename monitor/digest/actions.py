"""Actions (rules and announcements) and the links between them, as the digest shows
them; and the lenient readers the digest model shares. Pure.

Sectors, watchlist hits and links come from the analysis step, which is built
separately; they are read leniently here (a string, or a mapping with a name and
evidence under any of a few usual keys) so the digest shows them as soon as they
exist and never fails when they do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from monitor.models import Record

KIND_LABELS = {
    "entity_list_rule": "Entity List rule",
    "end_user_rule": "end-user rule",
    "public_inspection": "on public inspection",
    "ecl_addition": "export control list addition",
    "uel_addition": "unreliable entity list addition",
    "uel_measure": "unreliable entity list measure",
    "suspension": "suspension",
    "continued_suspension": "continued suspension",
    "stop": "measures stopped",
    "removal": "removal",
    "countermeasure": "countermeasure",
    "anti_dumping": "anti-dumping investigation",
    "anti_discrimination": "anti-discrimination investigation",
    "export_control_measure": "export control measure",
    "other": "other action",
    # The linker's derived events: BIS list additions with no FR document among our records.
    "el_additions": "Entity List additions",
}
# The lists an action's kind adds entries to (an action passes a recipient's list filter).
LISTS_OF_KIND = {
    "entity_list_rule": {"el"},
    "ecl_addition": {"ecl"},
    "uel_addition": {"uel"},
    "uel_measure": {"uel"},
}
# Where a sector tag or watchlist hit keeps its id, its label and its evidence. The sector
# tagger gives one item per piece of evidence: {sector, label, field, matched, rule, note}.
# A watchlist hit: {ref, watch_name, score, reason, status, id}.
_ID_KEYS = ("sector", "ref", "code", "watch", "entry", "key", "id", "label", "name", "title")
_LABEL_KEYS = ("label", "watch_name", "name", "title", "sector", "watch", "entry", "ref", "id")
_DETAIL_KEYS = ("evidence", "detail", "reason", "why", "terms")


def texts(value: object) -> list[str]:
    """A field value as a list of non-empty strings."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def record_of(change: Mapping[str, Any]) -> Mapping[str, Any]:
    """The record as it now stands (or last stood, for a removal)."""
    found = change.get("after") or change.get("before") or {}
    assert isinstance(found, Mapping)
    return found


def field_text(record: Mapping[str, Any], name: str) -> str:
    return "; ".join(texts(record.get("fields", {}).get(name)))


def named_items(value: object) -> list[dict[str, str]]:
    """Sectors or hits in any of the shapes the analysis step may give (a string, or a
    mapping with an id, a label, evidence and a score), one item per id with the
    evidence of every mapping that named it."""
    merged: dict[str, dict[str, str]] = {}
    for raw in value if isinstance(value, list | tuple) else texts(value):
        item = _named(raw)
        if not item["id"]:
            continue
        found = merged.setdefault(item["id"], item)
        if found is not item and item["detail"] and item["detail"] not in found["detail"]:
            found["detail"] = "; ".join(filter(None, (found["detail"], item["detail"])))
    return list(merged.values())


def _named(raw: object) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        text = "" if raw is None else str(raw)
        return {"id": text, "name": text, "detail": "", "score": "", "status": ""}
    detail = _first(raw, _DETAIL_KEYS)
    if not detail and raw.get("matched"):  # the tagger's form: field "matched" [rule] (note)
        where = f"{raw['field']} " if raw.get("field") else ""
        detail = f"{where}“{raw['matched']}”" + (f" ({raw['note']})" if raw.get("note") else "")
    return {
        "id": _first(raw, _ID_KEYS),
        "name": _first(raw, _LABEL_KEYS),
        "detail": detail,
        "score": _score(raw.get("score")),
        "status": str(raw.get("status") or ""),
    }


def _first(raw: Mapping[str, Any], keys: Sequence[str]) -> str:
    return next(("; ".join(texts(raw[k])) for k in keys if texts(raw.get(k))), "")


def sectors(value: object) -> list[dict[str, str]]:
    return named_items(value)


def hits(value: object) -> list[dict[str, str]]:
    """Watchlist hits an analyst has not dismissed (``ecmon hits dismiss``)."""
    return [hit for hit in named_items(value) if hit["status"] != "dismissed"]


def identity(change: Mapping[str, Any]) -> str:
    """What a change is, independent of database row ids: kind, source, key and the
    content hash of the record as it now stands. Stable across re-renders and rebuilds."""
    record = Record.from_dict(record_of(change))
    return f"{change['kind']}/{change['source']}/{change['key']}/{record.content_hash}"


def seen_at(change: Mapping[str, Any]) -> str:
    return str((change.get("provenance") or {}).get("fetched_at") or "")


# ----------------------------------------------------------------- actions


def action_summary(
    record: Mapping[str, Any],
    change: Mapping[str, Any] | None,
    attribution: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An action (a rule or an announcement) for the reader: number, dates, official
    link, stated reasons and the parties it names in Chinese and English."""
    found = attribution or {}
    kind = field_text(record, "kind")
    zh = texts(record.get("fields", {}).get("parties_zh"))
    en = texts(record.get("fields", {}).get("parties_en"))
    where = texts(record.get("fields", {}).get("party_countries"))
    count = max(len(zh), len(en))
    urls = texts(record.get("fields", {}).get("urls"))
    instrument = field_text(record, "instrument") or str(found.get("instrument") or "")
    number = field_text(record, "document_number") or str(found.get("document_number") or "")
    title = str(record.get("name") or found.get("title") or "")
    return {
        # What to call it: its citable number, else (a derived event) its title.
        "heading": instrument or number or title or str(record.get("key") or ""),
        "key": str(record.get("key") or found.get("action_key") or ""),
        "change": change["kind"] if change else "",
        "identity": identity(change) if change else "",
        "seen_at": seen_at(change) if change else "",
        "kind": kind,
        "kind_label": KIND_LABELS.get(kind)
        or kind.replace("_", " ")
        or ("rule" if found else "action"),
        "jurisdiction": field_text(record, "jurisdiction") or str(record.get("country") or ""),
        "actor": field_text(record, "actor"),
        "instrument": instrument,
        "document_number": number,
        "title": title,
        "published": field_text(record, "published") or str(found.get("published") or ""),
        "effective": field_text(record, "effective"),
        "url": field_text(record, "url")
        or (urls[0] if urls else "")
        or str(found.get("url") or ""),
        "reasons": texts(record.get("fields", {}).get("reasons")),
        "review": texts(record.get("fields", {}).get("review")),
        "stated_count": field_text(record, "stated_count"),
        "evidence": str(found.get("evidence") or ""),
        "sectors": sectors((change or {}).get("sectors")),
        "parties": [
            {
                "zh": zh[i] if i < len(zh) else "",
                "en": en[i] if i < len(en) else "",
                "country": where[i] if i < len(where) else "",
            }
            for i in range(count)
        ],
    }


def lists_made_by(record: Mapping[str, Any]) -> set[str]:
    return LISTS_OF_KIND.get(field_text(record, "kind"), set())


# ---------------------------------------------------------------- timeline


def _endpoint(value: object) -> str:
    if isinstance(value, Mapping):
        return str(value.get("key") or value.get("action_key") or value.get("id") or "")
    return "" if value is None else str(value)


def _pairs(link: Mapping[str, Any]) -> list[tuple[object, object, Mapping[str, Any]]]:
    """(trigger, response, details) for each response of a link. Accepts one link per
    pair (``trigger``/``response``) or a trigger with ``responses``, each either an action
    or a mapping holding its ``response`` with its own days, score and evidence."""
    trigger = link.get("trigger", link.get("from"))
    if not link.get("responses"):
        return [(trigger, link.get("response", link.get("to")), link)]
    found: list[tuple[object, object, Mapping[str, Any]]] = []
    for item in link["responses"]:
        if isinstance(item, Mapping) and "response" in item:
            found.append((trigger, item["response"], item))
        else:
            found.append((trigger, item, link))
    return found


def link_keys(link: Mapping[str, Any]) -> set[str]:
    """Every action key a link names (trigger and responses), and the ``source:key`` of
    each member of a derived end (a group of list additions)."""
    ends = [end for pair in _pairs(link) for end in pair[:2]]
    keys = {_endpoint(end) for end in ends}
    keys |= {str(m) for end in ends if isinstance(end, Mapping) for m in end.get("members") or []}
    return keys - {""}


def timeline(
    links: Sequence[Mapping[str, Any]], actions: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Links grouped by trigger: each trigger with its responses and the evidence for
    each, oldest trigger first (a cross-jurisdiction chronology)."""
    by_trigger: dict[str, dict[str, Any]] = {}
    for link in links:
        for trigger, response, details in _pairs(link):
            entry = by_trigger.setdefault(
                _endpoint(trigger), {"trigger": _resolve(trigger, actions), "responses": []}
            )
            entry["responses"].append(
                {
                    "action": _resolve(response, actions),
                    "relation": str(details.get("relation") or ""),
                    "score": _score(details.get("score")),
                    "days": "" if details.get("days") is None else str(details.get("days")),
                    "evidence": evidence_lines(details.get("evidence")),
                }
            )
    return sorted(
        by_trigger.values(), key=lambda e: (e["trigger"]["published"], e["trigger"]["key"])
    )


def evidence_lines(value: object) -> list[str]:
    """A link's evidence as lines of text: strings as given, a mapping by its ``text``
    (the linker's form: kind, text, weight), else as "key: value" pairs."""
    lines = []
    for item in value if isinstance(value, list | tuple) else [value]:
        if isinstance(item, Mapping) and item.get("text"):
            lines.append(str(item["text"]))
        elif isinstance(item, Mapping):
            pairs = (f"{k}: {'; '.join(texts(v))}" for k, v in item.items() if texts(v))
            lines.append(" · ".join(pairs))
        else:
            lines.extend(texts(item))
    return [line for line in lines if line]


def _resolve(value: object, actions: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A link end as an action summary: the stored action when we hold it, else (e.g. the
    linker's derived event "BIS Entity List additions of 2025-09-12", dated by ``date``)
    what the end says about itself; with the sector tags the linker gave it."""
    key = _endpoint(value)
    shown = dict(value) if isinstance(value, Mapping) else {}
    if key in actions:
        summary = action_summary(actions[key], None)
    else:
        fields = {**shown, "published": shown.get("published") or shown.get("date") or ""}
        fields = {k: v for k, v in fields.items() if isinstance(v, str | list | tuple)}
        fields.pop("sectors", None)
        name = shown.get("title") or shown.get("name") or key
        summary = action_summary({"key": key, "name": name, "fields": fields}, None)
    summary["sectors"] = summary["sectors"] or sectors(shown.get("sectors"))
    return summary


def _score(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)
