"""Raw text of a document on public inspection (``raw_text_url``) -> ``RawText``.

A document filed for public inspection is the agency's manuscript, days before the
Federal Register prints it; the desk publishes its text layer at ``raw_text_url``
(``/public-inspection/raw_text/202/599/912.txt``, SOURCES.md section 3). It is plain
text, not GPO XML, so it is read here by what the rule's text says:

* the scheduled publication stamp: "This document is scheduled to be published in the
  Federal Register on 09/16/2025 ...";
* the summary, from "SUMMARY:" to the next "DATES:" (or "FOR FURTHER INFORMATION");
* the amendatory instructions ("2. Supplement No. 4 to part 744 is amended by adding
  under CHINA, PEOPLE'S REPUBLIC OF, ... entries for “X” and “Y” ..."), read with the
  full-text reader's instruction reader (``rule.instruction_clauses``);
* the Entity List table, when the text holds it: after the heading line
  "Supplement No. 4 to Part 744—Entity List" and its column line, one table row per line,
  cells separated by a tab (or a run of three or more spaces): a country row (its first
  cell a destination in capitals), entity rows (first cell empty: entity, license
  requirement, review policy, citation), "* * *" rows for the parts left as they are.
  A line of one cell right after an entity row continues that row's entity cell (a
  wrapped address); one after a blank line ends the table. The citation cell still holds
  the printer's placeholder ("90 FR [INSERT FR PAGE NUMBER AND DATE OF PUBLICATION]"): a
  filed rule has no page yet.

The parties are the table's rows, each with the operation its instruction states, and
the instruction's quoted names are cross-checked against them (the same review flags as
the full text's). Without a table, the instructions' names are the parties (name and
country only), flagged so. A text with neither yields no parties and says so; a text
that is an HTML page or empty raises ShapeError (the desk's answer changed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from monitor.errors import ShapeError
from monitor.sources.federal_register.info import NAME
from monitor.sources.federal_register.rule import (
    Clause,
    Party,
    cross_check,
    instruction_clauses,
    removed_parties,
    split_entity,
    with_operation,
)
from monitor.sources.federal_register.table import (
    EL_COLUMNS,
    address_items,
    is_stars,
    own_citation,
)
from monitor.sources.federal_register.text import destination_iso
from monitor.sources.fields import find_footnotes, parse_citations, unique

_SCHEDULED = re.compile(
    r"scheduled to be published in the\s+Federal Register on\s+(\d{1,2}/\d{1,2}/\d{4})",
    re.IGNORECASE,
)
_SUMMARY = re.compile(
    r"\bSUMMARY:\s*(.+?)\s*(?=\bDATES:|\bFOR FURTHER INFORMATION|\bSUPPLEMENTARY INFORMATION|\Z)",
    re.DOTALL,
)
_EL_HEADING = re.compile(r"^\s*Supplement No\.\s*4 to Part 744\s*[—–-]+\s*Entity List\s*$", re.I)
_CELL_BREAK = re.compile(r"\t+| {3,}")
# A numbered paragraph ("2. Supplement No. 4 ...") or a lettered one ("a. Under CANADA ...").
_PARAGRAPH = re.compile(r"^\s*(?:\d+|[a-z])\.\s")
_EL_INSTRUCTION: Final = "supplement no. 4 to part 744 is amended"
NO_TABLE: Final = "raw text holds no Entity List table: parties from the instructions only"
NO_PARTIES: Final = "raw text names no Entity List parties"


@dataclass(frozen=True)
class RawText:
    scheduled: str  # ISO date of the stamp, "" when the text has none
    summary: str
    parties: tuple[Party, ...]
    flags: tuple[str, ...]
    touches_entity_list: bool  # it amends Supplement No. 4 to part 744 or names the list


def parse_raw_text(raw: bytes, *, url: str) -> RawText:
    """What a filed rule's raw text says (module docstring)."""
    text = _decode(raw, url)
    flags: list[str] = []
    clauses = _instructions(text)
    named = tuple(n for c in clauses for n in c.names)
    table = _table(text.splitlines(), named, flags)
    if table is None:
        parties = _named_parties(clauses)
        if parties:
            flags.append(NO_TABLE)
    else:
        parties = [with_operation(p, tuple(clauses), flags) for p in table]
        flags.extend(cross_check(table, clauses))
        parties.extend(removed_parties(clauses, parties))
    if not parties and (clauses or table is not None):
        flags.append(NO_PARTIES)
    summary = _summary(text)
    return RawText(
        scheduled=_scheduled(text),
        summary=summary,
        parties=tuple(parties),
        flags=unique(flags),
        touches_entity_list=bool(clauses) or table is not None or "entity list" in summary.lower(),
    )


def _decode(raw: bytes, url: str) -> str:
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if not head:
        raise ShapeError("empty body, not a public inspection raw text", source=NAME, url=url)
    if head.startswith((b"<!doctype", b"<html", b"<?xml")):
        raise ShapeError("got markup, not a public inspection raw text", source=NAME, url=url)
    return raw.decode("utf-8", "replace").replace("\r\n", "\n").lstrip("\ufeff")


def _scheduled(text: str) -> str:
    match = _SCHEDULED.search(text)
    if match is None:
        return ""
    try:
        return datetime.strptime(match.group(1), "%m/%d/%Y").date().isoformat()
    except ValueError:
        return ""


def _summary(text: str) -> str:
    match = _SUMMARY.search(text)
    return " ".join(match.group(1).split()) if match else ""


def _instructions(text: str) -> list[Clause]:
    """The clauses of every instruction amending Supplement No. 4: a paragraph that names
    it, and the lettered paragraphs (a., b., ...) that continue it."""
    clauses: list[Clause] = []
    in_el = False
    for paragraph in _paragraphs(text):
        names_el = _EL_INSTRUCTION in paragraph.casefold()
        if re.match(r"^\s*\d+\.\s", paragraph) or names_el:
            in_el = names_el
        if in_el:
            clauses.extend(instruction_clauses(paragraph))
    return clauses


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, lines joined (a PDF text layer wraps lines)."""
    blocks = re.split(r"\n\s*\n", text)
    return [" ".join(b.split()) for b in blocks if b.strip() and _PARAGRAPH.match(b.strip())]


def _table(lines: list[str], named: tuple[str, ...], flags: list[str]) -> list[Party] | None:
    """The table's rows as parties, or None when the text has no Entity List table."""
    start = next((i for i, line in enumerate(lines) if _EL_HEADING.match(line)), None)
    if start is None:
        return None
    parties: list[Party] = []
    country: str | None = None
    header_seen = after_blank = False
    for line in lines[start + 1 :]:
        if not line.strip():
            after_blank = True
            continue
        cells = [c.strip() for c in _CELL_BREAK.split(line.strip(" \r\n"))]
        wrapped, after_blank = not after_blank, False
        if not header_seen:
            if tuple(c.casefold() for c in cells) != EL_COLUMNS:
                flags.append("raw text Entity List table has no column line; table not read")
                return None
            header_seen = True
            continue
        if all(not c or is_stars(c) for c in cells):
            continue  # a "* * *" row: this stretch of the table is left as it is
        if len(cells) > len(EL_COLUMNS):
            flags.append(f"raw text table line with {len(cells)} cells: {line.strip()[:60]!r}")
            continue
        heading, rest = cells[0], cells[1:]
        if len(cells) == 1 and not heading.isupper():
            if _ends_table(heading) or not wrapped:
                break  # a paragraph after the table
            if parties:  # a wrapped line of the entity cell above: its address goes on
                last = parties[-1]
                kept, tail = last.addresses[:-1], last.addresses[-1:]
                joined = " ".join((*tail, heading))
                parties[-1] = replace(last, addresses=unique((*kept, *address_items(joined))))
            else:
                flags.append(f"raw text table line not read: {heading[:60]!r}")
            continue
        if heading and not is_stars(heading):
            country = destination_iso(heading)
            if not country:
                flags.append(f"unknown country heading {heading!r} in the raw text table")
        if all(not c or is_stars(c) for c in rest):
            continue
        if country is None:
            flags.append(f"raw text table names an entity before any country: {line[:60]!r}")
            continue
        parties.append(_party(rest, country, named))
    return parties


def _ends_table(line: str) -> bool:
    """A paragraph after the table (the signature, "Dated:", the next instruction)."""
    return bool(re.match(r"^(?:\d+\.\s|Dated:|[A-Z][a-z]+ [A-Z]\.? [A-Z][a-z]+,)", line))


def _party(cells: list[str], country: str, named: tuple[str, ...]) -> Party:
    """One entity row. A name the instructions quote that opens the cell is the name
    ("Aerospace Information Research Institute, CAS": its comma is not an address's)."""
    entity, requirement, policy, citation = [*cells, "", "", "", ""][:4]
    name, aliases = split_entity(entity)
    quoted = [n for n in named if entity.startswith(n) and len(n) > len(name)]
    if quoted and not aliases:
        name = max(quoted, key=len)
    address = entity[len(name) :].lstrip(" ,.") if not aliases else ""
    filled = own_citation(citation, 0)
    return Party(
        name=name,
        aliases=aliases,
        country=country,
        citations=parse_citations(filled),
        operation="",
        addresses=address_items(address) if address else (),
        license_requirement=requirement,
        license_policy=policy,
        footnotes=find_footnotes(requirement),
        citation_text=filled,
    )


def _named_parties(clauses: list[Clause]) -> list[Party]:
    """Without a table: each quoted name of an adding or revising clause, once."""
    parties: dict[str, Party] = {}
    for clause in clauses:
        country = clause.countries[0] if len(clause.countries) == 1 else ""
        for name in clause.names:
            parties.setdefault(name.casefold(), Party(name, (), country, (), clause.operation))
    return list(parties.values())
