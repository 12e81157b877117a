"""Text helpers shared by the list sources (CSL, eCFR, Federal Register rules).

Published cells to clean values: multi-valued cells, aliases, Federal Register citations,
footnote markers, ISO codes, and the one rule that merges repeated keys into one record.
Nothing here knows a source's layout or raises; callers decide what is an error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace

from monitor.models import FieldValue, Record

log = logging.getLogger(__name__)

# Multi-valued cells are joined with "; ". EL rows also use the Federal Register style
# "A; B; and C", in alias cells and inside address cells, so "; and " separates too.
_MULTI_SEP = re.compile(r"\s*;\s+(?:and\s+)?")

# "83 FR 37423", "83 FR 37423; 87 FR 77505", "77 FR 58006 (no. 182)", "67 F.R. 56530 9/4/02".
# The look-behind keeps "1967 FR 1" from reading as "967 FR 1".
_CITATION = re.compile(r"(?<!\d)(\d{2,3})\s*F\.?\s*R\.?\s*(\d+)")

# Footnote markers in a license requirement. The EL table glues a footnote number straight
# onto the text it annotates, with no space: "(See §§ 734.9(g),3 746.8(a)(3), ...)" or
# "... subject to the EAR.1". The rule: ONE digit that directly follows a ")", a "," or
# "EAR"/"EAR." and is itself followed by a space, ",", ";", ")" or the end of the text.
# Digits of § numbers never match: in "734.9" and "746.8" the digit follows "." or another
# digit, in "(a)(3)" it follows "(", and "744.11, 744.21" has a space after the comma.
_FOOTNOTE = re.compile(r"(?:\)|,|\bEAR\.?)(\d)(?=[\s,;)]|$)")

_ISO2 = re.compile(r"[A-Z]{2}")

# Words whose trailing "." is part of the name ("Co., Ltd.") rather than the FR sentence end.
_ABBREVIATIONS = frozenset(
    {"co", "corp", "inc", "ltd", "llc", "plc", "jsc", "ojsc", "cjsc", "pjsc", "bhd", "pvt", "pte"}
    | {"gmbh", "ag", "sa", "srl", "spa", "bv", "nv", "kg", "oy", "ab", "sas", "sarl", "lda"}
    | {"ltda", "no", "st", "dept", "intl", "mfg", "bros", "assn", "est", "jr", "sr"}
)


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Values in first-seen order, without repeats or empties."""
    return tuple(dict.fromkeys(v for v in values if v))


def split_multi(cell: str) -> tuple[str, ...]:
    """Split a multi-valued cell on "; " and "; and ", dropping empty parts."""
    return tuple(part.strip() for part in _MULTI_SEP.split(cell.strip()) if part.strip())


def clean_alias(text: str) -> str:
    """One alias without the FR-style leading "and " or the sentence's closing period."""
    alias = text.strip()
    if alias.startswith("and "):
        alias = alias[4:].lstrip()
    if alias.endswith(".") and not _is_abbreviation(alias):
        alias = alias[:-1].rstrip()
    return alias


def _is_abbreviation(alias: str) -> bool:
    """True when the final "." belongs to the last word ("Ltd.", "S.A.", "No.")."""
    last = alias.split()[-1][:-1] if alias.split() else ""
    return "." in last or last.lower() in _ABBREVIATIONS


def clean_aliases(parts: Iterable[str]) -> tuple[str, ...]:
    return unique(clean_alias(p) for p in parts)


def parse_citations(text: str) -> tuple[str, ...]:
    """Federal Register citations normalised to "NN FR NNNNN", deduplicated, in order."""
    return unique(f"{int(vol)} FR {int(page)}" for vol, page in _CITATION.findall(text))


def find_footnotes(text: str) -> tuple[str, ...]:
    """Footnote markers glued into a license requirement (see ``_FOOTNOTE``)."""
    return unique(_FOOTNOTE.findall(text))


def iso_country(code: str) -> str:
    """The code when it is an ISO-2 style code (two capital letters), else ""."""
    code = code.strip()
    return code if _ISO2.fullmatch(code) else ""


def merge_all(records: Iterable[Record], *, label: str = "CSL") -> list[Record]:
    """One record per key, in first-seen order; repeated keys are merged, never dropped.

    Shared by the list sources (the CSL file, the eCFR table): lists are united,
    differing texts joined (``merge_value``), meta values joined per key, and the
    number of merged rows kept in ``meta["merged_rows"]``.
    """
    merged: dict[str, Record] = {}
    for record in records:
        prior = merged.get(record.key)
        merged[record.key] = record if prior is None else merge(prior, record, label)
    return list(merged.values())


def merge(first: Record, second: Record, label: str = "CSL") -> Record:
    """Two rows of one key as one record; the count of merged rows goes to ``meta``."""
    count = int(first.meta.get("merged_rows", "1")) + 1
    log.warning("%s: %d rows share the key %s; merged into one record", label, count, first.key)
    fields = {
        name: value if name == "name" else merge_value(value, second.fields.get(name, value))
        for name, value in first.fields.items()
    }
    meta = {
        name: "; ".join(unique([value, second.meta.get(name, "")]))
        for name, value in first.meta.items()
        if name != "merged_rows"
    }
    meta["merged_rows"] = str(count)
    return replace(first, fields=fields, meta=meta)


def merge_value(first: FieldValue, second: FieldValue) -> FieldValue:
    """Tuples are united in order; differing texts are both kept, joined with "; "."""
    if isinstance(first, tuple) and isinstance(second, tuple):
        return unique((*first, *second))
    if isinstance(first, str) and isinstance(second, str):
        return "; ".join(unique([first, second]))
    return first
