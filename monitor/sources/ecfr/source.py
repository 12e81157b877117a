"""BIS Entity List as codified: 15 CFR part 744, Supplement No. 4, via the eCFR versioner API.

The eCFR keeps every dated version of the regulation, so this source can both poll and
look back:

* ``fetch`` asks ``{url}/versions/title-15.json?part=744`` (following ``meta.total_pages``)
  for the newest amendment date of Supplement No. 4, then downloads
  ``{url}/full/{date}/title-15.xml?part=744``. The date is the change signal: it goes into
  the run's validators as ``ETag: ecfr-date:{date}``, and when the stored validators carry
  the same date the XML (megabytes) is not downloaded again (``not_modified``).
* ``fetch_as_of(client, settings, date)`` downloads the XML for any date and
  ``amendment_dates(client, settings, since)`` lists the supplement's amendment dates, for
  ``ecmon diff --from/--to`` and ``ecmon backfill``.

``settings.url`` is the API base (``.../api/versioner/v1``); a mirror holds the same
relative paths, so ``rebase`` simply replaces the base.

Records use the CSL source's field names (name, aliases, addresses, countries, citations,
federal_register_notice, license_requirement, license_policy, footnotes) so an entity
compares across sources; ``start_date`` is not in the eCFR and is left out. Keys match the
CSL's: ``record_key(name, country)`` where the country is the ISO-2 code of the first
address's country name (Hong Kong entries sit under CHINA in the table since 2020, but
their addresses, like the CSL, say Hong Kong) and otherwise of the Country column. The
Country column value goes to ``meta["table_country"]``; nothing URL-like is in ``fields``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date as Date

from monitor.config import SourceSettings
from monitor.errors import ConfigError
from monitor.http import FetchResult, HttpClient, Validators
from monitor.keys import record_key
from monitor.models import FieldValue, Record
from monitor.sources.base import SourceDefaults
from monitor.sources.countries import address_country, iso_code
from monitor.sources.ecfr.cells import CellError, parse_entity
from monitor.sources.ecfr.info import INFO, NAME
from monitor.sources.ecfr.table import SUPPLEMENT, EntityRow, Where, entity_rows
from monitor.sources.fields import find_footnotes, merge_all, parse_citations, unique

log = logging.getLogger(__name__)

TITLE = "15"
PART = "744"
MARKER_PREFIX = "ecfr-date:"
MAX_VERSION_PAGES = 50  # the part's index is one or two pages; more means a loop
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def date_marker(date: str) -> Validators:
    """The validators a fetch of ``date`` returns; the next fetch compares against them."""
    return Validators(etag=f"{MARKER_PREFIX}{date}")


class EcfrEntityListSource(SourceDefaults):
    info = INFO

    def rebase(self, settings: SourceSettings, base: str) -> SourceSettings:
        return replace(settings, url=base.rstrip("/"))

    def fetch(
        self,
        client: HttpClient,
        settings: SourceSettings,
        validators: Validators | None,
        previous: Mapping[str, Record],
    ) -> FetchResult:
        dates = self.amendment_dates(client, settings, None)
        newest = dates[-1]
        marker = date_marker(newest)
        if validators is not None and validators.etag == marker.etag:
            return FetchResult(
                url=versions_url(settings),
                status=200,
                not_modified=True,
                content=b"",
                validators=marker,
                valid_for=newest,
            )
        return self.fetch_as_of(client, settings, newest)

    def fetch_as_of(self, client: HttpClient, settings: SourceSettings, date: str) -> FetchResult:
        """Part 744's XML as it stood on ``date`` (YYYY-MM-DD), marked valid for that date."""
        day = checked_date(date, full_url(settings, date))
        result = client.get(full_url(settings, day), source=NAME, params={"part": PART})
        return replace(result, validators=date_marker(day), valid_for=day)

    def amendment_dates(
        self, client: HttpClient, settings: SourceSettings, since: str | None
    ) -> list[str]:
        """Amendment dates of Supplement No. 4, ascending; with ``since``, those on or after it."""
        url = versions_url(settings)
        floor = checked_date(since, url) if since is not None else ""
        entries = _version_entries(client, settings)
        return [d for d in supplement_dates(entries, Where(NAME, url)) if d >= floor]

    def parse(self, raw: bytes, *, url: str, settings: SourceSettings) -> list[Record]:
        where = Where(NAME, url)
        return merge_records(to_record(row, where) for row in entity_rows(raw, where))


# --- the versions index ----------------------------------------------------------------------


def versions_url(settings: SourceSettings) -> str:
    return f"{settings.url.rstrip('/')}/versions/title-{TITLE}.json"


def full_url(settings: SourceSettings, date: str) -> str:
    return f"{settings.url.rstrip('/')}/full/{date}/title-{TITLE}.xml"


def checked_date(value: str, url: str) -> str:
    """``value`` when it is a real YYYY-MM-DD date; the eCFR accepts nothing else
    (not even "current")."""
    try:
        ok = bool(_ISO_DATE.fullmatch(value)) and bool(Date.fromisoformat(value))
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(f"not a date (YYYY-MM-DD): {value!r}", source=NAME, url=url)
    return value


def _version_entries(client: HttpClient, settings: SourceSettings) -> list[Mapping[str, object]]:
    """Every ``content_versions`` entry of part 744, over all pages."""
    url = versions_url(settings)
    entries, pages = _version_page(client, url, {"part": PART})
    if pages > MAX_VERSION_PAGES:
        raise Where(NAME, url).shape(f"versions index claims {pages} pages")
    for page in range(2, pages + 1):
        more, _ = _version_page(client, url, {"part": PART, "page": str(page)})
        entries.extend(more)
    return entries


def _version_page(
    client: HttpClient, url: str, params: Mapping[str, str]
) -> tuple[list[Mapping[str, object]], int]:
    result = client.get(url, source=NAME, params=params)
    where = Where(NAME, result.url)
    try:
        doc = json.loads(result.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise where.parse(f"versions index is not JSON: {exc}") from exc
    versions = doc.get("content_versions") if isinstance(doc, dict) else None
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise where.shape("versions index has no 'content_versions' list of objects")
    meta = doc.get("meta") or {}
    pages = meta.get("total_pages", 1) if isinstance(meta, dict) else None
    if not isinstance(pages, int) or isinstance(pages, bool) or pages < 1:
        raise where.shape(f"versions index has a bad meta.total_pages: {pages!r}")
    return list(versions), pages


def supplement_dates(entries: Iterable[Mapping[str, object]], where: Where) -> list[str]:
    """Distinct amendment dates of Supplement No. 4, ascending.

    The index lists appendices as entries of their own (``type`` "appendix", identifier
    "Supplement No. 4 to Part 744"). Should an answer not list the supplement separately,
    the dates of part 744 as a whole are used: a section-only amendment then costs one
    needless download, which the pipeline's byte/hash comparison turns into "unchanged",
    whereas ignoring the part could miss a change to the list.
    """
    listed = list(entries)
    own = [e for e in listed if _is_supplement(e)]
    if not own:
        own = [e for e in listed if str(e.get("part", "")) == PART]
        if own:
            log.warning("eCFR versions list no %s entry; using part %s dates", SUPPLEMENT, PART)
    if not own:
        raise where.shape(f"versions index lists neither {SUPPLEMENT} nor part {PART}")
    return sorted({_amendment_date(e, where) for e in own})


def _is_supplement(entry: Mapping[str, object]) -> bool:
    wanted = SUPPLEMENT.casefold()
    identifier = " ".join(str(entry.get("identifier") or "").split()).casefold()
    name = " ".join(str(entry.get("name") or "").split()).casefold()
    return identifier == wanted or name == wanted or name.startswith(wanted + "\u2014")


def _amendment_date(entry: Mapping[str, object], where: Where) -> str:
    value = entry.get("amendment_date")
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise where.shape(f"version entry {entry.get('identifier')!r} has amendment_date {value!r}")
    return value


# --- rows -> records -------------------------------------------------------------------------


def to_record(row: EntityRow, where: Where) -> Record:
    try:
        cell = parse_entity(row.entity.text, row.entity.superscripts)
    except CellError as exc:
        raise where.shape(f"table row {row.number}: {exc}") from exc
    column = iso_code(row.country)
    if not column:
        raise where.shape(f"table row {row.number}: unknown country {row.country!r}")
    from_addresses = unique(address_country(a) for a in cell.addresses)
    first = address_country(cell.addresses[0]) if cell.addresses else ""
    requirement = row.requirement.flat
    fields: dict[str, FieldValue] = {
        "name": cell.name,
        "aliases": cell.aliases,
        "addresses": cell.addresses,
        "countries": from_addresses or (column,),
        "citations": parse_citations(row.citation),
        "federal_register_notice": row.citation,
        "license_requirement": requirement,
        "license_policy": row.policy,
        "footnotes": unique(
            [*cell.footnotes, *row.requirement.superscripts, *find_footnotes(requirement)]
        ),
    }
    meta = {"table_country": row.country}
    if cell.notes:
        log.warning("eCFR table row %d (%s): %s", row.number, cell.name, "; ".join(cell.notes))
        meta["notes"] = "; ".join(cell.notes)
    country = first or column
    return Record(record_key(cell.name, country), "el", cell.name, country, fields, meta)


def merge_records(records: Iterable[Record]) -> list[Record]:
    """One record per key, in table order. An entity printed twice under one country
    (or under two countries with addresses in the same one) is merged, never dropped."""
    return merge_all(records, label="eCFR table")
