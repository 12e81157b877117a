"""One table of country names for every source: names and address endings to ISO-2 codes.

The sources name countries in several ways, and record keys need the ISO-2 code the
CSL file gives for the same entity, so all of them are read here:

* the eCFR **Country column** and the Federal Register table headings (upper case:
  ``CHINA, PEOPLE'S REPUBLIC OF``, ``KOREA, SOUTH``), and BIS summaries (mixed case:
  ``Luxembourg``), through ``iso_code``;
* the **end of an address**, through ``address_country``: the CSL's two-letter code
  (``..., Wuhan, CN``), a spelled-out name (``..., Beijing 100020, China``,
  ``..., Chengdu, China 610036``, ``..., Tehran, Iran``), or a US state and ZIP code as the
  Denied Persons List writes them (``..., MIAMI, FL, 33143``).

Names are compared folded (``monitor.keys.fold_name``: case, accents, apostrophes and
punctuation ignored), so ``PEOPLE'S``/``PEOPLE’S`` and ``Türkiye``/``TURKIYE`` are one
entry. An unknown name is never guessed: "" comes back and the caller decides (a review
flag, a ShapeError, or another part of the record). ``place_country`` is the last resort
for an address that ends at a city: only places whose country is not in doubt (capitals
and Hong Kong's districts) are listed. The codes are ISO 3166-1 alpha-2 facts; the table
covers the destinations the lists use and grows when a parser names one it lacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from monitor.keys import fold_name


def _codes(text: str) -> list[str]:
    """A table of codes written as space-separated text."""
    return text.split()


# ISO-2 code -> the names (column labels, summary names, address spellings) that mean it.
# fmt: off
_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "AE": ("United Arab Emirates", "UAE", "U.A.E."),
    "AF": ("Afghanistan",),
    "AM": ("Armenia",),
    "AT": ("Austria",),
    "AU": ("Australia",),
    "AZ": ("Azerbaijan",),
    "BE": ("Belgium",),
    "BG": ("Bulgaria",),
    "BH": ("Bahrain",),
    "BR": ("Brazil",),
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
    "KY": ("Cayman Islands",),
    "KZ": ("Kazakhstan",),
    "LB": ("Lebanon",),
    "LK": ("Sri Lanka",),
    "LT": ("Lithuania",),
    "LU": ("Luxembourg",),
    "LV": ("Latvia",),
    "MA": ("Morocco",),
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
    "ZA": ("South Africa",),
}
# Places whose country is not in doubt, for an address that stops at its city.
_PLACES: Final[Mapping[str, tuple[str, ...]]] = {
    "AE": ("Abu Dhabi",), "AF": ("Kabul",), "CN": ("Beijing",), "HK": ("Kowloon",),
    "IR": ("Tehran",), "MA": ("Rabat",), "PK": ("Islamabad",), "RU": ("Moscow",),
}
# US states and territories, as the Denied Persons List writes them before a ZIP code.
_US_STATES: Final = frozenset(
    _codes(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE "
    "NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP "
    )
)
# Every ISO 3166-1 alpha-2 code (plus XK, Kosovo, which the lists use), so that two capital
# letters ending an address ("Kwai Chung, NT") are read as a country only when they are one.
_ISO_CODES: Final = frozenset(
    _codes(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN "
    "BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ "
    "DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL "
    "GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM "
    "JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME "
    "MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP "
    "NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD "
    "SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO "
    "TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK "
    )
)
# fmt: on

_BY_FOLDED: Final[Mapping[str, str]] = MappingProxyType(
    {fold_name(name): code for code, names in _NAMES.items() for name in names}
)
_PLACE_BY_FOLDED: Final[Mapping[str, str]] = MappingProxyType(
    {fold_name(name): code for code, names in _PLACES.items() for name in names}
)
_ISO2 = re.compile(r"[A-Z]{2}")
_POSTCODE_AFTER = re.compile(r"\s+\d[\d\s-]*$")  # "China 610036"
_POSTCODE = re.compile(r"\d[\d -]{2,9}")
_ZIP = re.compile(r"\d{3,5}(?:-\d{4})?")  # the DPL drops leading zeros: "NH, 3801"
# State codes that are no country's code, made once (every address that is not a US
# street address asks it).
_US_ONLY_STATES: Final = _US_STATES - _ISO_CODES


def iso_code(name: str) -> str:
    """The ISO-2 code of a country name in any listed spelling, or "" when unknown."""
    return _BY_FOLDED.get(fold_name(name), "")


def is_iso_code(code: str) -> bool:
    """Whether ``code`` is an ISO 3166-1 alpha-2 code (upper case)."""
    return code in _ISO_CODES


def place_country(place: str) -> str:
    """The ISO-2 code of a place listed in ``_PLACES`` (a capital, a district), or ""."""
    return _PLACE_BY_FOLDED.get(fold_name(place), "")


def address_country(address: str) -> str:
    """The ISO-2 code of the country that ends an address, or "".

    In order: a US state and ZIP code; a two-letter code (the CSL's form), also before a
    post code; the last two
    ``,``-parts as a name ("Korea, South"; "Hong Kong, China" is Hong Kong, HK, as the
    CSL file gives it); the last part as a name, also with a post code after it. An
    address that stops at a city or post code gives "" so the caller can use another
    source of the country (the Country column, another address).
    """
    # Only the last three parts are ever read: the rest stays unsplit (long addresses).
    parts = [p.strip() for p in address.strip().rstrip(".").rsplit(",", 3)]
    if len(parts) >= 2 and (
        (parts[-2] in _US_STATES and _ZIP.fullmatch(parts[-1]))
        # "ANTHONY, 88021, NM"; but "Wermelskirchen, 42929, DE" is Germany, not Delaware
        or (parts[-1] in _US_ONLY_STATES and _ZIP.fullmatch(parts[-2]))
    ):
        return "US"
    if len(parts) >= 2 and _POSTCODE.fullmatch(parts[-1]):
        parts = parts[:-1]  # "..., STAVROPOL REGION, RS, 357020": the code before the post code
    if _ISO2.fullmatch(parts[-1]):
        code = iso_code(parts[-1]) or parts[-1]  # "UK" is GB
        return code if code in _ISO_CODES else ""
    if len(parts) >= 2 and (code := iso_code(",".join(parts[-2:]))):
        return code
    return iso_code(parts[-1]) or iso_code(_POSTCODE_AFTER.sub("", parts[-1]))
