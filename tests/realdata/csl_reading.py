"""An independent reading of the real CSL file with the standard library (no ``monitor``).

What a reader of the raw CSV sees in an Entity List row, written down as plainly as
possible so that the tests compare ecmon with it, not with itself:

* multi-valued cells (addresses, alt_names, programs) are ``;``-separated; the Federal
  Register style glue ``and`` (``A; and B``, ``A; and; B``, ``A; and``) is no value;
* the country of one address is its last ``,``-separated part: a two-letter code as
  published, or a spelled-out country name (``China``, ``Hong Kong``, ``Iran``), possibly
  followed by a post code (``Chengdu, China 610036``). The names below are the ones that
  occur in the file (read by hand); ``Rabat`` and ``Kowloon`` are a capital and a district
  whose country is not in doubt (the truth file lists them as ``inferred_iso2``);
* two rows are one entity when their names are equal ignoring case, spacing and
  punctuation, and their countries are equal.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import defaultdict
from pathlib import Path

EL = "Entity List (EL) - Bureau of Industry and Security"
DPL = "Denied Persons List (DPL) - Bureau of Industry and Security"

# Spelled-out countries and places at the end of real EL/DPL addresses, read by hand.
_PLACES = {
    "china": "CN", "prc": "CN", "hong kong": "HK", "iran": "IR", "pakistan": "PK",
    "russia": "RU", "uae": "AE", "turkey": "TR", "cayman islands": "KY",
    "rabat": "MA", "kowloon": "HK",
}  # fmt: skip
# US state codes as the DPL writes them before a ZIP code ("MIAMI, FL, 33143").
_US_STATE_ZIP = re.compile(r",\s*[A-Z]{2},\s*\d{3,5}(?:-\d{4})?\s*$")
_SEP = re.compile(r";")


def rows(path: Path) -> list[dict[str, str]]:
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def values(cell: str) -> list[str]:
    """A multi-valued cell's values: split on ';', FR glue 'and' dropped."""
    out = []
    for part in _SEP.split(cell):
        part = part.strip()
        if part.lower().startswith("and "):
            part = part[4:].strip()
        if part and part.lower() != "and":
            out.append(part)
    return out


def address_country(address: str) -> str:
    if _US_STATE_ZIP.search(address):
        return "US"
    tail = address.rsplit(",", 1)[-1].strip().rstrip(".").strip()
    if re.fullmatch(r"[A-Z]{2}", tail):
        return tail
    tail = re.sub(r"\s*\d[\d-]*$", "", tail)  # "China 610036"
    return _PLACES.get(tail.casefold(), "")


def countries(addresses_cell: str) -> list[str]:
    found = [address_country(a) for a in values(addresses_cell)]
    return list(dict.fromkeys(c for c in found if c))


def name_key(name: str) -> str:
    text = re.sub(r"['’`?]", "", name.casefold())
    return " ".join(re.sub(r"[\W_]+", " ", text.replace("&", " and ")).split())


def citations(cell: str) -> list[str]:
    return list(
        dict.fromkeys(f"{int(v)} FR {int(p)}" for v, p in re.findall(r"(\d+)\s*FR\s*(\d+)", cell))
    )


def entities(el_rows: list[dict[str, str]]) -> dict[tuple[str, str], list[dict[str, str]]]:
    """Rows grouped as entities: (name key, first country) -> rows."""
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in el_rows:
        first = (countries(row["addresses"]) or [""])[0]
        groups[(name_key(row["name"]), first)].append(row)
    return dict(groups)
