"""The Entity List table inside eCFR versioner XML: bytes -> rows of cell texts.

What the table looks like (reference ``SOURCES.md`` section 2 and the structure sample):
an element with ``N="Supplement No. 4 to Part 744"`` (a ``DIV9`` today) holding one
HTML-style ``TABLE`` (not GPO ``GPOTABLE``), with or without ``THEAD``/``TBODY``, whose
first row is the five headers Country | Entity | License requirement | License review
policy | Federal Register citation. What this module resolves so callers see only entries:

* the Country cell is blank on continuation rows: the last country is carried forward;
  a row with a country and nothing else is a country heading;
* ``[Reserved]`` rows, ``* * *`` rows (excerpt separators in Federal Register tables)
  and one-cell rows (trailing footnotes, the amendment-history cell) are skipped;
* "Subordinate institution:" / "Affiliated entities:" marker rows are headings, not
  entities, and are skipped; the rows under them are entries with their own cells and
  are read like any other. The table does not mark where such a group ends, so no
  grouping is inferred (a guess would mislabel ordinary entries). A marker written as
  a prefix of an entity cell is removed so the key is the entity's own name.

Anything else (a row of 2-4 or 6+ cells, values without an entity, a different header,
no table or two tables) raises ShapeError: a partial table must never reach the differ.

Safety: a document that declares a DTD at all is refused before parsing (``xml_guard``;
the eCFR XML has none), and the parser runs with entity resolution, DTD loading and
network access off, so external entities (local files) and entity expansion bombs are
never read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from monitor.errors import ParseError, ShapeError
from monitor.sources.xml_guard import declares_dtd

log = logging.getLogger(__name__)

SUPPLEMENT = "Supplement No. 4 to Part 744"
HEADER = (
    "Country",
    "Entity",
    "License requirement",
    "License review policy",
    "Federal Register citation",
)

_STARS = re.compile(r"[*\s]+")
_RESERVED = re.compile(r"\[\s*reserved\s*\]\.?", re.IGNORECASE)
_MARKER = re.compile(r"(?:subordinate institutions?|affiliated entit(?:y|ies))\s*:\s*", re.I)
# A lone note in the Country cell: "1 For this entity ..." or "[63 FR 64325 ...]".
_NOTE = re.compile(r"\d+\s|\[")
_LINE_TAGS = frozenset({"p", "li"})
_SUPERSCRIPT_TAGS = frozenset({"su", "sup"})

class Element(Protocol):
    """What this module reads of an lxml element (lxml ships no type hints)."""

    @property
    def tag(self) -> object: ...  # the name, or a function for comments and PIs

    @property
    def text(self) -> str | None: ...

    @property
    def tail(self) -> str | None: ...

    def get(self, key: str) -> str | None: ...

    def iter(self) -> Iterator[Element]: ...

    def itertext(self) -> Iterator[str]: ...

    def __iter__(self) -> Iterator[Element]: ...


@dataclass(frozen=True)
class Where:
    """Which source and URL the bytes came from, for error messages."""

    source: str
    url: str

    def shape(self, message: str) -> ShapeError:
        return ShapeError(message, source=self.source, url=self.url)

    def parse(self, message: str) -> ParseError:
        return ParseError(message, source=self.source, url=self.url)


@dataclass(frozen=True)
class Cell:
    """A cell's text: whitespace collapsed, line breaks (``<br/>``, ``P``, ``LI``) kept
    as "\\n", and the digits that were marked up as superscripts (footnote markers)."""

    text: str
    superscripts: tuple[str, ...] = ()

    @property
    def flat(self) -> str:
        return " ".join(self.text.split())


@dataclass(frozen=True)
class EntityRow:
    """One entry of the table. ``number`` counts TR elements, header included."""

    number: int
    country: str
    entity: Cell
    requirement: Cell
    policy: str
    citation: str


def entity_rows(raw: bytes, where: Where) -> list[EntityRow]:
    """Every entry of Supplement No. 4 in the XML, in table order."""
    table = _the_table(_the_supplement(_parse_xml(raw, where), where), where)
    rows = [el for el in table.iter() if _tag(el) == "tr"]
    if not rows:
        raise where.shape(f"the {SUPPLEMENT} table has no rows")
    _check_header(rows[0], where)
    return list(_entries(rows[1:], where))


def _parse_xml(raw: bytes, where: Where) -> Element:
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if not head:
        raise where.shape("empty body, not eCFR XML")
    if head.startswith((b"<!doctype html", b"<html")):
        raise where.shape("got an HTML page, not eCFR XML")
    if declares_dtd(raw):
        raise where.parse("the XML declares a DTD; refused (entities are never expanded)")
    from lxml import etree  # here, not at import: a "not modified" run never parses

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        parsed = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise where.parse(f"not well-formed XML: {exc}") from exc
    info = parsed.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise where.parse("the XML declares a DTD; refused (entities are never expanded)")
    root: Element = parsed
    return root


def _the_supplement(root: Element, where: Where) -> Element:
    wanted = _fold(SUPPLEMENT)
    found = [el for el in root.iter() if _tag(el) and _fold(el.get("N") or "") == wanted]
    if len(found) != 1:
        what = "no element" if not found else f"{len(found)} elements"
        raise where.shape(f'{what} with N="{SUPPLEMENT}" (expected exactly one)')
    return found[0]


def _the_table(supplement: Element, where: Where) -> Element:
    tables = [el for el in supplement.iter() if _tag(el) == "table"]
    if len(tables) == 1:
        return tables[0]
    if not tables and any(_tag(el) == "gpotable" for el in supplement.iter()):
        raise where.shape(f"{SUPPLEMENT} uses GPOTABLE markup, not the versioner's TABLE")
    raise where.shape(f"{SUPPLEMENT} holds {len(tables)} TABLE elements (expected one)")


def _check_header(row: Element, where: Where) -> None:
    found = tuple(cell_of(c).flat for c in _cells(row))
    if tuple(_fold(t) for t in found) != tuple(_fold(h) for h in HEADER):
        raise where.shape(
            f"table header is {' | '.join(found) or '(empty)'}; expected {' | '.join(HEADER)}"
        )


def _entries(rows: list[Element], where: Where) -> Iterator[EntityRow]:
    country = ""
    for number, row in enumerate(rows, start=2):
        cells = _cells(row)
        if len(cells) == 1:
            log.debug("eCFR table row %d: one-cell note skipped", number)
            continue
        if len(cells) != len(HEADER):
            raise where.shape(f"table row {number} has {len(cells)} cells, expected 5")
        country_cell = cell_of(cells[0], drop_superscripts=True).flat
        entity = cell_of(cells[1], drop_superscripts=True)
        requirement = cell_of(cells[2])
        rest = [requirement.flat, cell_of(cells[3]).flat, cell_of(cells[4]).flat]
        if _skipped(country_cell, entity.flat, rest):
            continue
        if country_cell:
            country = country_cell
        entity = _without_marker(entity)
        if not entity.flat:
            if any(rest):
                raise where.shape(f"table row {number} has values but no entity")
            continue  # a country heading
        if not country:
            raise where.shape(f"table row {number} has no country and none above it")
        yield EntityRow(number, country, entity, requirement, rest[1], rest[2])


def _skipped(country: str, entity: str, rest: list[str]) -> bool:
    """Rows that are not entries: blank, stars, [Reserved], markers, lone notes."""
    filled = [t for t in (country, entity, *rest) if t]
    if not filled or all(_STARS.fullmatch(t) for t in filled):
        return True
    if any(_RESERVED.fullmatch(t) for t in filled):
        return True
    if _MARKER.fullmatch(entity) and not any(rest):
        return True
    return bool(country) and not entity and not any(rest) and bool(_NOTE.match(country))


def _without_marker(entity: Cell) -> Cell:
    match = _MARKER.match(entity.text)
    if match is None:
        return entity
    return Cell(entity.text[match.end() :], entity.superscripts)


def _cells(row: Element) -> list[Element]:
    return [c for c in row if _tag(c) in ("td", "th")]


def cell_of(element: Element, drop_superscripts: bool = False) -> Cell:
    """The cell's text. Superscript digits stay glued where they sit (as the flattened
    text shows them, which is how the CSL copies them) unless ``drop_superscripts``:
    in the entity cell a footnote marker must not become part of a name or key."""
    pieces: list[str] = []
    marks: list[str] = []
    _walk(element, pieces, marks, drop_superscripts)
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return Cell("\n".join(line for line in lines if line), tuple(marks))


def _walk(element: Element, pieces: list[str], marks: list[str], drop: bool) -> None:
    pieces.append(_spaced(element.text))
    for child in element:
        tag = _tag(child)
        if tag == "br":
            pieces.append("\n")
        elif tag in _SUPERSCRIPT_TAGS:
            mark = "".join(child.itertext()).strip()
            marks.append(mark)
            pieces.append("" if drop else mark)
        elif tag in _LINE_TAGS:
            pieces.append("\n")
            _walk(child, pieces, marks, drop)
            pieces.append("\n")
        elif tag:
            _walk(child, pieces, marks, drop)
        pieces.append(_spaced(child.tail))  # comments and PIs: only their tail is text


def _spaced(text: str | None) -> str:
    """Source whitespace (pretty-printing newlines included) as single spaces."""
    return re.sub(r"\s+", " ", text) if text else ""


def _tag(element: Element) -> str:
    """The lower-case local name, or "" for comments and processing instructions."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    from lxml import etree

    return str(etree.QName(tag).localname).lower()


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()
