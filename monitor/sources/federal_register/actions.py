"""A fetch bundle of Federal Register answers -> BIS action records (``monitor.actions``).

Bundle items, by role (``federal_register.fetch`` writes them):

===================  ==========================================================================
role                 body
===================  ==========================================================================
list                 one ``documents.json`` page, as fetched
public_inspection    the ``public-inspection-documents.json`` answer
full_text            a rule's full-text XML, filed under the document's own
                     ``full_text_xml_url`` (not the mirror URL), so parse finds it anywhere
full_text_error      why that URL gave no full text, e.g. ``HTTP 404``
raw_text             a filed rule's public inspection raw text, under its ``raw_text_url``
raw_text_error       why that URL gave no raw text
filed                JSON {document number: filing facts} of stored public inspection
                     actions whose document is now published (``Filing.as_json``)
known                JSON list of document numbers already stored complete: not re-read
published            JSON list of document numbers stored as published rules; only in a
                     bundle of the desk alone (the list answered 304: no ``list`` page)
===================  ==========================================================================

Every document of the list pages becomes one action keyed ``us:<document_number>``,
except the known ones (the pipeline keeps their stored record; FR corrections are
published as documents of their own, so a published document's data does not
change). A BIS rule on public inspection that touches the Entity List (its title, or
its raw text amends Supplement No. 4 to part 744 or names the list) becomes a
``public_inspection`` action under the same key, ``stage`` "on public inspection, not
yet published", with its filing time, scheduled date, PDF and raw-text URLs and the
parties its raw text names (``raw_text``). When the document is published, the same key
becomes the published rule (one modification, not a second action) and keeps the
filing facts (``announced``, ``filed_at``, ``scheduled``, ``inspection_urls``). The
document JSON alone gives a complete action; the full text adds parties, operations
and reasons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

from monitor.actions import action_key, action_record
from monitor.errors import ShapeError
from monitor.models import FieldValue, Record
from monitor.sources.bundle import BundleItem
from monitor.sources.federal_register.documents import (
    Document,
    Inspection,
    read_inspection,
    read_page,
    unique_documents,
)
from monitor.sources.federal_register.info import NAME
from monitor.sources.federal_register.raw_text import RawText, parse_raw_text
from monitor.sources.federal_register.rule import Party, RuleText, parse_rule
from monitor.sources.federal_register.text import (
    count_flags,
    country_counts,
    effective_from_dates,
    stated_counts,
    stated_revisions,
)
from monitor.sources.fields import parse_citations, unique

ROLES: Final = frozenset(
    {
        "list",
        "public_inspection",
        "full_text",
        "full_text_error",
        "raw_text",
        "raw_text_error",
        "filed",
        "known",
        "published",
    }
)
# The ``stage`` of an FR action: filed and waiting, or printed in the Federal Register.
ON_INSPECTION: Final = "on public inspection, not yet published"
PUBLISHED: Final = "published"
FILING_FIELDS: Final = ("announced", "filed_at", "scheduled", "inspection_urls")
RULE_KINDS: Final = ("entity_list_rule", "end_user_rule")
# Review flags about a missing full text start so; a stored action with one is not "known",
# so the next run tries the full text again.
NO_FULL_TEXT: Final = "full text not"
NOT_FETCHED: Final = NO_FULL_TEXT + " fetched: "
NOT_LISTED: Final = NO_FULL_TEXT + " listed (no full_text_xml_url)"

# A title naming an Entity List operation ("Additions to the Entity List", "Addition of
# Entities to and Revision of Entry on the Entity List"), or an abstract saying "adding ...
# to the Entity List"; anything else BIS publishes is an end-user rule (the Affiliates rule).
_EL_TITLE = re.compile(
    r"\b(?:addition|revision|removal|modification)s?\b[^;]*\bentity list\b"
    r"|\bentity list\b[^;]*\b(?:addition|revision|removal|modification)s?\b",
    re.IGNORECASE,
)
_EL_ABSTRACT = re.compile(
    r"\b(?:adding|adds|revising|revises|removing|removes|modifying|modifies)\b[^.]*"
    r"\b(?:to|from|on) the entity list\b",
    re.IGNORECASE,
)

# Every field of the actions.py table, empty, so all FR actions carry the same fields.
_EMPTY: Final[Mapping[str, FieldValue]] = {
    "actor": "BIS",
    "instrument": "",
    "published": "",
    "effective": "",
    "announced": "",
    "url": "",
    "urls": (),
    "parties_en": (),
    "parties_zh": (),
    "party_countries": (),
    "refers_to": (),
    "reasons": (),
    "stated_count": "",
    "review": (),
    "body": "",
}


def records_from_bundle(items: Sequence[BundleItem], *, url: str) -> list[Record]:
    """The action records of one fetch bundle (see the module docstring)."""
    unknown = sorted({i.role for i in items} - ROLES)
    if unknown:
        raise ShapeError(f"bundle has unknown item role(s): {unknown}", source=NAME, url=url)
    pages = [read_page(i.body, url=i.url) for i in items if i.role == "list"]
    held = _numbers(items, "published", url)
    if not pages and not any(i.role == "published" for i in items):
        raise ShapeError("bundle holds no documents.json page", source=NAME, url=url)
    documents = unique_documents(d for p in pages for d in p.documents)
    known = _numbers(items, "known", url)
    texts = {i.url: i for i in items if i.role in ("full_text", "full_text_error")}
    citations = {d.text("citation"): d.number for d in documents if d.text("citation")}
    entries = [
        entry
        for item in items
        if item.role == "public_inspection"
        for entry in read_inspection(item.body, url=item.url)
        if entry.is_bis_rule
    ]
    filings = {**_stored_filings(items, url), **{e.number: filing_of(e) for e in entries}}
    records = [
        rule_action(d, *_full_text(d, texts, url), citations, filings.get(d.number))
        for d in documents
        if d.number not in known
    ]
    published = {d.number for d in documents} | known | held
    raw_texts = {i.url: i for i in items if i.role in ("raw_text", "raw_text_error")}
    records.extend(_inspections(entries, published, raw_texts, url))
    return records


def _numbers(items: Sequence[BundleItem], role: str, url: str) -> set[str]:
    """The document numbers of the bundle's ``known`` or ``published`` items."""
    numbers: set[str] = set()
    for item in items:
        if item.role == role:
            try:
                listed = json.loads(item.body)
            except ValueError:
                listed = None
            if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
                raise ShapeError(f"bundle's {role} list is damaged", source=NAME, url=url)
            numbers.update(listed)
    return numbers


def _full_text(
    document: Document, texts: Mapping[str, BundleItem], url: str
) -> tuple[RuleText | None, str]:
    """The parsed full text, or None and the review flag saying why there is none."""
    where = document.text("full_text_xml_url")
    if not where:
        return None, NOT_LISTED
    item = texts.get(where)
    if item is None:
        raise ShapeError(
            f"bundle has neither the full text nor a fetch note for {document.number}",
            source=NAME,
            url=url,
        )
    if item.role == "full_text_error":
        return None, NOT_FETCHED + item.body.decode("utf-8", "replace")
    return parse_rule(item.body, url=item.url), ""


def rule_kind(document: Document) -> str:
    if _EL_TITLE.search(document.text("title")) or _EL_ABSTRACT.search(document.text("abstract")):
        return "entity_list_rule"
    return "end_user_rule"


def rule_action(
    document: Document,
    full: RuleText | None,
    note: str,
    citations: Mapping[str, str],
    filing: Filing | None = None,
) -> Record:
    """The action of one published document (``citations``: citation -> document number of
    every document in the same answer, to resolve what this one refers to; ``filing``: its
    public inspection facts, when it was seen or is listed there)."""
    kind = rule_kind(document)
    citation = document.text("citation")
    summary = document.text("abstract") or (full.summary if full else "")
    counts, unknown_destinations = country_counts(summary)
    parties = full.parties if full else ()
    cited = tuple(
        c
        for c in parse_citations(f"{document.text('dates')} {summary}")
        if c not in parse_citations(citation)
    )
    volume, start = _pages_from_citation(citation)
    review = (
        *unknown_destinations,
        *count_flags(summary, counts),
        *(full.flags if full else ()),
        *_table_flags(kind, summary, full),
        note,
    )
    fields: dict[str, FieldValue] = {
        **_EMPTY,
        "instrument": citation or f"FR Doc. {document.number}",
        "document_number": document.number,
        "citations": parse_citations(citation),
        "volume": document.text("volume") or volume,
        "start_page": document.text("start_page") or start,
        "end_page": document.text("end_page"),
        "published": document.text("publication_date"),
        "effective": document.text("effective_on") or effective_from_dates(document.text("dates")),
        "url": document.text("html_url") or document.text("pdf_url"),
        "urls": document_urls(document),
        "action": document.text("action"),
        "rins": document.items("regulation_id_numbers"),
        "dockets": document.items("docket_ids"),
        "dates": document.text("dates"),
        "country_counts": counts,
        "stated_count": _stated(summary),
        "parties_en": tuple(p.name for p in parties),
        "party_countries": tuple(p.country for p in parties),
        "party_aliases": tuple("; ".join(p.aliases) for p in parties),
        "party_citations": tuple("; ".join(p.citations) for p in parties),
        "party_addresses": tuple("; ".join(p.addresses) for p in parties),
        "party_license_requirements": tuple(p.license_requirement for p in parties),
        "party_license_policies": tuple(p.license_policy for p in parties),
        "operations": tuple(p.operation for p in parties),
        "reasons": full.reasons if full else (),
        "cited": cited,
        "refers_to": unique(action_key("US", citations[c]) for c in cited if c in citations),
        "review": unique(review),
        "body": summary,
    }
    if filing:  # seen on public inspection first (a rule never filed there has no stage)
        fields.update(filing.fields(), stage=PUBLISHED)
        fields["urls"] = unique((*document_urls(document), *filing.urls))
    key = action_key("US", document.number)
    return action_record(
        key=key, kind=kind, jurisdiction="US", title=document.text("title"), fields=fields
    )


def _pages_from_citation(citation: str) -> tuple[str, str]:
    """(volume, first page) of "90 FR 4617", for documents whose JSON leaves them out."""
    volume, _, page = citation.partition(" FR ")
    return (volume, page) if volume.isdigit() and page.isdigit() else ("", "")


def _stated(summary: str) -> str:
    entities, _entries = stated_counts(summary)
    return "" if entities is None else str(entities)


def _table_flags(kind: str, summary: str, full: RuleText | None) -> tuple[str, ...]:
    """Doubts about the tables: other numbers of additions or revisions than the summary's."""
    if full is None or kind != "entity_list_rule":
        return ()
    if not full.parties:
        return ("no Entity List table or removal found in the full text",)
    flags = []
    entities, entries = stated_counts(summary)
    added = sum(1 for p in full.parties if p.operation == "add")
    expected = entries if entries is not None else entities
    if entities is not None and expected is not None and added != expected:
        stated = _plural(entities, "entity", "entities")
        if entries is not None and entries != entities:
            stated += " under " + _plural(entries, "entry", "entries")
        flags.append(f"summary states {stated}, tables add {added}")
    revisions = stated_revisions(summary)
    revised = sum(1 for p in full.parties if p.operation == "revise")
    if revisions is not None and revised != revisions:
        stated = _plural(revisions, "revised entry", "revised entries")
        flags.append(f"summary states {stated}, tables revise {revised}")
    return tuple(flags)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def document_urls(document: Document) -> tuple[str, ...]:
    return unique(document.text(k) for k in ("html_url", "pdf_url", "full_text_xml_url"))


@dataclass(frozen=True)
class Filing:
    """When and where a document was on public inspection."""

    filed_at: str  # ISO date-time as the desk gives it, "" when unknown
    scheduled: str  # the publication date the desk announced
    urls: tuple[str, ...]  # its PDF and raw text at the desk

    def fields(self) -> dict[str, FieldValue]:
        return {
            "announced": self.filed_at[:10],
            "filed_at": self.filed_at,
            "scheduled": self.scheduled,
            "inspection_urls": self.urls,
        }

    def as_json(self) -> dict[str, object]:
        return {"filed_at": self.filed_at, "scheduled": self.scheduled, "urls": list(self.urls)}


def filing_of(entry: Inspection) -> Filing:
    return Filing(
        entry.filed_at, entry.publication_date, unique([entry.pdf_url, entry.raw_text_url])
    )


def stored_filing(record: Record) -> Filing:
    """The filing facts a stored public inspection action holds (``source.fetch`` passes
    them on in the bundle when its document is published)."""
    return Filing(
        record.get_text("filed_at"),
        record.get_text("scheduled"),
        record.get_tuple("inspection_urls"),
    )


def _stored_filings(items: Sequence[BundleItem], url: str) -> dict[str, Filing]:
    found: dict[str, Filing] = {}
    for item in items:
        if item.role != "filed":
            continue
        try:
            data = json.loads(item.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ShapeError("bundle's filed list is damaged", source=NAME, url=url)
        for number, facts in data.items():
            if not isinstance(facts, dict):
                raise ShapeError("bundle's filed list is damaged", source=NAME, url=url)
            urls = facts.get("urls")
            found[str(number)] = Filing(
                str(facts.get("filed_at") or ""),
                str(facts.get("scheduled") or ""),
                tuple(str(u) for u in urls) if isinstance(urls, list) else (),
            )
    return found


def _inspections(
    entries: Sequence[Inspection],
    published: set[str],
    raw_texts: Mapping[str, BundleItem],
    url: str,
) -> list[Record]:
    """BIS rules on public inspection, not (yet) published, that touch the Entity List."""
    records: dict[str, Record] = {}
    for entry in entries:
        if entry.number in published or entry.number in records:
            continue
        text, note = _raw_text(entry, raw_texts, url)
        touches = bool(_EL_TITLE.search(entry.title)) or "entity list" in entry.title.lower()
        if text is not None:
            touches = touches or text.touches_entity_list
        elif note:
            touches = True  # unread: kept, and flagged, rather than silently dropped
        if touches:
            records[entry.number] = inspection_action(entry, text, note)
    return list(records.values())


def _raw_text(
    entry: Inspection, raw_texts: Mapping[str, BundleItem], url: str
) -> tuple[RawText | None, str]:
    """The parsed raw text, or None and why there is none."""
    if not entry.raw_text_url:
        return None, "raw text not listed (no raw_text_url)"
    item = raw_texts.get(entry.raw_text_url)
    if item is None:
        raise ShapeError(
            f"bundle has neither the raw text nor a fetch note for {entry.number}",
            source=NAME,
            url=url,
        )
    if item.role == "raw_text_error":
        return None, "raw text not fetched: " + item.body.decode("utf-8", "replace")
    return parse_raw_text(item.body, url=item.url), ""


def inspection_action(entry: Inspection, text: RawText | None = None, note: str = "") -> Record:
    """A filed rule, not yet published: what the desk lists and what its raw text says."""
    summary = text.summary if text else ""
    parties: tuple[Party, ...] = text.parties if text else ()
    counts, unknown_destinations = country_counts(summary)
    review = (
        *unknown_destinations,
        *count_flags(summary, counts),
        *(text.flags if text else ()),
        *(_raw_table_flags(summary, parties) if text else ()),
        *((f"editorial note: {entry.editorial_note}",) if entry.editorial_note else ()),
        note,
    )
    filing = filing_of(entry)
    scheduled = entry.publication_date or (text.scheduled if text else "")
    fields: dict[str, FieldValue] = {
        **_EMPTY,
        "instrument": f"FR Doc. {entry.number}",
        "document_number": entry.number,
        "stage": ON_INSPECTION,
        **replace(filing, scheduled=scheduled).fields(),
        "filing_type": entry.filing_type,
        "url": entry.pdf_url or entry.raw_text_url or entry.html_url,
        "urls": unique([entry.html_url, entry.pdf_url, entry.raw_text_url]),
        "country_counts": counts,
        "stated_count": _stated(summary),
        "parties_en": tuple(p.name for p in parties),
        "party_countries": tuple(p.country for p in parties),
        "party_aliases": tuple("; ".join(p.aliases) for p in parties),
        "party_addresses": tuple("; ".join(p.addresses) for p in parties),
        "party_license_requirements": tuple(p.license_requirement for p in parties),
        "party_license_policies": tuple(p.license_policy for p in parties),
        "operations": tuple(p.operation for p in parties),
        "review": unique(review),
        "body": summary,
    }
    return action_record(
        key=action_key("US", entry.number),
        kind="public_inspection",
        jurisdiction="US",
        title=entry.title or f"FR Doc. {entry.number}",
        fields=fields,
    )


def _raw_table_flags(summary: str, parties: tuple[Party, ...]) -> tuple[str, ...]:
    """The summary's counts against the raw text's table, as for a published rule."""
    if not parties:
        return ()
    return _table_flags("entity_list_rule", summary, RuleText(summary, parties, (), ()))
