"""From published CSL values to Record fields: the content rules of the CSL parser.

Nothing here knows about CSV, JSON or errors (that is ``monitor.sources.csl.source``): the text
helpers take published text and return strings or tuples of strings, ``Entry`` is one kept
row in either layout, and ``to_record``/``merge_all`` turn entries into keyed records.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from monitor.keys import record_key
from monitor.models import FieldValue, Record
from monitor.sources.fields import find_footnotes, iso_country, parse_citations, unique

log = logging.getLogger(__name__)

# The exact ``source`` strings of the BIS lists in the CSL file, by the code used in settings.
LIST_SOURCES: Mapping[str, str] = {
    "EL": "Entity List (EL) - Bureau of Industry and Security",
    "MEU": "Military End User (MEU) List - Bureau of Industry and Security",
    "UVL": "Unverified List (UVL) - Bureau of Industry and Security",
    "DPL": "Denied Persons List (DPL) - Bureau of Industry and Security",
}


def address_country(address: str) -> str:
    """The ISO-2 country that ends an address ("..., Shijiazhuang, Hebei Province, CN")."""
    return iso_country(address.rsplit(",", 1)[-1])


def countries_of(addresses: Iterable[str]) -> tuple[str, ...]:
    return unique(address_country(a) for a in addresses)


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
        "citations": parse_citations(entry.text["federal_register_notice"]),
        **entry.text,
        "programs": entry.programs,
        "footnotes": find_footnotes(entry.text["license_requirement"]),
    }
    return Record(
        key=key,
        list_name=entry.list_code.lower(),
        name=entry.name,
        country=country,
        fields=fields,
        meta=dict(entry.meta),
    )
