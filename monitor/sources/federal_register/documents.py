"""Federal Register API answers -> documents, checked field by field.

Two answers are read here, both JSON envelopes ``{"count", "total_pages",
"next_page_url", "results": [...]}`` (SOURCES.md section 3):

* ``documents.json`` pages: we ask for exactly ``DOCUMENT_FIELDS``, so a result
  with any other key, a value of the wrong type or a date that is not ISO means
  the API changed and raises ShapeError; a requested field that is absent or
  ``null`` reads as empty.
* ``public-inspection-documents.json``: its results carry many more keys than we
  use (we do not ask for fields there); only the ones we read are checked.

Nothing here builds records (that is ``fr_actions``) or fetches anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from monitor.errors import ParseError, ShapeError
from monitor.models import FieldValue
from monitor.sources.federal_register.info import NAME

AGENCY: Final = "industry-and-security-bureau"
AGENCY_NAME: Final = "Industry and Security Bureau"

DOCUMENT_FIELDS: Final = (
    "document_number",
    "citation",
    "title",
    "type",
    "action",
    "abstract",
    "publication_date",
    "effective_on",
    "start_page",
    "end_page",
    "volume",
    "html_url",
    "full_text_xml_url",
    "pdf_url",
    "regulation_id_numbers",
    "docket_ids",
    "dates",
)
_INTEGERS: Final = frozenset({"start_page", "end_page", "volume"})
_LISTS: Final = frozenset({"regulation_id_numbers", "docket_ids"})
_DATES: Final = frozenset({"publication_date", "effective_on"})
_ENVELOPE: Final = frozenset(
    {"count", "description", "total_pages", "next_page_url", "previous_page_url", "results"}
)
# The public inspection desk's answers also say when each filing slot was last updated.
_INSPECTION_ENVELOPE: Final = _ENVELOPE | {
    "special_filings_updated_at",
    "regular_filings_updated_at",
}
# The query asks for rules only; anything else is not the answer we asked for.
_RULE_TYPES: Final = frozenset({"Rule"})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DOCUMENT_NUMBER = re.compile(r"[A-Z0-9][A-Za-z0-9-]{2,40}")


@dataclass(frozen=True)
class Document:
    """One ``documents.json`` result: every requested field, ints as text, null as empty."""

    values: Mapping[str, FieldValue]

    def text(self, name: str) -> str:
        value = self.values.get(name, "")
        return value if isinstance(value, str) else "; ".join(value)

    def items(self, name: str) -> tuple[str, ...]:
        value = self.values.get(name, ())
        return value if isinstance(value, tuple) else ()

    @property
    def number(self) -> str:
        return self.text("document_number")


@dataclass(frozen=True)
class Page:
    documents: tuple[Document, ...]
    next_url: str  # "" on the last page


@dataclass(frozen=True)
class Inspection:
    """One public inspection entry: a document filed but not yet published."""

    number: str
    title: str
    type: str
    filed_at: str
    publication_date: str
    html_url: str
    pdf_url: str
    agencies: tuple[str, ...]  # slugs and names, as given
    raw_text_url: str = ""
    filing_type: str = ""  # "regular" or "special"
    editorial_note: str = ""  # e.g. why a document was withdrawn from public inspection

    @property
    def is_bis_rule(self) -> bool:
        return self.type == "Rule" and bool({AGENCY, AGENCY_NAME} & set(self.agencies))


def _shape(message: str, url: str) -> ShapeError:
    return ShapeError(message, source=NAME, url=url)


def _envelope(
    raw: bytes, url: str, what: str, allowed: frozenset[str] = _ENVELOPE
) -> tuple[dict[str, object], list[object]]:
    """An API envelope and its ``results``; HTML, non-JSON and other shapes raise."""
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if head.startswith((b"<!doctype", b"<html", b"<")):
        raise _shape(f"got markup (an HTML page?), not the {what} JSON", url)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{what} answer is not JSON: {exc}", source=NAME, url=url) from exc
    if not isinstance(data, dict):
        raise _shape(f"{what} answer is not a JSON object", url)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _shape(f"{what} answer has unexpected key(s): {', '.join(unknown)}", url)
    results = data.get("results")
    if results is None and data.get("count") == 0:
        return data, []  # the API leaves "results" out when nothing matches
    if not isinstance(results, list):
        raise _shape(f"{what} answer has no 'results' list", url)
    return data, results


def read_page(raw: bytes, *, url: str) -> Page:
    """One ``documents.json`` page, every result checked."""
    data, results = _envelope(raw, url, "documents.json")
    next_url = data.get("next_page_url")
    if next_url is not None and not isinstance(next_url, str):
        raise _shape("next_page_url is not text", url)
    documents = tuple(read_document(item, f"result {i}", url) for i, item in enumerate(results))
    return Page(documents, next_url or "")


def read_document(item: object, where: str, url: str) -> Document:
    if not isinstance(item, dict):
        raise _shape(f"{where} is not an object", url)
    unknown = sorted(set(item) - set(DOCUMENT_FIELDS))
    if unknown:
        raise _shape(f"{where} has unexpected key(s): {', '.join(unknown)}", url)
    values = {name: _value(name, item.get(name), where, url) for name in DOCUMENT_FIELDS}
    document = Document(values)
    if not _DOCUMENT_NUMBER.fullmatch(document.number):
        raise _shape(f"{where} has no valid document_number: {item.get('document_number')!r}", url)
    where = f"document {document.number}"
    if not document.text("title"):
        raise _shape(f"{where} has no title", url)
    if document.text("type") not in _RULE_TYPES:
        raise _shape(f"{where} is a {document.text('type')!r}, but only rules were asked for", url)
    return document


def _value(name: str, value: object, where: str, url: str) -> FieldValue:
    if value is None:
        return () if name in _LISTS else ""
    if name in _LISTS:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(v.strip() for v in value if v.strip())
        raise _shape(f"{where}: {name} is not a list of text", url)
    if name in _INTEGERS:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise _shape(f"{where}: {name} is not a whole number", url)
    if not isinstance(value, str):
        raise _shape(f"{where}: {name} is {type(value).__name__}, not text", url)
    text = " ".join(value.split())
    if name in _DATES and text and not _ISO_DATE.fullmatch(text):
        raise _shape(f"{where}: {name} {text!r} is not an ISO date", url)
    return text


def read_inspection(raw: bytes, *, url: str) -> tuple[Inspection, ...]:
    """The entries of a ``public-inspection-documents.json`` answer."""
    what = "public-inspection-documents.json"
    _data, results = _envelope(raw, url, what, _INSPECTION_ENVELOPE)
    return tuple(_inspection(item, f"entry {i}", url) for i, item in enumerate(results))


def _inspection(item: object, where: str, url: str) -> Inspection:
    if not isinstance(item, dict):
        raise _shape(f"{where} is not an object", url)
    number = _plain(item.get("document_number"), where, url)
    if not _DOCUMENT_NUMBER.fullmatch(number):
        raise _shape(f"{where} has no valid document_number", url)
    agencies = _agencies(item, f"public inspection {number}", url)
    return Inspection(
        number=number,
        title=_plain(item.get("title"), where, url),
        type=_plain(item.get("type"), where, url),
        filed_at=_plain(item.get("filed_at"), where, url),
        publication_date=_plain(item.get("publication_date"), where, url),
        html_url=_plain(item.get("html_url"), where, url),
        pdf_url=_plain(item.get("pdf_url"), where, url),
        agencies=agencies,
        raw_text_url=_plain(item.get("raw_text_url"), where, url),
        filing_type=_plain(item.get("filing_type"), where, url),
        editorial_note=_plain(item.get("editorial_note"), where, url),
    )


def _agencies(item: Mapping[str, object], where: str, url: str) -> tuple[str, ...]:
    """Agency slugs and names; an entry that names no agency cannot be judged BIS or not."""
    found: list[str] = []
    listed = item.get("agencies") or []
    for agency in listed if isinstance(listed, list) else []:
        if isinstance(agency, dict):
            found.extend(str(agency[k]) for k in ("slug", "name") if agency.get(k))
    names = item.get("agency_names") or []
    if isinstance(names, list):
        found.extend(str(n) for n in names)
    if not found:
        raise _shape(f"{where} names no agency", url)
    return tuple(found)


def _plain(value: object, where: str, url: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    raise _shape(f"{where} has {type(value).__name__} where text was expected", url)


def unique_documents(documents: Iterable[Document]) -> list[Document]:
    """First occurrence of each document number (pages can shift while being read)."""
    seen: dict[str, Document] = {}
    for document in documents:
        seen.setdefault(document.number, document)
    return list(seen.values())
