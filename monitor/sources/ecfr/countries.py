"""Country names as the eCFR Entity List writes them, mapped to ISO-2 codes.

Two places in the table name a country: the **Country column** (upper case, e.g.
``CHINA, PEOPLE'S REPUBLIC OF``, ``KOREA, SOUTH``) and the **end of an address**
(``..., Beijing, 100080, China.``). Record keys need the ISO-2 code the CSL file
gives for the same entity, so both are looked up here.

Names are compared folded (``monitor.keys.fold_name``: case, accents, apostrophes
and punctuation ignored), so ``PEOPLE'S``/``PEOPLE’S`` and ``Türkiye``/``TURKIYE`` are
one entry. An unknown name is not guessed: ``iso_code`` returns "" and the caller
decides (an unknown Country column value is a ShapeError; an address whose last
part is not a country, such as ``Guangzhou`` or a post code, falls back to the column).
The codes are ISO 3166-1 alpha-2 facts; the list covers the Entity List's destinations
we know of and grows when the parser names one it lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from monitor.keys import fold_name

# ISO-2 code -> the names (column labels and address spellings) that mean it.
# fmt: off
_NAMES: Mapping[str, tuple[str, ...]] = {
    "AE": ("United Arab Emirates", "UAE", "U.A.E."),
    "AF": ("Afghanistan",),
    "AM": ("Armenia",),
    "AT": ("Austria",),
    "AU": ("Australia",),
    "AZ": ("Azerbaijan",),
    "BE": ("Belgium",),
    "BG": ("Bulgaria",),
    "BH": ("Bahrain",),
    "BY": ("Belarus",),
    "CA": ("Canada",),
    "CH": ("Switzerland",),
    "CN": ("China", "China, People's Republic of", "People's Republic of China", "PRC"),
    "CO": ("Colombia",),
    "CY": ("Cyprus",),
    "CZ": ("Czech Republic", "Czechia"),
    "DE": ("Germany",),
    "DK": ("Denmark",),
    "EE": ("Estonia",),
    "EG": ("Egypt",),
    "ES": ("Spain",),
    "FI": ("Finland",),
    "FR": ("France",),
    "GB": ("United Kingdom", "UK", "U.K.", "England", "Scotland", "Wales", "Northern Ireland"),
    "GE": ("Georgia",),
    "GR": ("Greece",),
    "HK": ("Hong Kong", "Hong Kong SAR", "Hong Kong, China"),
    "HR": ("Croatia",),
    "HU": ("Hungary",),
    "ID": ("Indonesia",),
    "IE": ("Ireland",),
    "IL": ("Israel",),
    "IN": ("India",),
    "IQ": ("Iraq",),
    "IR": ("Iran",),
    "IT": ("Italy",),
    "JO": ("Jordan",),
    "JP": ("Japan",),
    "KG": ("Kyrgyzstan",),
    "KH": ("Cambodia",),
    "KP": ("Korea, North", "North Korea", "Korea, Democratic People's Republic of"),
    "KR": ("Korea, South", "South Korea", "Korea, Republic of", "Republic of Korea"),
    "KW": ("Kuwait",),
    "KZ": ("Kazakhstan",),
    "LB": ("Lebanon",),
    "LK": ("Sri Lanka",),
    "LT": ("Lithuania",),
    "LU": ("Luxembourg",),
    "LV": ("Latvia",),
    "MD": ("Moldova",),
    "MM": ("Burma", "Myanmar"),
    "MN": ("Mongolia",),
    "MO": ("Macau", "Macao"),
    "MT": ("Malta",),
    "MX": ("Mexico",),
    "MY": ("Malaysia",),
    "NI": ("Nicaragua",),
    "NL": ("Netherlands", "The Netherlands"),
    "NO": ("Norway",),
    "NZ": ("New Zealand",),
    "OM": ("Oman",),
    "PH": ("Philippines",),
    "PK": ("Pakistan",),
    "PL": ("Poland",),
    "PT": ("Portugal",),
    "QA": ("Qatar",),
    "RO": ("Romania",),
    "RS": ("Serbia",),
    "RU": ("Russia", "Russian Federation"),
    "SA": ("Saudi Arabia",),
    "SD": ("Sudan",),
    "SE": ("Sweden",),
    "SG": ("Singapore",),
    "SI": ("Slovenia",),
    "SK": ("Slovakia",),
    "SN": ("Senegal",),
    "SS": ("South Sudan",),
    "SY": ("Syria",),
    "TH": ("Thailand",),
    "TJ": ("Tajikistan",),
    "TM": ("Turkmenistan",),
    "TR": ("Turkey", "Türkiye"),
    "TW": ("Taiwan",),
    "UA": ("Ukraine",),
    "US": ("United States", "United States of America", "USA"),
    "UZ": ("Uzbekistan",),
    "VE": ("Venezuela",),
    "VN": ("Vietnam", "Viet Nam"),
    "YE": ("Yemen",),
}
# fmt: on

_BY_FOLDED: Mapping[str, str] = MappingProxyType(
    {fold_name(name): code for code, names in _NAMES.items() for name in names}
)


def iso_code(name: str) -> str:
    """The ISO-2 code of a country name in either spelling, or "" when unknown."""
    return _BY_FOLDED.get(fold_name(name), "")


def address_country(address: str) -> str:
    """The ISO-2 code of the country that ends an address, or "".

    eCFR addresses end with the country name (``..., Sheung Wang, Hong Kong``), but
    older entries often stop at a city or post code; those give "" so the caller
    can use the Country column instead.
    """
    # The last two parts first: names with a comma ("Korea, South") and "Hong Kong,
    # China", which is Hong Kong (HK, as the CSL file gives it), not mainland China.
    for parts in (2, 1):
        tail = address.rsplit(",", parts)[-parts:] if address.count(",") >= parts - 1 else []
        code = iso_code(",".join(tail).strip().rstrip("."))
        if tail and code:
            return code
    return ""
