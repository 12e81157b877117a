"""Stable record keys and the name folding they rest on.

A key is ours, never a publisher's id: the folded name plus the ISO country,
so the same entity gets the same key from the CSL file and the eCFR table, and
the same name listed under two countries gets two keys.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`']")
# A "?" between two letters is the publisher's mojibake for an apostrophe ("Xi?an" for
# "Xi'an", "Chang?an"): it folds like the apostrophe, so a later repair is no change of key.
_MOJIBAKE_APOSTROPHE = re.compile(r"(?<=[^\W\d_])\?(?=[^\W\d_])")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


@lru_cache(maxsize=32_768)
def fold_name(name: str) -> str:
    """Fold a name for comparison: width, case, accents, '&', punctuation and spacing;
    apostrophes (and the "?" mojibake of one) are dropped.

    Cached: the same names are folded again by the parser, the differ and the
    store on every run; most are ASCII and skip the Unicode normalisation. The cache
    holds more than the real lists' names, and less than a 200,000-row file's: each
    entry is ~300 bytes for the life of the process (262,144 of them held ~64 MB after
    a 200,000-row baseline, whose store folds a name a batch after its parser did).
    """
    text = _MOJIBAKE_APOSTROPHE.sub("", name) if "?" in name else name
    if "'" in text or "`" in text or not text.isascii():  # the other marks are not ASCII
        text = _APOSTROPHES.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
    text = text.casefold().replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", text).split())


def record_key(name: str, country: str) -> str:
    """The stable key of an entry: folded name, then the ISO-2 country ('??' when unknown)."""
    folded = fold_name(name).replace(" ", "-")
    return f"{folded}|{(country or '??').upper()}"
