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
known                JSON list of document numbers already stored complete: not re-read
===================  ==========================================================================

Every document of the list pages becomes one action keyed ``us:<document_number>``,
except the known ones (the pipeline keeps their stored record; FR corrections are
published as documents of their own, so a published document's data does not
change). Public inspection entries become ``public_inspection`` actions under the
same key until the document is published. The document JSON alone gives a
complete action; the full text adds parties, operations and reasons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
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
from monitor.sources.federal_register.rule import RuleText, parse_rule
from monitor.sources.federal_register.text import (
    count_flags,
    country_counts,
    effective_from_dates,
    stated_counts,
    stated_revisions,
)
from monitor.sources.fields import parse_citations, unique

ROLES: Final = frozenset({"list", "public_inspection", "full_text", "full_text_error", "known"})
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
    if not pages:
        raise ShapeError("bundle holds no documents.json page", source=NAME, url=url)
    documents = unique_documents(d for p in pages for d in p.documents)
    known = _known(items, url)
    texts = {i.url: i for i in items if i.role in ("full_text", "full_text_error")}
    citations = {d.text("citation"): d.number for d in documents if d.text("citation")}
    records = [
        rule_action(d, *_full_text(d, texts, url), citations)
        for d in documents
        if d.number not in known
    ]
    published = {d.number for d in documents} | known
    for item in items:
        if item.role == "public_inspection":
            entries = read_inspection(item.body, url=item.url)
            records.extend(_inspections(entries, published))
    return records


def _known(items: Sequence[BundleItem], url: str) -> set[str]:
    numbers: set[str] = set()
    for item in items:
        if item.role == "known":
            try:
                listed = json.loads(item.body)
            except ValueError:
                listed = None
            if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
                raise ShapeError("bundle's known list is damaged", source=NAME, url=url)
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
    document: Document, full: RuleText | None, note: str, citations: Mapping[str, str]
) -> Record:
    """The action of one published document (``citations``: citation -> document number of
    every document in the same answer, to resolve what this one refers to)."""
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
        "urls": unique(document.text(k) for k in ("html_url", "pdf_url", "full_text_xml_url")),
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


def _inspections(entries: Sequence[Inspection], published: set[str]) -> list[Record]:
    """BIS rules on public inspection that are not (yet) published or stored."""
    records: dict[str, Record] = {}
    for entry in entries:
        if entry.is_bis_rule and entry.number not in published:
            records.setdefault(entry.number, inspection_action(entry))
    return list(records.values())


def inspection_action(entry: Inspection) -> Record:
    fields: dict[str, FieldValue] = {
        **_EMPTY,
        "instrument": f"FR Doc. {entry.number}",
        "document_number": entry.number,
        "announced": entry.filed_at[:10],
        "filed_at": entry.filed_at,
        "scheduled": entry.publication_date,
        "url": entry.html_url or entry.pdf_url,
        "urls": unique([entry.html_url, entry.pdf_url]),
    }
    return action_record(
        key=action_key("US", entry.number),
        kind="public_inspection",
        jurisdiction="US",
        title=entry.title or f"FR Doc. {entry.number}",
        fields=fields,
    )
