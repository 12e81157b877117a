"""ITA Consolidated Screening List (CSL) bulk file: the BIS Entity List, and on request MEU/UVL/DPL.

The file mixes every US screening list; we keep only the rows whose ``source`` is one of the
configured BIS lists (``settings.lists``: EL, MEU, UVL, DPL) and ignore the rest (SDN, ISN...)
silently. Both layouts the publisher has used are read, chosen from the bytes themselves:

* CSV: the current 29-column header (with ``_id``) or the legacy 28-column one (without it);
  every column must be there and no other column may appear.
* JSON: ``{"results": [...]}``, key ``id`` instead of ``_id``, addresses as objects.

Parsing is strict (see ``monitor.sources.base``): HTML pages, empty bodies, unknown columns,
truncated or misquoted rows raise ShapeError with the source and URL; bytes that are not UTF-8
or not JSON raise ParseError. A file whose kept rows number zero is returned as an empty list:
the pipeline's count gate decides what that means.

Keys: ``record_key(name, first ISO country)``. Rows of the other lists get their list code as a
prefix (``"meu:<key>"``) because one entity can sit on the Entity List and the MEU list at once
and a snapshot needs one record per key; Entity List keys stay plain so they match the eCFR
source. Two rows with the same key are merged (lists of values united, differing text joined
with "; ") and the merge is logged and counted in ``meta["merged_rows"]``.

Row ids and the two URL columns go to ``meta``, never to ``fields``: they churn on every BIS
site migration without the entry changing, and ``fields`` is what the content hash covers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping

from monitor import __version__
from monitor.config import SourceSettings
from monitor.errors import ConfigError, ParseError, ShapeError
from monitor.models import Record
from monitor.sources.base import Row, SingleFileSource
from monitor.sources.csl.fields import (
    LIST_SOURCES,
    TEXT_COLUMNS,
    Entry,
    countries_of,
    join_json_address,
    to_record,
)
from monitor.sources.csl.info import INFO, NAME
from monitor.sources.fields import clean_aliases, iso_country, merge_all, split_multi, unique

# fmt: off
CURRENT_HEADER: tuple[str, ...] = (
    "_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
    "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage",
    "vessel_flag", "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships",
    "dates_of_birth", "nationalities", "places_of_birth", "source_information_url", "ids",
)
# fmt: on
LEGACY_HEADER: tuple[str, ...] = CURRENT_HEADER[1:]

# Keys a JSON record may carry: the CSV columns with ``id`` for ``_id``, plus ``country`` (ISN).
JSON_KEYS = frozenset({"id", "country", *LEGACY_HEADER})


class CslEntityListSource(SingleFileSource):
    info = INFO

    def parse(self, raw: bytes, *, url: str, settings: SourceSettings) -> list[Record]:
        wanted = _wanted_sources(settings.lists or self.info.lists, url)
        head = _check_head(raw, url)
        if head[:1] in (b"{", b"["):
            entries = _json_entries(_decode(raw, url), wanted, url)
        else:
            entries = _csv_entries(_lines(raw, url), wanted, url)
        records = merge_all(to_record(entry) for entry in entries)
        _check_every_list_present({record.list_name for record in records}, wanted, url)
        return records

    def row_reader(self, raw: bytes, *, url: str, settings: SourceSettings) -> CsvRowReader | None:
        """The CSV layout row by row (the JSON layout is only read whole)."""
        wanted = _wanted_sources(settings.lists or self.info.lists, url)
        if _check_head(raw, url)[:1] in (b"{", b"["):
            return None
        return CsvRowReader(raw, url, wanted)


# Part of every row digest: a parser change must not leave records made by the old one.
ROW_DIGEST_VERSION = f"csl-rows-1/{__version__}"


class CsvRowReader:
    """The CSV file as digested rows (see ``monitor.sources.base.RowReader``)."""

    def __init__(self, raw: bytes, url: str, wanted: Mapping[str, str]) -> None:
        self.raw = raw
        self.url = url
        self.wanted = wanted
        self._header: tuple[str, ...] = ()

    def rows(self) -> Iterator[Row]:
        cells_of = _csv_cells(_lines(self.raw, self.url), self.url)
        header = next(cells_of, None)
        if header is None:
            return
        self._header = header
        at = header.index("source")
        seed = hashlib.blake2b(digest_size=16)
        seed.update("\x1e".join((ROW_DIGEST_VERSION, *header)).encode())
        for cells in cells_of:
            code = self.wanted.get(cells[at].strip())
            if code is None:
                continue
            digest = seed.copy()
            digest.update("\x1e".join((code, *cells)).encode())
            yield Row(digest.digest(), code.lower(), tuple(cells))

    def record(self, row: Row) -> Record:
        values = dict(zip(self._header, row.cells, strict=True))
        return to_record(_entry_from_csv(values, row.list_name.upper()))

    def merge(self, records: list[Record]) -> list[Record]:
        return merge_all(records)

    def check(self, list_names: set[str]) -> None:
        _check_every_list_present(list_names, self.wanted, self.url)


def _check_every_list_present(found: set[str], wanted: Mapping[str, str], url: str) -> None:
    """A configured list with no rows means its ``source`` label changed or the file is
    cut short: either way, an empty list would read as every entry removed."""
    missing = [(code, label) for label, code in wanted.items() if code.lower() not in found]
    if missing:
        named = "; ".join(f"{code} ({label!r})" for code, label in missing)
        raise _shape(f"no rows of the configured list(s) {named}; was a source label renamed?", url)


# --- bytes -> text ---------------------------------------------------------------------------


def _shape(message: str, url: str) -> ShapeError:
    return ShapeError(message, source=NAME, url=url)


def _wanted_sources(codes: Iterable[str], url: str) -> dict[str, str]:
    """The ``source`` strings to keep, mapped to their list code."""
    upper = [c.upper() for c in codes]
    unknown = [c for c in upper if c not in LIST_SOURCES]
    if unknown:
        known = ", ".join(LIST_SOURCES)
        raise ConfigError(
            f"unknown CSL list code(s) {', '.join(unknown)}; known: {known}",
            source=NAME,
            url=url,
        )
    return {LIST_SOURCES[c]: c for c in upper}


_LEAD = re.compile(rb"[\xef\xbb\xbf \t\r\n]*")


def _check_head(raw: bytes, url: str) -> bytes:
    """The first bytes after any BOM and blanks; refuses empty bodies and markup."""
    # Not ``raw.lstrip()``: with a BOM that copies the whole (100 MB) body.
    lead = _LEAD.match(raw)
    at = lead.end() if lead else 0
    head = raw[at : at + 64].lower()
    if not head:
        raise _shape("empty body, not the CSL file", url)
    if head.startswith((b"<!doctype", b"<html")):
        raise _shape("got an HTML page, not the CSL file", url)
    if head.startswith(b"<"):
        raise _shape("got markup (XML/HTML), not the CSL file", url)
    return head


def _decode(raw: bytes, url: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"body is not UTF-8: {exc}", source=NAME, url=url) from exc


def _lines(raw: bytes, url: str) -> Iterator[str]:
    """Decoded lines, one at a time.

    The CSL file is tens of MB; decoding it whole and wrapping it in StringIO
    holds it three times over (StringIO stores four bytes a character).
    UTF-8 never has a newline byte inside a character, so lines decode alone.
    """
    for number, line in enumerate(io.BytesIO(raw), start=1):
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"body is not UTF-8 (line {number}): {exc}", source=NAME, url=url
            ) from exc


# --- CSV -------------------------------------------------------------------------------------


def _csv_entries(lines: Iterable[str], wanted: Mapping[str, str], url: str) -> Iterator[Entry]:
    for row in _csv_rows(lines, url):
        code = wanted.get(row["source"].strip())
        if code is not None:
            yield _entry_from_csv(row, code)


# The csv module's default field limit, enforced here: the module's own limit is global to
# the process, and a library imported beside ecmon may raise it (followthemoney does).
MAX_CELL = 131_072


def _csv_rows(lines: Iterable[str], url: str) -> Iterator[dict[str, str]]:
    """Rows as column -> cell; any malformed row raises ShapeError naming its first line."""
    cells_of = _csv_cells(lines, url)
    header = next(cells_of, None)
    if header is None:
        return
    for cells in cells_of:
        yield dict(zip(header, cells, strict=True))


def _csv_cells(lines: Iterable[str], url: str) -> Iterator[tuple[str, ...]]:
    """The checked header, then each non-empty row's cells; any malformed row raises
    ShapeError naming its first line."""
    reader = csv.reader(lines, strict=True)
    header: tuple[str, ...] | None = None
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):  # the module's own limit, when nobody raised it
                raise _shape(_too_long(line), url) from exc
            raise _shape(f"malformed CSV row at line {line}: {exc}", url) from exc
        if max(map(len, cells), default=0) > MAX_CELL:
            raise _shape(_too_long(line), url)
        if header is None:
            header = _check_header(cells, url)
            yield header
        elif cells:
            if len(cells) != len(header):
                raise _shape(
                    f"line {line} has {len(cells)} cells, expected {len(header)} "
                    "(truncated or misquoted row)",
                    url,
                )
            yield tuple(cells)


def _too_long(line: int) -> str:
    return f"line {line} has a cell over {MAX_CELL:,} characters"


def _check_header(cells: list[str], url: str) -> tuple[str, ...]:
    header = tuple(c.strip() for c in cells)
    expected = CURRENT_HEADER if "_id" in header else LEGACY_HEADER
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected column(s): {', '.join(extra)}")
    if len(set(header)) != len(header):
        problems.append("repeated column name(s)")
    if problems:
        raise _shape("CSV header is not the CSL layout: " + "; ".join(problems), url)
    return header


def _entry_from_csv(row: Mapping[str, str], code: str) -> Entry:
    addresses = unique(split_multi(row["addresses"]))
    return Entry(
        list_code=code,
        name=row["name"].strip(),
        aliases=clean_aliases(split_multi(row["alt_names"])),
        addresses=addresses,
        countries=countries_of(addresses),
        programs=unique(split_multi(row["programs"])),
        text={c: row[c].strip() for c in TEXT_COLUMNS},
        meta=_meta(row.get("_id", ""), row["source_list_url"], row["source_information_url"]),
    )


def _meta(row_id: str, list_url: str, info_url: str) -> dict[str, str]:
    return {
        "row_id": row_id.strip(),
        "source_list_url": list_url.strip(),
        "source_information_url": info_url.strip(),
    }


# --- JSON ------------------------------------------------------------------------------------


def _json_entries(text: str, wanted: Mapping[str, str], url: str) -> Iterator[Entry]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"body is not valid JSON: {exc}", source=NAME, url=url) from exc
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise _shape("JSON has no 'results' list, not the CSL file", url)
    for index, item in enumerate(results):
        where = f"JSON record {index}"
        if not isinstance(item, dict):
            raise _shape(f"{where} is not an object", url)
        for key in ("source", "name"):
            if not isinstance(item.get(key), str):
                raise _shape(f"{where} has no '{key}' text", url)
        code = wanted.get(item["source"].strip())
        if code is not None:
            yield _entry_from_json(item, code, where, url)


def _entry_from_json(item: Mapping[str, object], code: str, where: str, url: str) -> Entry:
    unknown = sorted(set(item) - JSON_KEYS)
    if unknown:
        raise _shape(f"{where} has unexpected key(s): {', '.join(unknown)}", url)
    objects = _json_objects(item.get("addresses"), where, url)
    countries = unique(iso_country(_json_text(o.get("country"), where, url)) for o in objects)
    top = iso_country(_json_text(item.get("country"), where, url))
    return Entry(
        list_code=code,
        name=_json_text(item["name"], where, url),
        aliases=clean_aliases(_json_strings(item.get("alt_names"), where, url)),
        addresses=unique(a for o in objects for a in split_multi(join_json_address(o))),
        countries=countries or unique([top]),
        programs=_json_strings(item.get("programs"), where, url),
        text={c: _json_text(item.get(c), where, url) for c in TEXT_COLUMNS},
        meta=_meta(
            _json_text(item.get("id"), where, url),
            _json_text(item.get("source_list_url"), where, url),
            _json_text(item.get("source_information_url"), where, url),
        ),
    )


def _json_text(value: object, where: str, url: str) -> str:
    """A scalar as stripped text; ``null`` is empty, numbers are written out."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _shape(f"{where} has {type(value).__name__} where text was expected", url)


def _json_strings(value: object, where: str, url: str) -> tuple[str, ...]:
    """A list of strings (or null, or one "; "-joined string) as a tuple."""
    if value is None or isinstance(value, str):
        return unique(split_multi(value or ""))
    if isinstance(value, list):
        return unique(_json_text(v, where, url) for v in value)
    raise _shape(f"{where} has {type(value).__name__} where a list was expected", url)


def _json_objects(value: object, where: str, url: str) -> list[Mapping[str, object]]:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return list(value)
    raise _shape(f"{where} has addresses that are not a list of objects", url)
