"""Full-text XML of a BIS rule (federalregister.gov ``full_text_xml_url``) -> ``RuleText``.

The layout is GPO's Federal Register XML (SOURCES.md section 3)::

    RULE
      PREAMB?   SUBAGY, CFR, DEPDOC, RIN, SUBJECT, HD "ACTION:", SUM (HD "SUMMARY:" + text)
      SUPLINF   prose; the End-User Review Committee's reasons, group by group
      REGTEXT PART="744" TITLE="15"
        AMDPAR    "2. Supplement No. 4 to part 744 is amended:"   (one instruction, possibly
        AMDPAR    "a. Under CANADA, by adding ... “X” and “Y”;"    split over several AMDPARs:
        AMDPAR    "b. Under CHINA, ..."                             a. b. ... belong to it)
        GPOTABLE  the five columns (Country | Entity | License requirement | License review
                  policy | Federal Register citation), as CHED headers or, with blank CHEDs,
                  as the first ROW that is not a spacer; then ROWs of ENT: a country row,
                  entity rows (country cell empty), "* * *" rows and blank spacer rows for the
                  parts of the table the rule leaves as they are, and rows holding only an
                  address, which belong to the entry above
        PRTPAGE   page markers anywhere: an entry is on the page of the last one before it

Two independent readings of the parties are cross-checked: the table, and the quoted names
with their verbs (adding / revising / removing) and "Under COUNTRY" of the instructions. A
disagreement is a review flag naming the party, as is an unknown country heading or an
operation the instructions do not state. Strict where it matters: a root other than RULE,
an HTML page, an Entity List table with other columns, a row with more than five cells or
an entity before any country raise ShapeError.

The table itself is read in ``table.py``. Entity cells with ``LI`` lines are read with the
eCFR's cell reader (``ecfr.cells``: name line, "—" alias bullets, address lines); flat
cells with the CSL helpers. A citation cell
that the rule leaves for the printer ("88 FR [INSERT FR PAGE NUMBER AND 2/27/2023].") is the
rule's own citation: the volume, the page the entry is printed on, the publication date.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Final

from monitor.errors import ParseError, ShapeError
from monitor.keys import fold_name
from monitor.sources.federal_register.info import NAME
from monitor.sources.federal_register.table import (
    EL_COLUMNS,
    Party,
    el_header,
    element_text,
    pages_of,
    split_entity,
    table_parties,
)
from monitor.sources.federal_register.text import destination_iso, reason_sentences
from monitor.sources.fields import clean_alias, unique
from monitor.sources.xml_guard import declares_dtd

__all__ = [
    "EL_COLUMNS",
    "NAME",
    "Clause",
    "Party",
    "RuleText",
    "cross_check",
    "instruction_clauses",
    "parse_rule",
    "removed_parties",
    "split_entity",
    "with_operation",
]

_EL_INSTRUCTION: Final = "supplement no. 4 to part 744"
_OPERATIONS: Final = {"adding": "add", "revising": "revise", "removing": "remove"}
_VERB = re.compile(r"\b(adding|revising|removing)\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“]([^\"“”]+)[\"”]")
# An upper-case destination after "under" / "Under": "Under CHINA, PEOPLE'S REPUBLIC OF, by".
_UNDER = re.compile(r"\b(?i:under)\s+([A-Z][A-Z'’ ,.()\-]*[A-Z)])")
# "2. Supplement No. 4 ..." starts an instruction; "a. Under ..." continues the one before.
_NUMBERED = re.compile(r"^\s*\d+\.\s")


@dataclass(frozen=True)
class RuleText:
    summary: str
    parties: tuple[Party, ...]
    reasons: tuple[str, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Clause:
    """One "adding / revising / removing" part of an amendatory instruction."""

    operation: str
    countries: tuple[str, ...]
    names: tuple[str, ...]  # quoted entry names as written (commas and quotes trimmed)

    def names_folded(self) -> frozenset[str]:
        return frozenset(fold_name(n) for n in self.names)


@dataclass
class _Instruction:
    """The amendment being read: its clauses, kept across the AMDPARs a., b., ... of it."""

    is_el: bool = False
    clauses: list[Clause] = field(default_factory=list)


def parse_rule(raw: bytes, *, url: str) -> RuleText:
    """The summary, Entity List parties, reasons and doubts of one rule's full text."""
    root = _root(raw, url)
    flags: list[str] = []
    parties = _parties(root, url, flags)
    paragraphs = [element_text(p) for s in root.iter("SUPLINF") for p in s.iter("P")]
    return RuleText(
        summary=" ".join(element_text(s, skip={"HD"}) for s in root.iter("SUM")).strip(),
        parties=parties,
        reasons=reason_sentences(paragraphs),
        flags=tuple(unique(flags)),
    )


def _shape(message: str, url: str) -> ShapeError:
    return ShapeError(message, source=NAME, url=url)


def _root(raw: bytes, url: str) -> ET.Element:
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if not head:
        raise _shape("empty body, not Federal Register full-text XML", url)
    if head.startswith((b"<!doctype html", b"<html")):
        raise _shape("got an HTML page, not Federal Register full-text XML", url)
    # ElementTree never fetches external entities; refusing any DTD (``xml_guard``) also
    # rules out entity expansion ("billion laughs") and entities used as text.
    if declares_dtd(raw):
        raise _shape("XML declares a DTD or entities; refused", url)
    try:
        root = ET.fromstring(raw)  # noqa: S314 - declares_dtd refused any DTD above
    except ET.ParseError as exc:
        raise ParseError(f"full text is not well-formed XML: {exc}", source=NAME, url=url) from exc
    if root.tag != "RULE":
        raise _shape(f"root element is <{root.tag}>, not <RULE>", url)
    return root


# --- amendatory instructions and tables -------------------------------------------------------


def _parties(root: ET.Element, url: str, flags: list[str]) -> tuple[Party, ...]:
    parties: list[Party] = []
    clauses: list[Clause] = []
    pages = pages_of(root)
    for regtext in root.iter("REGTEXT"):
        current = _Instruction()
        for element in regtext.iter():
            if element.tag == "AMDPAR":
                text = element_text(element)
                mentions_el = _EL_INSTRUCTION in text.casefold()
                if _NUMBERED.match(text) or (mentions_el and not current.is_el):
                    current = _Instruction(is_el=mentions_el)
                if current.is_el:
                    found = instruction_clauses(text)
                    current.clauses.extend(found)
                    clauses.extend(found)
            elif element.tag == "GPOTABLE":
                header = el_header(element, current.is_el, url)
                if header is None:
                    continue
                rows = list(table_parties(element, header, pages, url, flags))
                parties.extend(with_operation(p, tuple(current.clauses), flags) for p in rows)
                flags.extend(cross_check(rows, current.clauses))
    parties.extend(removed_parties(clauses, parties))
    return tuple(parties)


def instruction_clauses(text: str) -> tuple[Clause, ...]:
    """The instruction cut at each verb: each part's operation, countries and quoted names.
    A destination written before the verb ("a. Under CANADA, by adding ...") is the part's
    when the part names none of its own."""
    verbs = list(_VERB.finditer(text))
    lead = (
        unique(destination_iso(c) for c in _UNDER.findall(text[: verbs[0].start()]))
        if verbs
        else ()
    )
    clauses = []
    for index, verb in enumerate(verbs):
        end = verbs[index + 1].start() if index + 1 < len(verbs) else len(text)
        part = text[verb.start() : end]
        own = unique(destination_iso(c) for c in _UNDER.findall(part))
        clauses.append(
            Clause(
                operation=_OPERATIONS[verb.group(1).lower()],
                countries=own or (lead if index == 0 else ()),
                names=unique(clean_alias(q.strip(" ,")) for q in _QUOTED.findall(part)),
            )
        )
    return tuple(clauses)


def with_operation(party: Party, clauses: tuple[Clause, ...], flags: list[str]) -> Party:
    """The party with the operation its instruction states: by quoted name (under its
    country when the clause names one), then by the country it is listed under, then the
    instruction's only verb."""
    folded = fold_name(party.name)
    named = [c for c in clauses if folded in c.names_folded()]
    candidates = (
        [c for c in named if not c.countries or party.country in c.countries],
        named,
        [c for c in clauses if party.country and party.country in c.countries],
        list(clauses),
    )
    for matching in candidates:
        operations = {c.operation for c in matching}
        if len(operations) == 1:
            return replace(party, operation=operations.pop())
        if operations:
            break  # the instruction gives this party two operations: ask a human
    flags.append(f"operation not stated for {party.name!r}")
    return party


def cross_check(table: list[Party], clauses: list[Clause]) -> Iterator[str]:
    """The instructions' quoted names against the table's entries: each reading must
    contain the other (additions and revisions have rows; removals have none)."""
    named = {
        (fold_name(n), country)
        for c in clauses
        if c.operation != "remove"
        for n in c.names
        for country in (c.countries or ("",))
    }
    if not named:
        return  # an instruction that quotes no names: nothing to compare
    rows = {(fold_name(p.name), p.country) for p in table}
    for party in table:
        if (fold_name(party.name), party.country) not in named and (
            fold_name(party.name),
            "",
        ) not in named:
            yield (
                f"table entry {party.name!r} ({party.country or '??'}) is not named in the "
                "amendment instructions"
            )
    for clause in clauses:
        if clause.operation == "remove":
            continue
        for name in clause.names:
            places = clause.countries or ("",)
            if not any(
                (fold_name(name), c) in rows or (not c and fold_name(name) in {r for r, _ in rows})
                for c in places
            ):
                where = ", ".join(places) if clause.countries else "any country"
                yield (
                    f"amendment instructions name {name!r} under {where}, "
                    "the table has no such entry"
                )


def removed_parties(clauses: list[Clause], listed: list[Party]) -> Iterator[Party]:
    """Entries a "removing" instruction names: they have no table row to read."""
    seen = {fold_name(p.name) for p in listed}
    for clause in clauses:
        if clause.operation != "remove":
            continue
        country = clause.countries[0] if len(clause.countries) == 1 else ""
        for name in clause.names:
            if fold_name(name) not in seen:
                seen.add(fold_name(name))
                yield Party(name, (), country, (), "remove")
