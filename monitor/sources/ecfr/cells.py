"""The Entity cell of the eCFR table: name, aliases, addresses and footnote markers.

The cell follows the Federal Register's sentence layout (reference ``SOURCES.md`` section
2, verbatim Zhipu example)::

    Name, a.k.a., the following two aliases: —Alias 1; and —Alias 2. Address; and Address.
    Name, a.k.a. Alias. Address.
    Name, Address.

When the XML breaks lines (``<br/>``, kept as "\\n" by ``ecfr_table``) the name line,
alias bullets and address lines are separated exactly. When the text is flat (as the
eCFR text is quoted, and as in the structure sample), boundaries follow these rules:

* the name is everything before ", a.k.a."; without aliases it ends at the first ", "
  that starts an address (a digit or a word such as Room, Floor, No., Building), or,
  when the cell ends with a country name, at the first ", " not followed by a company
  suffix ("Co., Ltd., Hong Kong" -> "Co., Ltd."); otherwise the whole cell is the name;
* the last alias ends at the first sentence end (". " before a capital or digit) that is
  not an initial ("A.C. International"), a title or street abbreviation ("No. 1"), or a
  company suffix continuing the name ("Co. Ltd"): "... Co., Ltd. Floor 10, ..." splits
  after "Ltd.", whose period is both the abbreviation's and the sentence's;
* addresses are separated by "; " and "; and " (the CSL helpers' rule).

A name with a glued footnote digit ("Co., Ltd.4", "(Huawei)1") loses the digit to
``footnotes``; superscripts marked up in the XML are footnotes too. Known limit of the
flat rules: an alias list whose last alias runs into the address without a sentence end
is read as one alias. Nothing here knows about errors beyond ``CellError``; the source
turns it into a ShapeError naming the row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.sources.countries import address_country
from monitor.sources.fields import clean_alias, clean_aliases, split_multi, unique

_AKA = re.compile(r",?\s*\ba\.k\.a\.?,?\s*", re.IGNORECASE)
_FOLLOWING = re.compile(r"the following ([\w-]+) (?:aliases|alias|names)\s*:\s*", re.I)
# The em dash that opens each alias: at the start or after a space or line break, so a
# dash inside an address ("Building\u2014A") is not taken for one.
_BULLET = re.compile(r"(?:^|(?<=\s))\u2014")
_JOINER = re.compile(r"\s*;\s*(?:and)?\s*$")  # "Alias; and " -> "Alias"
_SENTENCE = re.compile(r"\.\s+(?=[A-Z0-9])")
_COMMA = re.compile(r",\s+")
_GLUED_NOTE = re.compile(r"(?<=[.)])(\d)$")
_ADDRESS_START = re.compile(
    r",\s+(?=\d|(?:room|rm|floor|flr|flat|unit|suite|building|bldg|block|blk|tower|office"
    r"|apartment|apt|level|plot|no|p\.?\s?o\.?\s?box|post box)\b)",
    re.IGNORECASE,
)
# Abbreviations after which a ". " does not end the sentence.
_CONTINUES = frozenset(
    {"no", "nos", "st", "mt", "ft", "dr", "mr", "mrs", "ms", "prof", "gen", "col", "capt", "rev"}
)
# Words that, after ", " or ". ", still belong to a company name.
# fmt: off
_SUFFIXES = frozenset({
    "ltd", "limited", "llc", "llp", "lp", "inc", "incorporated", "co", "corp", "corporation",
    "company", "plc", "gmbh", "ag", "sa", "srl", "spa", "bv", "nv", "kg", "oy", "ab", "as",
    "sas", "sarl", "lda", "ltda", "jsc", "ojsc", "cjsc", "pjsc", "ooo", "zao", "oao", "pao",
    "bhd", "sdn", "pvt", "pte", "fze", "fzc", "fzco", "fzllc", "kft", "sro", "doo",
})
# fmt: on
# fmt: off
_UNITS = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
# fmt: on
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}


class CellError(ValueError):
    """The entity cell does not follow the layout this module reads."""


@dataclass(frozen=True)
class EntityCell:
    name: str
    aliases: tuple[str, ...]
    addresses: tuple[str, ...]
    footnotes: tuple[str, ...]
    notes: tuple[str, ...] = ()  # oddities worth a look that do not make the cell unreadable


def parse_entity(text: str, superscripts: Iterable[str] = ()) -> EntityCell:
    """Name, aliases, addresses and footnotes of one entity cell."""
    aka = _AKA.search(text)
    notes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    if aka is None:
        name_text, address_text = _split_name(text.strip())
    else:
        name_text = text[: aka.start()]
        aliases, address_text, notes = _aliases(text[aka.end() :])
    name, glued = _name(name_text)
    if not name:
        raise CellError(f"the entity cell has no name: {' '.join(text.split())[:80]!r}")
    footnotes = unique([*superscripts, *glued])
    return EntityCell(name, aliases, _addresses(address_text), footnotes, notes)


def _aliases(text: str) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """(aliases, the address text after them, notes) from what follows "a.k.a."."""
    following = _FOLLOWING.match(text.lstrip())
    body = text.lstrip()[following.end() :] if following else text
    if _BULLET.search(body):
        lead, *bullets = _BULLET.split(body)
        if lead.strip():
            raise CellError(f"text before the first alias bullet: {lead.strip()[:60]!r}")
        last, address = split_off_address(bullets[-1])
        raw = [*bullets[:-1], last]
    else:
        alias_text, address = split_off_address(body)
        raw = list(split_multi(alias_text.replace("\n", " ")))
    aliases = clean_aliases(_JOINER.sub("", " ".join(r.split())) for r in raw)
    if not aliases:
        raise CellError("'a.k.a.' is followed by no alias")
    expected = _count(following.group(1)) if following else None
    if expected is not None and expected != len(aliases):
        word = following.group(1) if following else ""
        return aliases, address, (f"announces {word} aliases, lists {len(aliases)}",)
    return aliases, address, ()


def split_off_address(text: str) -> tuple[str, str]:
    """(the last alias, the address text) at the line break or the first sentence end."""
    text = text.strip()
    if "\n" in text:
        head, rest = text.split("\n", 1)
        return head, rest
    end = _sentence_end(text)
    if end is not None:
        return text[: end + 1], text[end + 1 :]
    start = _ADDRESS_START.search(text)
    if start is not None:
        return text[: start.start()], text[start.end() :]
    return text, ""


def _split_name(text: str) -> tuple[str, str]:
    """(name, address text) of a cell without aliases."""
    if "\n" in text:
        head, rest = text.split("\n", 1)
        return head, rest
    start = _ADDRESS_START.search(text)
    if start is not None:
        return text[: start.start()], text[start.end() :]
    if address_country(text):
        for comma in _COMMA.finditer(text):
            if _bare(text[comma.end() :]) not in _SUFFIXES:
                return text[: comma.start()], text[comma.end() :]
    return text, ""


def _sentence_end(text: str) -> int | None:
    """Index of the first "." that ends a sentence (see the module docstring)."""
    for match in _SENTENCE.finditer(text):
        words = text[: match.start()].split()
        word = words[-1].lstrip("(") if words else ""
        initial = "." in word or (len(word) == 1 and word.isalpha())
        if initial or word.lower() in _CONTINUES or _bare(text[match.end() :]) in _SUFFIXES:
            continue
        return match.start()
    return None


def _bare(text: str) -> str:
    """The first word, lower-cased, without dots or trailing punctuation ("S.A.," -> "sa")."""
    words = text.split(None, 1)
    return words[0].replace(".", "").rstrip(",;:").lower() if words else ""


def _name(text: str) -> tuple[str, tuple[str, ...]]:
    """The cleaned name and any footnote digit glued to its end."""
    name = " ".join(text.split()).rstrip(",;: ")
    glued = _GLUED_NOTE.search(name)
    if glued is not None:
        return clean_alias(name[: glued.start()]), (glued.group(1),)
    return clean_alias(name), ()


def _addresses(text: str) -> tuple[str, ...]:
    """Addresses split on "; " / "; and " / line breaks. ``clean_alias`` is the FR list
    item rule (no leading "and ", no closing period unless it ends an abbreviation)."""
    text = text.strip().lstrip(",;. ").strip()
    return clean_aliases(split_multi(text.replace("\n", "; ")))


def _count(word: str) -> int | None:
    """The number a count word or numeral states ("six", "twenty-one", "12"), or None."""
    word = word.lower()
    if word.isdigit():
        return int(word)
    if word in _UNITS:
        return _UNITS.index(word) + 1
    tens, _, unit = word.partition("-")
    if tens in _TENS and (not unit or unit in _UNITS[:9]):
        return _TENS[tens] + (_UNITS.index(unit) + 1 if unit else 0)
    return None
