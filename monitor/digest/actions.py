"""Actions (rules and announcements) and the links between them, as the digest shows
them; and the readers of the change document's parts that the digest model shares. Pure.

Every input has a declared shape (``monitor.changeset``: sector items, watchlist hits,
links), so each reader takes the keys that the writer sets, by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from monitor.analysis.links import EventDict, EvidenceDict, LinkDict
from monitor.analysis.sectors import SectorItem
from monitor.changeset import AttributionDict, ChangeDict, HitDict
from monitor.digest.types import ActionSummary, NamedItem, Party, Response, TimelineEntry
from monitor.models import Record, RecordDict, StoredChange

KIND_LABELS = {
    "entity_list_rule": "Entity List rule",
    "end_user_rule": "end-user rule",
    "public_inspection": "on public inspection, not yet published",
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
    "investigation": "investigation",
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
# The lists each jurisdiction keeps: an act of that jurisdiction answering a listing (an
# investigation, a suspension, a countermeasure) is part of what a reader of its lists follows.
LISTS_OF_JURISDICTION = {"US": {"el", "meu", "uvl", "dpl"}, "CN": {"ecl", "uel", "mfa"}}
# A list named in an act's own number or title (a suspension of UEL measures names the UEL).
LIST_NAMED_BY = {"不可靠实体清单": "uel", "出口管制管控名单": "ecl", "Entity List": "el"}
# Kinds that make listings, and the linker's derived event for BIS additions: a link from
# one of these is a listing being answered.
LISTING_KINDS = frozenset({*LISTS_OF_KIND, "el_additions", "end_user_rule"})
# The demo's fixture mirror gives a page whose real URL is not recorded a placeholder
# article id: "art_" + zeros + the date (fixtures/cn_mofcom_announcements/README.md). A real
# MOFCOM article id is 32 hex digits from the CMS, never sixteen zeros in a row; such a link
# leads nowhere, so it is shown as a placeholder and never as the official text.
# Likewise a Federal Register document number from 9xxxx on: the Register numbers about
# 30,000 documents a year, so such a number is the mirror's stand-in for one whose real
# number is not recorded (fixtures/us_federal_register/README.md: 2025-99912).
PLACEHOLDER_URL = re.compile(
    r"/art_0{16,}\d*\.html$|federalregister\.gov/(?:[a-z-]+/)*\d{4}-9\d{4}(?:[./]|$)"
)
PLACEHOLDER_NOTE = "placeholder URL: the real page's address is not recorded"
_NO_RECORD = RecordDict(key="", list="", name="", country="", fields={}, meta={})


def texts(value: object) -> list[str]:
    """A field value as a list of non-empty strings."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def record_of(change: ChangeDict) -> RecordDict:
    """The record as it now stands (or last stood, for a removal)."""
    return change["after"] or change["before"] or _NO_RECORD


def field_text(record: RecordDict, name: str) -> str:
    return "; ".join(texts(record["fields"].get(name)))


def _merged(items: Sequence[NamedItem]) -> list[NamedItem]:
    """One item per id: the first item's short phrase and note, every item's evidence."""
    merged: dict[str, NamedItem] = {}
    for item in items:
        if not item["id"]:
            continue
        found = merged.setdefault(item["id"], item)
        if found is not item:
            found["evidence"] += [e for e in item["evidence"] if e not in found["evidence"]]
            found["detail"] = found["detail"] or item["detail"]
            found["note"] = found["note"] or item["note"]
    return list(merged.values())


def sectors(tags: Sequence[SectorItem] | None) -> list[NamedItem]:
    """Sector tags (one item per piece of evidence) as one item per sector. What a reader
    sees is one short phrase, the first evidence (``name: “Microelectronics”``), and its
    note when the tag rests on knowledge the list does not state ("inferred: ...");
    ``evidence`` keeps every piece (``field “matched” (note)``), for the JSON."""
    items = []
    for tag in tags or ():
        note = tag.get("note", "")
        where = f"{tag['field']}: " if tag["field"] else ""
        detail = f"{where}“{tag['matched']}”" if tag["matched"] else ""
        full = f"{detail} ({note})" if note and detail else detail
        name = tag["label"] or tag["sector"]
        items.append(
            NamedItem(
                id=tag["sector"], name=name, detail=detail, note=note,
                evidence=[full] if full else [], score="", status="",
            )
        )  # fmt: skip
    return _merged(items)


def hits(found: Sequence[HitDict] | None) -> list[NamedItem]:
    """Watchlist hits an analyst has not dismissed (``ecmon hits dismiss``)."""
    items = [
        NamedItem(
            id=hit["ref"],
            name=hit["watch_name"] or hit["ref"],
            detail=hit["reason"],
            note="",
            evidence=[hit["reason"]] if hit["reason"] else [],
            score=_score(hit["score"]),
            status=hit["status"],
        )
        for hit in found or ()
    ]
    return [hit for hit in _merged(items) if hit["status"] != "dismissed"]


def identity(change: ChangeDict, known: Mapping[int, str] | None = None) -> str:
    """What a change is, independent of database row ids: kind, source, key and the
    content hash of the record as it now stands. Stable across re-renders and rebuilds.
    ``known``: identities by change id already computed from the stored changes
    (``identities_of``), which spares rebuilding and re-hashing each record."""
    found = known.get(change["id"]) if known else None
    if found is not None:
        return found
    record = Record.from_dict(record_of(change))
    return f"{change['kind']}/{change['source']}/{change['key']}/{record.content_hash}"


def identities_of(changes: Iterable[StoredChange]) -> dict[int, str]:
    """``identity`` of each stored change by id, from its records as loaded: their content
    hashes are the ones the digest's tag lookup already computed."""
    found: dict[int, str] = {}
    for stored in changes:
        change = stored.change
        record = change.after or change.before
        if record is not None:
            found[stored.id] = (
                f"{change.kind}/{stored.provenance.source}/{change.key}/{record.content_hash}"
            )
    return found


def seen_at(change: ChangeDict) -> str:
    return change["provenance"]["fetched_at"]


# ----------------------------------------------------------------- actions


def action_summary(
    record: RecordDict,
    change: ChangeDict | None,
    attribution: AttributionDict | None = None,
) -> ActionSummary:
    """An action (a rule or an announcement) for the reader: number, dates, official
    link, stated reasons and the parties it names in Chinese and English."""
    found = attribution
    fields = record["fields"]
    kind = field_text(record, "kind")
    zh, en = texts(fields.get("parties_zh")), texts(fields.get("parties_en"))
    where = texts(fields.get("party_countries"))
    count = max(len(zh), len(en))
    urls = texts(fields.get("urls"))
    instrument = field_text(record, "instrument") or (found["instrument"] if found else "")
    number = field_text(record, "document_number") or (found["document_number"] if found else "")
    title = record["name"] or (found["title"] if found else "")
    url = field_text(record, "url") or (urls[0] if urls else "") or (found["url"] if found else "")
    return {
        # What to call it: its citable number, else (a derived event) its title.
        "heading": instrument or number or title or record["key"],
        "key": record["key"] or (found["action_key"] if found else ""),
        "change": change["kind"] if change else "",
        "identity": identity(change) if change else "",
        "seen_at": seen_at(change) if change else "",
        "kind": kind,
        "kind_label": _filed(record, KIND_LABELS.get(kind) or kind.replace("_", " "))
        or ("rule" if found else "action"),
        "jurisdiction": field_text(record, "jurisdiction") or record["country"],
        "actor": field_text(record, "actor"),
        "instrument": instrument,
        "document_number": number,
        "title": title,
        "published": field_text(record, "published") or (found["published"] if found else ""),
        "effective": field_text(record, "effective"),
        "url": url,
        "url_note": PLACEHOLDER_NOTE if PLACEHOLDER_URL.search(url) else "",
        "reasons": texts(fields.get("reasons")),
        "review": texts(fields.get("review")),
        "stated_count": field_text(record, "stated_count"),
        "evidence": found["evidence"] if found else "",
        "sectors": sectors(change.get("sectors") if change else None),
        "parties": [
            Party(
                zh=zh[i] if i < len(zh) else "",
                en=en[i] if i < len(en) else "",
                country=where[i] if i < len(where) else "",
            )
            for i in range(count)
        ],
    }


def _filed(record: RecordDict, label: str) -> str:
    """A rule on public inspection says when it was filed and when it is to be printed;
    a published one that was seen filed says since when it was known."""
    filed, scheduled = field_text(record, "filed_at")[:16], field_text(record, "scheduled")
    if field_text(record, "kind") == "public_inspection":
        when = ", ".join(
            part
            for part in (
                f"filed {filed.replace('T', ' ')}" if filed else "",
                f"scheduled for {scheduled}" if scheduled else "",
            )
            if part
        )
        return f"{label} ({when})" if when else label
    if filed and label:
        return f"{label}, on public inspection since {filed[:10]}"
    return label


def lists_made_by(record: RecordDict) -> set[str]:
    return LISTS_OF_KIND.get(field_text(record, "kind"), set())


def lists_concerned(record: RecordDict, answers_listing: bool) -> set[str]:
    """The lists an act concerns, for a recipient's list filter: those it adds entries to,
    those its number or title names (a suspension of UEL measures), and, when it answers a
    listing (``answers_listing``: a link's response to one), the lists its jurisdiction keeps
    (MOFCOM's anti-dumping investigation answering BIS additions concerns the ECL and UEL)."""
    codes = set(lists_made_by(record))
    named = " ".join((field_text(record, "instrument"), record["name"]))
    codes |= {code for marker, code in LIST_NAMED_BY.items() if marker in named}
    if answers_listing:
        where = field_text(record, "jurisdiction") or record["country"]
        codes |= LISTS_OF_JURISDICTION.get(where, set())
    return codes


def answering_listings(links: Sequence[LinkDict]) -> set[str]:
    """The keys of acts that respond to a listing: a link's response whose trigger made
    listings (by its kind, or its members: the entries a rule on public inspection names)."""
    return {
        link["response"]["key"]
        for link in links
        if link["trigger"]["kind"] in LISTING_KINDS or link["trigger"]["members"]
    }


# ---------------------------------------------------------------- timeline


def link_keys(link: LinkDict) -> set[str]:
    """Every action key a link names (trigger and response), and the ``source:key`` of
    each member of a derived end (a group of list additions)."""
    ends = (link["trigger"], link["response"])
    return ({end["key"] for end in ends} | {m for end in ends for m in end["members"]}) - {""}


def timeline(links: Sequence[LinkDict], actions: Mapping[str, RecordDict]) -> list[TimelineEntry]:
    """Links grouped by trigger: each trigger with its responses and the evidence for
    each, oldest trigger first (a cross-jurisdiction chronology)."""
    by_trigger: dict[str, TimelineEntry] = {}
    for link in links:
        trigger = link["trigger"]
        entry = by_trigger.setdefault(
            trigger["key"],
            TimelineEntry(summary="", trigger=_resolve(trigger, actions), responses=[]),
        )
        entry["responses"].append(
            Response(
                action=_resolve(link["response"], actions),
                relation="",  # the linker states no relation name; the evidence says why
                score=_score(link["score"]),
                days=str(link["days"]),
                evidence=evidence_lines(link["evidence"]),
            )
        )
    return sorted(
        by_trigger.values(), key=lambda e: (e["trigger"]["published"], e["trigger"]["key"])
    )


def evidence_lines(evidence: Sequence[EvidenceDict]) -> list[str]:
    """A link's evidence as lines of text: each item's ``text``, else its kind and weight."""
    lines = []
    for item in evidence:
        if item["text"]:
            lines.append(item["text"])
        else:
            pairs = (f"{k}: {'; '.join(texts(v))}" for k, v in item.items() if texts(v))
            lines.append(" · ".join(pairs))
    return [line for line in lines if line]


def _resolve(end: EventDict, actions: Mapping[str, RecordDict]) -> ActionSummary:
    """A link end as an action summary: the stored action when we hold it, else (e.g. the
    linker's derived event "BIS Entity List additions of 2025-09-12", dated by ``date``)
    what the end says about itself; with the sector tags the linker gave it."""
    key = end["key"]
    if key in actions:
        summary = action_summary(actions[key], None)
    else:
        fields: dict[str, str | list[str]] = {
            "key": key, "jurisdiction": end["jurisdiction"], "kind": end["kind"],
            "date": end["date"], "date_basis": end["date_basis"], "title": end["title"],
            "instrument": end["instrument"], "url": end["url"], "members": end["members"],
            "countries": end["countries"], "notes": end["notes"],
            "published": end["date"],
        }  # fmt: skip
        name = end["title"] or key
        record = RecordDict(key=key, list="", name=name, country="", fields=fields, meta={})
        summary = action_summary(record, None)
    summary["sectors"] = summary["sectors"] or sectors(end["sectors"])
    return summary


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
