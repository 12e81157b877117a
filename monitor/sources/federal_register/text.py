"""What the prose of a BIS rule states: destinations and counts, reasons, effective dates.

Pure text helpers shared by the document JSON reader (``fr_documents``) and the
full-text XML reader (``fr_rule``). BIS summaries follow one formula, which is
what makes them machine-usable (SOURCES.md section 3)::

    ... by adding 16 entities to the Entity List, under the destinations of
    China, People's Republic of (China) (14) and Singapore (2).

Destination names are mapped to ISO-2 codes through the one country table every
source uses (``monitor.sources.countries``: mixed case in summaries, upper case in
the amendatory tables). A name missing from it is never guessed: it comes back as
``""`` and the caller raises a review flag naming it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from monitor.sources.countries import iso_code
from monitor.sources.fields import unique

# fmt: off
_NUMBER_WORDS: Final = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
# fmt: on
_NUMBER = r"(\d+|" + "|".join(_NUMBER_WORDS) + r")"

# "adding 11 entities under 11 entries to the Entity List" (the entries part is optional).
_ADDING = re.compile(
    rf"\badding\s+{_NUMBER}\s+(?:new\s+)?entit(?:y|ies)(?:\s+under\s+{_NUMBER}\s+entr(?:y|ies))?",
    re.IGNORECASE,
)
# "revises one existing entry", "modifies four existing entries", "modifies 14 existing entries".
_REVISING = re.compile(
    rf"\b(?:revis|modif)(?:es|ies|ing|y)\s+{_NUMBER}\s+existing\s+entr(?:y|ies)", re.IGNORECASE
)
# The destination list runs to the sentence's end: ")." or "." followed by a space or the end.
_DESTINATION_LIST = re.compile(r"under the destinations?\s+of\s+(.+?)\.(?=\s|$)", re.IGNORECASE)
# One counted destination: a name (commas allowed, an optional "(China)" style short form)
# then "(N)". Semicolons and parentheses end a name, so the list's separators fall outside.
_COUNTED = re.compile(r"([^;()]+?(?:\s*\([^()\d]*\))?)\s*\((\d+)\)")
_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)\s*")
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`]")
_SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z])")
# Sentences that state why parties are listed. BIS writes the End-User Review Committee's
# decision as "The ERC determined ..." and the conduct as "for acquiring ..." / "in support of".
_REASON_CUES = re.compile(
    r"\bERC\b[^.]*\bdetermined\b|\bfor (?:acquiring|attempting to acquire|supplying|supporting)\b"
    r"|\bin support of\b",
    re.IGNORECASE,
)
_EFFECTIVE = re.compile(r"^\s*Effective\s+([A-Z][a-z]+ \d{1,2}, \d{4})")


def number(text: str) -> int:
    """A count written in digits or as a small English number word."""
    return int(text) if text.isdigit() else _NUMBER_WORDS[text.lower()]


def destination_iso(label: str) -> str:
    """ISO-2 for a destination name as BIS writes it; "" when the country table lacks it.

    Tries the whole name ("China, People's Republic of (China)"), then without the
    short form in parentheses, then the short form alone ("(UAE)").
    """
    folded = _fold_destination(label)
    short = _PARENTHESIS.search(folded)
    bare = _PARENTHESIS.sub(" ", folded).strip()
    for candidate in (folded, bare, short.group(1).strip() if short else ""):
        code = iso_code(candidate) if candidate else ""
        if code:
            return code
    return ""


def _fold_destination(label: str) -> str:
    text = _APOSTROPHES.sub("'", label).casefold()
    text = " ".join(text.replace(" ,", ",").split()).strip(" ,;.")
    for prefix in ("and ", "the "):
        text = text.removeprefix(prefix).strip()
    return text


def stated_counts(summary: str) -> tuple[int | None, int | None]:
    """(entities, entries) from "adding N entities [under M entries]"; None where not said."""
    match = _ADDING.search(summary)
    if match is None:
        return None, None
    entries = number(match.group(2)) if match.group(2) else None
    return number(match.group(1)), entries


def stated_revisions(summary: str) -> int | None:
    """N of "revises / modifies N existing entries"; None when the summary says nothing."""
    match = _REVISING.search(summary)
    return None if match is None else number(match.group(1))


def country_counts(summary: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """("CN=14", "SG=2") from the summary's destination lists, and review flags.

    A destination not in the table is kept as "??=N" with a flag naming it, so the
    counts still add up and a reader sees what was not recognised.
    """
    counts: list[str] = []
    flags: list[str] = []
    for listing in _DESTINATION_LIST.finditer(summary):
        for name, count in _COUNTED.findall(listing.group(1)):
            label = _fold_label(name)
            code = destination_iso(label)
            if not code:
                flags.append(f"unknown destination {label!r} in the summary")
            counts.append(f"{code or '??'}={int(count)}")
    return tuple(counts), tuple(flags)


def _fold_label(name: str) -> str:
    """A counted destination's name without the list's "and the" / ", " glue."""
    label = name.strip(" ,;")
    for prefix in ("and ", "the "):
        label = label.removeprefix(prefix).strip(" ,;")
    return label


def count_flags(summary: str, counts: tuple[str, ...]) -> tuple[str, ...]:
    """A flag when the per-destination counts do not add up to the stated total: the
    entries when the summary states them ("10 entities under 13 entries": one entity
    listed under three destinations is three entries, so the destinations count 13),
    else the entities."""
    entities, entries = stated_counts(summary)
    if entities is None or not counts:
        return ()
    total = sum(int(item.rpartition("=")[2]) for item in counts)
    expected = entries if entries is not None else entities
    if total == expected:
        return ()
    stated = f"{entries} entries" if entries is not None else f"{entities} entities"
    return (f"summary country counts add to {total}, summary states {stated}",)


def reason_sentences(paragraphs: list[str]) -> tuple[str, ...]:
    """Sentences of the supplementary information that say why parties are listed."""
    sentences = (s.strip() for p in paragraphs for s in _SENTENCE_END.split(p))
    return unique(s for s in sentences if _REASON_CUES.search(s))


def effective_from_dates(dates: str) -> str:
    """ISO date from a DATES text starting "Effective November 10, 2025, ..."; else ""."""
    match = _EFFECTIVE.match(dates)
    if match is None:
        return ""
    try:
        return datetime.strptime(match.group(1), "%B %d, %Y").date().isoformat()
    except ValueError:
        return ""
