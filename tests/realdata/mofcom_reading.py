"""The real MOFCOM texts as ecmon reads them, and the truth file's values in ecmon's terms.

Each text of ``mofcom_texts/`` is rendered into the fixture builder's SYNTHETIC page chrome
(``tests/sources/mofcom/pages.py``) and parsed by the real page parser, as a fetched page
would be. The truth (``truth/mofcom_texts.toml``) was written by hand from the raw texts;
the only translations here are of vocabulary and notation, never of values:

* kinds: the truth's ``uel_suspension`` is what ecmon calls the kind of its first verb
  (``suspend`` -> ``suspension``, ``continue_suspension`` -> ``continued_suspension``,
  ``stop`` -> ``stop``, ``remove`` -> ``removal``); the other kinds have the same names;
* dates: ecmon writes a stated clock time as Beijing local time ``2025-04-10T12:01``, the
  truth as ``2025-04-10T12:01:00+08:00``;
* names: ecmon folds runs of white space to one space and drops invisible format characters
  (the truth keeps them verbatim, e.g. U+200C, U+2002, a doubled space);
* measures: ecmon drops the item's final ``；``/``。``;
* countries are compared where the truth's ``country_basis`` is the text itself (two texts
  never say where their parties are; the truth infers US there, ecmon leaves it blank).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from monitor.models import Record
from tests.realdata.conftest import REALDATA, truth
from tests.sources.mofcom.pages import parse

FOLDER = "mofcom_texts"
SOURCE = "cn_mofcom_announcements"
TRUTH = truth("mofcom_texts.toml")
NOTE = "real text from ../shared/realdata/mofcom_texts (see tests/realdata/mofcom_reading.py)"
VERBS = {
    "suspend": "suspension",
    "continue_suspension": "continued_suspension",
    "stop": "stop",
    "remove": "removal",
}
KINDS = {"uel_removal": "removal", "ecl_removal": "removal"}


@cache
def action(name: str) -> Record:
    return parse(REALDATA / FOLDER / name, NOTE)


def folded(text: str) -> str:
    return " ".join(text.replace("\u200c", "").replace("\u200b", "").split())


def effective(value: str) -> str:
    return value.removesuffix(":00+08:00")


def measure(text: str) -> str:
    return text.rstrip("；;。")


def kind(entry: dict[str, Any]) -> str:
    if entry["kind"] == "uel_suspension":
        return VERBS[entry["acts_on"][0]["verb"]]
    return KINDS.get(entry["kind"], entry["kind"])


def verbs(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(ecmon verb, notice key, stated term) per notice the text acts on."""
    return [
        (VERBS[a["verb"]], f"cn:{a['number']}", a.get("duration", "")) for a in entry["acts_on"]
    ]


def parties(entry: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["zh"], folded(p["en"])) for p in entry["parties"]]


def countries(entry: dict[str, Any]) -> list[str] | None:
    """The parties' countries, or None where the text does not state them."""
    if not entry.get("country_basis", "text").startswith("text"):
        return None
    return [p["country"] for p in entry["parties"]]


def fields(entry: dict[str, Any]) -> dict[str, object]:
    """The truth of one text, in the shape ``found`` gives ecmon's reading."""
    stated = entry.get("stated_count")
    # A stated count is checked against the names of a text that names parties; an answer
    # acting on earlier notices recalls their count ("17家美国实体") and names no one.
    names = bool(entry["parties"]) or not entry["acts_on"]
    flagged = names and stated is not None and stated != len(entry["parties"])
    return {
        "文号 as published": entry["number"],
        "文号 (key)": entry["number_normalized"] or None,
        "title": entry["title"],
        "issuing unit": entry["issuing_unit"],
        "published": entry["issued"],
        "effective": effective(entry["effective"]),
        "kind": kind(entry),
        "stated count": "" if stated is None else str(stated),
        "parsed count": str(len(entry["parties"])),
        "count flagged": flagged,
        "parties (zh, en)": parties(entry),
        "party countries": countries(entry),
        "measures": [measure(m) for m in entry["measures"]],
        "acts on": verbs(entry),
    }


def found(record: Record, entry: dict[str, Any]) -> dict[str, object]:
    review = record.get_tuple("review")
    zh, en = record.get_tuple("parties_zh"), record.get_tuple("parties_en")
    return {
        "文号 as published": record.meta.get("instrument_as_published", ""),
        "文号 (key)": record.get_text("instrument") if entry["number"] else None,
        "title": record.get_text("title"),
        "issuing unit": record.get_text("issuing_unit"),
        "published": record.get_text("published"),
        "effective": record.get_text("effective"),
        "kind": record.get_text("kind"),
        "stated count": record.get_text("stated_count"),
        "parsed count": record.get_text("parsed_count"),
        "count flagged": any(r.startswith("stated ") for r in review),
        "parties (zh, en)": list(zip(zh, en, strict=True)),
        "party countries": (
            list(record.get_tuple("party_countries")) if countries(entry) is not None else None
        ),
        "measures": list(record.get_tuple("measures")),
        "acts on": list(
            zip(
                [c.partition(":")[0] for c in record.get_tuple("verbs")],
                [c.partition(":")[2] for c in record.get_tuple("verbs")],
                record.get_tuple("verb_terms"),
                strict=True,
            )
        ),
    }


def files() -> list[str]:
    return sorted(TRUTH["files"])


def on_disk() -> list[str]:
    folder = Path(REALDATA / FOLDER)
    return sorted(p.name for p in folder.glob("*.md")) if folder.is_dir() else []
