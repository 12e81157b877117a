"""The Entity List table of a BIS rule's full-text XML: rows to ``Party`` records.

See ``rule.py`` for the layout. Read here: the column titles (as CHED headers or, with
blank CHEDs, as a ROW), country rows, entity rows, spacer and "* * *" rows (skipped),
rows holding only an address (joined to the entry above), the entity cell (with ``LI``
lines: the eCFR's cell reader; flat: the CSL helpers), the requirement cell with its
footnote marker, and the printer's citation placeholder, filled in with the page the
entry is printed on (``PRTPAGE`` markers).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Final

from monitor.errors import ShapeError
from monitor.sources.ecfr.cells import CellError, parse_entity
from monitor.sources.federal_register.info import NAME
from monitor.sources.federal_register.text import destination_iso
from monitor.sources.fields import (
    clean_alias,
    clean_aliases,
    find_footnotes,
    parse_citations,
    split_multi,
    unique,
)

EL_COLUMNS: Final = (
    "country",
    "entity",
    "license requirement",
    "license review policy",
    "federal register citation",
)
_AKA = re.compile(r",?\s*a\.k\.a\.,?\s*(?:the following \w+ aliases?:)?\s*", re.IGNORECASE)
# Where the last alias ends and the address begins: ". " before a capital or a digit.
_SENTENCE_BREAK = re.compile(r"\.\s+(?=[A-Z0-9])")
# Legal-form words that continue a name after ", " ("Co., Ltd."), so that comma is no boundary.
_NAME_CONTINUES = re.compile(
    r"(?:Ltd|Limited|Inc|LLC|L\.L\.C|LLP|Co\b|Corp|GmbH|JSC|PLC|Pte|Pvt|S\.A|SA\b|AG\b|B\.V|Sdn)",
)
_SKIPPED_TAGS: Final = frozenset({"SU", "FTREF"})  # footnote markers glued to names
# The printer's placeholder of the rule's own citation: volume, then the publication date.
_PLACEHOLDER = re.compile(
    r"(\d{2,3})\s*FR\s*\[\s*INSERT FR PAGE NUMBER(?:\s+AND\s+([\d/]+))?\s*\]", re.IGNORECASE
)


@dataclass(frozen=True)
class Party:
    """One entity the rule's Entity List table (or removal instruction) names."""

    name: str
    aliases: tuple[str, ...]
    country: str  # ISO-2, "" when the heading is unknown
    citations: tuple[str, ...]  # from the table's citation cell ("90 FR 4619")
    operation: str  # add | revise | remove | "" when the instructions do not say
    addresses: tuple[str, ...] = ()
    license_requirement: str = ""
    license_policy: str = ""
    footnotes: tuple[str, ...] = ()
    citation_text: str = ""  # the citation cell, the printer's placeholder filled in


def _shape(message: str, url: str) -> ShapeError:
    return ShapeError(message, source=NAME, url=url)


def element_text(element: ET.Element, skip: Iterable[str] = (), *, glue: bool = False) -> str:
    """The element's text with spacing collapsed (Unicode spaces too) and ``skip`` tags
    dropped (their tails kept). Superscripts: a footnote number is dropped, unless
    ``glue`` (the requirement cell keeps it, glued on as the eCFR and CSL print it:
    "734.9(g),3"); letters ("3<SU>rd</SU>") are glued to the word before them."""
    skipped = set(skip)
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if node.tag in skipped or node.tag == "FTREF":
            return
        if node.tag == "SU":
            mark = "".join(node.itertext()).strip()
            if glue or not mark.isdigit():
                parts.append("\x00" + mark)
            return
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")

    walk(element)
    text = re.sub(r"\s*\x00", "", "".join(parts))
    return " ".join(text.split())


def _lines(cell: ET.Element) -> list[str]:
    """An entity cell as lines: the text before the first ``LI``, then each ``LI``."""
    head = ET.Element("ENT")
    head.text = cell.text
    lines: list[ET.Element] = [head]
    for child in cell:
        if child.tag == "LI":
            lines.append(child)
            holder = ET.Element("ENT")  # the LI's tail (rare) is a line of its own
            holder.text = child.tail
            lines.append(holder)
        else:
            lines[-1].append(child)
    return [t for t in (element_text(line) for line in lines) if t]


def pages_of(root: ET.Element) -> dict[int, int]:
    """The printed page of every element (by ``id``): that of the last PRTPAGE before it.
    Text before the first marker is on the page before that marker's."""
    markers = [int(p.get("P", "0")) for p in root.iter("PRTPAGE") if p.get("P", "").isdigit()]
    page = markers[0] - 1 if markers else 0
    pages: dict[int, int] = {}
    for element in root.iter():
        if element.tag == "PRTPAGE" and element.get("P", "").isdigit():
            page = int(element.get("P", "0"))
        pages[id(element)] = page
    return pages


def el_header(table: ET.Element, instructs_el: bool, url: str) -> ET.Element | None:
    """The header of an Entity List table: its BOXHD, or with blank CHEDs the ROW that
    holds the column titles; None for a table of another supplement (e.g. the VEU list)."""
    columns = tuple(element_text(ched).casefold().rstrip(".") for ched in table.iter("CHED"))
    if columns == EL_COLUMNS:
        return table.find("BOXHD")
    if not any(columns):
        for row in table.iter("ROW"):
            cells = tuple(element_text(ent).casefold().rstrip(".") for ent in row.findall("ENT"))
            if cells == EL_COLUMNS:
                return row
            if any(c and not is_stars(c) for c in cells):
                break  # a row of content before any title row: not titled in its rows
    if instructs_el:
        raise _shape(
            f"Entity List table has columns {list(columns)}, expected {list(EL_COLUMNS)}", url
        )
    return None


def table_parties(
    table: ET.Element, header: ET.Element, pages: dict[int, int], url: str, flags: list[str]
) -> Iterator[Party]:
    country: str | None = None
    pending: Party | None = None
    for number, row in enumerate(table.iter("ROW"), start=1):
        if row is header:
            continue
        ents = row.findall("ENT")
        if len(ents) > len(EL_COLUMNS):
            raise _shape(f"Entity List row {number} has {len(ents)} cells, expected 5", url)
        cells = [element_text(ent) for ent in ents]
        cells = ["" if is_stars(c) else c for c in cells] + [""] * (len(EL_COLUMNS) - len(ents))
        heading, entity = cells[0], cells[1]
        if not any(cells):
            continue  # a spacer or "* * *" row
        if heading:
            if pending is not None:
                yield pending
                pending = None
            country = destination_iso(heading)
            if not country:
                flags.append(f"unknown country heading {heading!r} in the Entity List table")
        if not entity:
            continue
        if country is None:
            raise _shape(f"Entity List row {number} names an entity before any country", url)
        if pending is not None and not heading and not any(cells[2:]):
            # An address in a row of its own belongs to the entry above.
            addresses = unique((*pending.addresses, *address_items(entity)))
            pending = replace(pending, addresses=addresses)
            continue
        if pending is not None:
            yield pending
        pending = _party(ents, cells, country, pages.get(id(ents[1]), 0), flags)
    if pending is not None:
        yield pending


def _party(
    ents: list[ET.Element], cells: list[str], country: str, page: int, flags: list[str]
) -> Party:
    """One entity row: the cells read, the printer's citation placeholder filled in."""
    lines = _lines(ents[1])
    addresses: tuple[str, ...] = ()
    if len(lines) > 1:
        try:
            read = parse_entity("\n".join(lines))
        except CellError as error:
            flags.append(f"entity cell {lines[0][:60]!r}: {error}")
            name, aliases = split_entity(" ".join(lines))
        else:
            name, aliases, addresses = read.name, read.aliases, read.addresses
            flags.extend(f"entity {read.name!r}: {note}" for note in read.notes)
    else:
        name, aliases = split_entity(cells[1])
    requirement = element_text(ents[2], glue=True) if len(ents) > 2 else ""
    citation = own_citation(cells[4], page)
    return Party(
        name=name,
        aliases=aliases,
        country=country,
        citations=parse_citations(citation),
        operation="",
        addresses=addresses,
        license_requirement=requirement,
        license_policy=cells[3],
        footnotes=find_footnotes(requirement),
        citation_text=citation,
    )


def own_citation(cell: str, page: int) -> str:
    """The citation cell with the printer's placeholder filled in: "88 FR [INSERT FR PAGE
    NUMBER AND 2/27/2023]." on page 12172 is "88 FR 12172, 2/27/2023."."""

    def fill(match: re.Match[str]) -> str:
        date = f", {match.group(2)}" if match.group(2) else ""
        return f"{match.group(1)} FR {page}{date}" if page else match.group(0)

    return _PLACEHOLDER.sub(fill, cell)


def address_items(text: str) -> tuple[str, ...]:
    """Addresses of a row of their own, split as the eCFR's are ("; " / "; and ")."""
    return clean_aliases(split_multi(text))


def is_stars(cell: str) -> bool:
    """A "* * *" cell: the rule leaves this stretch of the table as it is."""
    return bool(cell) and set(cell) <= {"*", " "}


def split_entity(cell: str) -> tuple[str, tuple[str, ...]]:
    """(name, aliases) of a flat entity cell; the address after them is dropped."""
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
