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

# "83 FR 37423", "83 FR 37423; 87 FR 77505", "77 FR 58006 (no. 182)", "67 F.R. 56530 9/4/02",
# and the issue-number form "76 FR no. 242 pg. 78146". The look-behind keeps "1967 FR 1" from
# reading as "967 FR 1".
_CITATION = re.compile(
    r"(?<!\d)(\d{2,3})\s*F\.?\s*R\.?\s*(?:no\.?\s*\d+,?\s*(?:pg|p|page)\.?\s*)?(\d+)",
    re.IGNORECASE,
)
# A volume left after the citations are taken out ("88 FR", "76 FR No. 197 (10/12/2011)").
_VOLUME = re.compile(r"(?<!\d)(\d{2,3})\s*F\.?\s*R\b")

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
    # Shortened words of real EL names and aliases ("Hebei Poshing Elec.", "... Comm.",
    # "... Tech.", "... San. Tic."): the period is the abbreviation's, not a sentence end.
    | {"elec", "electr", "comm", "tech", "ter", "verf", "ind", "inds", "eng", "engg", "dev"}
    | {"sci", "mach", "equip", "inst", "assoc", "govt", "natl", "univ", "tic", "san", "sti"}
    | {"co-op", "coop", "int", "mgmt", "svcs", "sys", "hldgs", "grp", "ent", "ave", "rd"}
)


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Values in first-seen order, without repeats or empties."""
    if type(values) is tuple and len(values) < 2:  # a lone value (most cells): nothing to drop
        return values if not values or values[0] else ()
    return tuple(dict.fromkeys(filter(None, values)))


def split_multi(cell: str) -> tuple[str, ...]:
    """Split a multi-valued cell on "; " and "; and ", dropping empty parts and the FR
    list's glue "and" standing alone ("HPSTAR; and; Beijing ...", "... TEMP-AVIA; and")."""
    text = cell.strip()
    if ";" not in text:  # most cells hold one value (or none): no split to make
        return (text,) if text and text.lower() != "and" else ()
    parts = (part.strip() for part in _MULTI_SEP.split(text))
    return tuple(part for part in parts if part and part.lower() != "and")


def clean_alias(text: str) -> str:
    """One alias without the FR-style leading "and " or the sentence's closing period;
    the glue "and" alone is no alias ("")."""
    alias = text.strip()
    if alias.lower() == "and":
        return ""
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
    return unique(tuple(map(clean_alias, parts)))  # a tuple: ``unique``'s lone-value path


def parse_citations(text: str) -> tuple[str, ...]:
    """Federal Register citations normalised to "NN FR NNNNN", deduplicated, in order."""
    return unique(f"{int(vol)} FR {int(page)}" for vol, page in _CITATION.findall(text))


def incomplete_citations(text: str) -> tuple[str, ...]:
    """Federal Register volumes cited with no page ("88 FR"), which ``parse_citations``
    cannot read; callers keep them as a review note rather than drop them unseen."""
    rest = _CITATION.sub(" ", text)
    return unique(f"{int(vol)} FR" for vol in _VOLUME.findall(rest))


def find_footnotes(text: str) -> tuple[str, ...]:
    """Footnote markers glued into a license requirement (see ``_FOOTNOTE``)."""
    return unique(_FOOTNOTE.findall(text))


def iso_country(code: str) -> str:
    """The code when it is an ISO-2 style code (two capital letters), else ""."""
    code = code.strip()
    return code if _ISO2.fullmatch(code) else ""


def merge_all(records: Iterable[Record], *, label: str = "CSL") -> list[Record]:
    """One record per key, in first-seen key order; repeated keys are merged, never dropped.

    Shared by the list sources (the CSL file, the eCFR table). The publisher may list one
    entity on several rows and swap those rows between downloads, so the merge never
    depends on row order: a key's rows are merged in a fixed order (``_row_order``: the
    earliest listed first, then by content hash and meta), lists united, differing texts
    joined (``merge_values``), meta values
    joined per key, and the number of merged rows kept in ``meta["merged_rows"]``. The
    first row in that order gives the name; another row's different spelling of it is
    kept as an alias.
    """
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.key, []).append(record)
    merged = []
    for key, rows in groups.items():
        if len(rows) == 1:
            merged.append(rows[0])
            continue
        log.warning("%s: %d rows share the key %s; merged into one record", label, len(rows), key)
        merged.append(_merge_rows(sorted(rows, key=_row_order)))
    return merged


def _row_order(record: Record) -> tuple[str, str, list[tuple[str, str]]]:
    """Where a row goes in its key's merge, whatever the file order: the earliest listed
    first (its name is the record's), then by content and meta, both fixed per row."""
    return (record.get_text("start_date") or "~", record.content_hash, sorted(record.meta.items()))


def _merge_rows(rows: list[Record]) -> Record:
    first, *others = rows
    fields = dict(first.fields)
    for name, value in first.fields.items():
        if name != "name":
            fields[name] = merge_values([value, *(r.fields.get(name, value) for r in others)])
    # Another row's spelling of the name is kept as an alias, unless it differs only in
    # case or spacing ("EXAMPLE  INSTITUTE"), which says nothing new.
    spelled = " ".join(first.name.split()).casefold()
    variants = unique(r.name for r in others if " ".join(r.name.split()).casefold() != spelled)
    if variants and isinstance(fields.get("aliases"), tuple):
        aliases = fields["aliases"]
        assert isinstance(aliases, tuple)
        fields["aliases"] = unique((*aliases, *variants))
    meta = {
        name: "; ".join(unique(r.meta.get(name, "") for r in rows))
        for name in first.meta
        if name != "merged_rows"
    }
    meta["merged_rows"] = str(len(rows))
    return replace(first, fields=fields, meta=meta)


def merge_values(values: list[FieldValue]) -> FieldValue:
    """Tuples are united in order; differing texts are all kept once, joined with "; "."""
    first = values[0]
    if isinstance(first, tuple):
        return unique(v for value in values if isinstance(value, tuple) for v in value)
    if isinstance(first, str):
        return "; ".join(unique(v for v in values if isinstance(v, str)))
    return first


def merge_value(first: FieldValue, second: FieldValue) -> FieldValue:
    """``merge_values`` of two values."""
    return merge_values([first, second])
