"""From published CSL values to Record fields: the content rules of the CSL parser.

Nothing here knows about CSV, JSON or errors (that is ``monitor.sources.csl.source``): the text
helpers take published text and return strings or tuples of strings, ``Entry`` is one kept
row in either layout, and ``to_record``/``merge_all`` turn entries into keyed records.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from monitor.keys import record_key
from monitor.models import FieldValue, Record
from monitor.sources.countries import address_country, place_country
from monitor.sources.fields import (
    find_footnotes,
    incomplete_citations,
    parse_citations,
    unique,
)

log = logging.getLogger(__name__)

# The exact ``source`` strings of the BIS lists in the CSL file, by the code used in settings.
LIST_SOURCES: Mapping[str, str] = {
    "EL": "Entity List (EL) - Bureau of Industry and Security",
    "MEU": "Military End User (MEU) List - Bureau of Industry and Security",
    "UVL": "Unverified List (UVL) - Bureau of Industry and Security",
    "DPL": "Denied Persons List (DPL) - Bureau of Industry and Security",
}


def countries_of(addresses: Iterable[str]) -> tuple[str, ...]:
    """The countries the addresses end with, in order: the ISO-2 code the CSL writes
    ("..., Hebei Province, CN"), or a spelled-out name ("..., Beijing 100020, China"), or a
    US state and ZIP (the DPL); ``monitor.sources.countries`` reads all of them. Only when
    no address names a country does a city whose country is not in doubt ("..., Rabat")
    give it, so such a record still gets a key that can match the eCFR's."""
    addresses = tuple(addresses)
    found = unique(tuple(map(address_country, addresses)))
    if found:
        return found
    return unique(place_country(a.rstrip(" .").rsplit(",", 1)[-1]) for a in addresses)


_JSON_ADDRESS_PARTS = ("address", "city", "state", "postal_code", "country")


def join_json_address(parts: Mapping[str, object]) -> str:
    """A JSON address object as the CSV writes it: non-empty parts joined with ", "."""
    texts = (_scalar_text(parts.get(k)) for k in _JSON_ADDRESS_PARTS)
    return ", ".join(t for t in texts if t)


def _scalar_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a postal code published as a number
    return ""


# --- entries -> records ----------------------------------------------------------------------

# Single-valued columns copied into ``fields`` as published (stripped).
TEXT_COLUMNS = (
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "remarks",
)


@dataclass(frozen=True)
class Entry:
    """One kept row, whichever layout it came from, before it becomes a Record."""

    list_code: str
    name: str
    aliases: tuple[str, ...]
    addresses: tuple[str, ...]
    countries: tuple[str, ...]
    programs: tuple[str, ...]
    text: Mapping[str, str]  # TEXT_COLUMNS
    meta: Mapping[str, str]  # row_id, source_list_url, source_information_url


# A list's rows repeat a few hundred Federal Register notices and license requirements, and a
# baseline reads every row: the text -> tuple readings of those cells are cached (CSL only:
# the cells are short, unlike the rule texts the Federal Register sources read).
_citations = lru_cache(maxsize=4096)(parse_citations)
_incomplete_citations = lru_cache(maxsize=4096)(incomplete_citations)
_footnotes = lru_cache(maxsize=4096)(find_footnotes)


def to_record(entry: Entry) -> Record:
    """The record of one row; non-EL keys carry their list code (see ``csl.source``)."""
    country = entry.countries[0] if entry.countries else ""
    key = record_key(entry.name, country)
    if entry.list_code != "EL":
        key = f"{entry.list_code.lower()}:{key}"
    fields: dict[str, FieldValue] = {
        "name": entry.name,
        "aliases": entry.aliases,
        "addresses": entry.addresses,
        "countries": entry.countries,
        "citations": _citations(entry.text["federal_register_notice"]),
        **entry.text,
        "programs": entry.programs,
        "footnotes": _footnotes(entry.text["license_requirement"]),
    }
    meta = dict(entry.meta)
    # A citation with no page ("88 FR") cannot be read, but is not dropped unseen either.
    incomplete = _incomplete_citations(entry.text["federal_register_notice"])
    if incomplete:
        meta["notes"] = "; ".join(
            f"incomplete Federal Register citation {c!r} in federal_register_notice "
            f"{entry.text['federal_register_notice']!r}"
            for c in incomplete
        )
        log.warning("CSL %s: %s", entry.name, meta["notes"])
    return Record(
        key=key,
        list_name=entry.list_code.lower(),
        name=entry.name,
        country=country,
        fields=fields,
        meta=meta,
    )
