"""Full-text XML of a BIS rule (federalregister.gov ``full_text_xml_url``) -> ``RuleText``.

The layout is GPO's Federal Register XML (SOURCES.md section 3)::

    RULE
      PREAMB?   SUBAGY, CFR, DEPDOC, RIN, SUBJECT, HD "ACTION:", SUM (HD "SUMMARY:" + text)
      SUPLINF   prose; the End-User Review Committee's reasons, group by group
      REGTEXT PART="744" TITLE="15"
        AMDPAR    "Supplement No. 4 to part 744 is amended by adding under CHINA, PEOPLE'S
                   REPUBLIC OF, in alphabetical order, entries for "X" and "Y" ..."
        GPOTABLE  BOXHD of five CHED (Country | Entity | License requirement |
                  License review policy | Federal Register citation), then ROWs of ENT:
                  a country row, entity rows (country cell empty), "* * *" rows for
                  the parts of the table the rule leaves as they are

Strict where it matters: a root other than RULE, an HTML page, an Entity List
table with other columns, a row with more than five cells or an entity before
any country raise ShapeError. What is only doubtful (an unknown country heading,
an operation the instructions do not state) becomes a review flag instead.

Entity cells are split into name and aliases with the CSL helpers
(``clean_alias``): "Name, a.k.a., the following two aliases: —A; and —B. Address".
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Final

from monitor.errors import ParseError, ShapeError
from monitor.keys import fold_name
from monitor.sources.federal_register.info import NAME
from monitor.sources.federal_register.text import destination_iso, reason_sentences
from monitor.sources.fields import clean_alias, clean_aliases, parse_citations, unique
from monitor.sources.xml_guard import declares_dtd

EL_COLUMNS: Final = (
    "country",
    "entity",
    "license requirement",
    "license review policy",
    "federal register citation",
)
_EL_INSTRUCTION: Final = "supplement no. 4 to part 744"
_OPERATIONS: Final = {"adding": "add", "revising": "revise", "removing": "remove"}
_VERB = re.compile(r"\b(adding|revising|removing)\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“]([^\"“”]+)[\"”]")
# An upper-case destination after "under": "under CHINA, PEOPLE'S REPUBLIC OF, in ...".
_UNDER = re.compile(r"\bunder\s+([A-Z][A-Z'’ ,.()\-]*[A-Z)])")
_AKA = re.compile(r",?\s*a\.k\.a\.,?\s*(?:the following \w+ aliases?:)?\s*", re.IGNORECASE)
# Where the last alias ends and the address begins: ". " before a capital or a digit.
_SENTENCE_BREAK = re.compile(r"\.\s+(?=[A-Z0-9])")
# Legal-form words that continue a name after ", " ("Co., Ltd."), so that comma is no boundary.
_NAME_CONTINUES = re.compile(
    r"(?:Ltd|Limited|Inc|LLC|L\.L\.C|LLP|Co\b|Corp|GmbH|JSC|PLC|Pte|Pvt|S\.A|SA\b|AG\b|B\.V|Sdn)",
)
_SKIPPED_TAGS: Final = frozenset({"SU", "FTREF"})  # footnote markers glued to names


@dataclass(frozen=True)
class Party:
    """One entity the rule's Entity List table (or removal instruction) names."""

    name: str
    aliases: tuple[str, ...]
    country: str  # ISO-2, "" when the heading is unknown
    citations: tuple[str, ...]  # from the table's citation cell ("90 FR 4619")
    operation: str  # add | revise | remove | "" when the instructions do not say


@dataclass(frozen=True)
class RuleText:
    summary: str
    parties: tuple[Party, ...]
    reasons: tuple[str, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class _Clause:
    """One "adding / revising / removing" part of an amendatory instruction."""

    operation: str
    countries: tuple[str, ...]
    names: tuple[str, ...]  # quoted entry names as written (commas and quotes trimmed)

    def names_folded(self) -> frozenset[str]:
        return frozenset(fold_name(n) for n in self.names)


def parse_rule(raw: bytes, *, url: str) -> RuleText:
    """The summary, Entity List parties, reasons and doubts of one rule's full text."""
    root = _root(raw, url)
    flags: list[str] = []
    parties = _parties(root, url, flags)
    paragraphs = [_text(p) for s in root.iter("SUPLINF") for p in s.iter("P")]
    return RuleText(
        summary=" ".join(_text(s, skip={"HD"}) for s in root.iter("SUM")).strip(),
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


def _text(element: ET.Element, skip: Iterable[str] = ()) -> str:
    """The element's text with spacing collapsed; footnote markers and ``skip`` tags dropped
    (their tails kept)."""
    skipped = _SKIPPED_TAGS | set(skip)
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if node.tag in skipped:
            return
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")

    walk(element)
    return " ".join("".join(parts).split())


# --- amendatory instructions and tables -------------------------------------------------------


def _parties(root: ET.Element, url: str, flags: list[str]) -> tuple[Party, ...]:
    parties: list[Party] = []
    clauses: list[_Clause] = []
    for regtext in root.iter("REGTEXT"):
        current: tuple[_Clause, ...] = ()
        instructs_el = False
        for element in regtext.iter():
            if element.tag == "AMDPAR":
                text = _text(element)
                instructs_el = _EL_INSTRUCTION in text.casefold()
                current = _clauses(text) if instructs_el else ()
                clauses.extend(current)
            elif element.tag == "GPOTABLE" and _is_el_table(element, instructs_el, url):
                rows = _table_parties(element, url, flags)
                parties.extend(_with_operation(p, current, flags) for p in rows)
    parties.extend(_removed_parties(clauses, parties))
    return tuple(parties)


def _clauses(text: str) -> tuple[_Clause, ...]:
    """The instruction cut at each verb: each part's operation, countries and quoted names."""
    verbs = list(_VERB.finditer(text))
    clauses = []
    for index, verb in enumerate(verbs):
        end = verbs[index + 1].start() if index + 1 < len(verbs) else len(text)
        part = text[verb.start() : end]
        clauses.append(
            _Clause(
                operation=_OPERATIONS[verb.group(1).lower()],
                countries=unique(destination_iso(c) for c in _UNDER.findall(part)),
                names=unique(clean_alias(q.strip(" ,")) for q in _QUOTED.findall(part)),
            )
        )
    return tuple(clauses)


def _is_el_table(table: ET.Element, instructs_el: bool, url: str) -> bool:
    """Whether this is (an excerpt of) the Entity List; its columns must be the five known."""
    columns = tuple(_text(ched).casefold().rstrip(".") for ched in table.iter("CHED"))
    if columns == EL_COLUMNS:
        return True
    if instructs_el:
        raise _shape(
            f"Entity List table has columns {list(columns)}, expected {list(EL_COLUMNS)}", url
        )
    return False  # a table of another supplement (e.g. the VEU list): not ours


def _table_parties(table: ET.Element, url: str, flags: list[str]) -> Iterator[Party]:
    country: str | None = None
    for number, row in enumerate(table.iter("ROW"), start=1):
        cells = [_text(ent) for ent in row.findall("ENT")]
        if len(cells) > len(EL_COLUMNS):
            raise _shape(f"Entity List row {number} has {len(cells)} cells, expected 5", url)
        cells += [""] * (len(EL_COLUMNS) - len(cells))
        if _is_stars(cells):
            continue
        heading, entity = cells[0], cells[1]
        if heading:
            country = destination_iso(heading)
            if not country:
                flags.append(f"unknown country heading {heading!r} in the Entity List table")
        if not entity:
            if not heading:
                raise _shape(f"Entity List row {number} names no country and no entity", url)
            continue
        if country is None:
            raise _shape(f"Entity List row {number} names an entity before any country", url)
        name, aliases = split_entity(entity)
        yield Party(name, aliases, country, parse_citations(cells[4]), "")


def _is_stars(cells: list[str]) -> bool:
    """A "* * *" row: the rule leaves this stretch of the table as it is."""
    filled = [c for c in cells if c]
    return bool(filled) and all(set(c) <= {"*", " "} for c in filled)


def split_entity(cell: str) -> tuple[str, tuple[str, ...]]:
    """(name, aliases) of an entity cell; the address after them is dropped."""
    aka = _AKA.search(cell)
    if aka is None:
        return _name_before_address(cell), ()
    name = cell[: aka.start()].strip()
    rest = cell[aka.end() :]
    items = [i.strip() for i in rest.split("—") if i.strip()] if "—" in rest else [rest]
    *leading, last = items
    cut = _SENTENCE_BREAK.search(last)
    tail = last[: cut.start() + 1] if cut else last
    leading = [i.removesuffix("and").strip().rstrip(";").strip() for i in leading]
    return name, clean_aliases([*leading, tail])


def _name_before_address(cell: str) -> str:
    """The name of an entity cell without aliases: up to the first ", " that does not
    continue a legal form ("Co., Ltd., Room 5, ..." -> "Co., Ltd.")."""
    for match in re.finditer(r",\s+", cell):
        if not _NAME_CONTINUES.match(cell, match.end()):
            return cell[: match.start()].strip()
    return clean_alias(cell)


def _with_operation(party: Party, clauses: tuple[_Clause, ...], flags: list[str]) -> Party:
    """The party with the operation its instruction states: by quoted name, then by the
    country it is listed under, then the instruction's only verb."""
    folded = fold_name(party.name)
    candidates = (
        [c for c in clauses if folded in c.names_folded()],
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


def _removed_parties(clauses: list[_Clause], listed: list[Party]) -> Iterator[Party]:
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
