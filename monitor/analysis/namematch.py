"""Name folding and similarity for watchlist screening. Pure; difflib is the only helper.

English (Latin-script) names are folded by ``keys.fold_name`` (width, case, accents,
punctuation, ``&`` -> ``and``), abbreviations are expanded (``Grp`` -> ``group``), trailing
legal forms are dropped (``Co., Ltd.``, ``Inc.``, ``LLC``, ``GmbH`` ...) and so are a few
stop words. A word missing from the other name is replaced by its closest word there when
they are 88 % alike and share the first letter ("Microelectronic" ~ "Microelectronics");
each such typo costs 0.02 and the reason names it. Then, best first:

  exact      the folded words are equal (with typos: 1.0 - 0.02 each)          1.0
  spacing    the same letters with other spacing ("IronMountain")               0.98
  generic    equal but for generic words ("Hudson Group", "Hudson               0.9
             Technologies": group, technology, systems ... say little)
  subset     one name within the other: the shorter one's non-generic words  0.90-1.0
             all appear in the longer one, at least two of its words do, and
             not only common ones (0.9 + 0.1 x shared / longer: "General
             Dynamics" in "General Dynamics Mission Systems" scores 0.95)
  fuzzy      the lower of two token similarities: difflib's ratio of the two
             names' words (shared ones first, then each side's own, sorted: word
             order does not matter), and ``word_similarity`` (each word's best
             partner on the other side, rare words weighing most). fuzzywuzzy's
             token_set_ratio would also compare the shared words alone; the subset
             rule covers that case, and two firms sharing only "Star Aerospace"
             must not score 0.86.

A one-word name never gets the subset floor: "Fudan" alone is weak evidence against
"Fudan Microelectronics". "Common" and "rare" come from the screened names themselves
(``Rarity``, counted by ``monitor.analysis.nameindex.NameIndex``); compared alone, every word
counts by its length and none is common.

Chinese names are NFKC-folded, stripped of punctuation and of legal forms (有限公司,
股份有限公司, 集团 ...), then: equal 1.0; one containing the other (3+ characters) 0.9-1.0
(上海复旦微电子 contains 复旦微电子); else difflib ratio. Latin and Chinese names are never
compared with each other: cross-language matches go through the bilingual MOFCOM pairs
(``monitor.analysis.watchlist.Lexicon``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from monitor.keys import fold_name

ABBREVIATIONS = {
    "grp": "group",
    "intl": "international",
    "tech": "technology",
    "techs": "technologies",
    "mfg": "manufacturing",
    "univ": "university",
    "inst": "institute",
    "acad": "academy",
    "sci": "science",
    "natl": "national",
    "assn": "association",
    "dept": "department",
    "svcs": "services",
    "sys": "systems",
    "hldgs": "holdings",
    "elecs": "electronics",
}


def _word_set(text: str) -> frozenset[str]:
    """A set of words written as one string: easier to read and extend than a list."""
    return frozenset(text.split())


LEGAL_FORMS = _word_set(
    "co ltd limited inc incorporated llc corp corporation company plc gmbh ag sa bv nv pte pty"
    " lp llp jsc ojsc pjsc cjsc oao ooo zao kk srl spa sarl ab oy sdn bhd fze fzco fzc"
)
STOP_WORDS = frozenset({"the", "and", "of", "for"})
GENERIC = _word_set(
    "group holding holdings technology technologies international industries solutions"
    " systems enterprises trading services"
)
LEGAL_FORMS_ZH = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "集团公司",
    "公司",
    "集团",
    "控股",
)
ALIGN_RATIO = 0.88
_PENALTY = 0.02  # per word matched only approximately: a typo is not an exact match
SUBSET_FLOOR = 0.9
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class NameMatch:
    score: float
    how: str  # exact | spacing | generic | subset | fuzzy | zh_exact | zh_contains | zh_fuzzy
    detail: str


NO_MATCH = NameMatch(0.0, "none", "")


def is_chinese(name: str) -> bool:
    return bool(_CJK.search(name))


@lru_cache(maxsize=65_536)
def words(name: str) -> tuple[str, ...]:
    """A Latin-script name as comparable words (abbreviations expanded, legal forms and
    stop words dropped)."""
    tokens = [ABBREVIATIONS.get(t, t) for t in fold_name(name).split()]
    while tokens and tokens[-1] in LEGAL_FORMS:
        tokens.pop()  # trailing only: "AG" or "SA" inside a name may be a word of it
    return tuple(t for t in tokens if t not in STOP_WORDS)


def core(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The distinctive words: generic ones set aside unless nothing else remains."""
    kept = tuple(t for t in tokens if t not in GENERIC)
    return kept or tokens


@lru_cache(maxsize=65_536)
def fold_zh(name: str) -> str:
    """A Chinese name without punctuation, spaces or trailing legal forms."""
    text = _NON_WORD.sub("", unicodedata.normalize("NFKC", name)).casefold()
    stripped = True
    while stripped:
        stripped = False
        for form in LEGAL_FORMS_ZH:
            if text.endswith(form) and len(text) > len(form):
                text, stripped = text[: -len(form)], True
    return text


class Rarity:
    """How much a word says about identity. Without a corpus every word counts by its
    length; ``NameIndex`` counts by how few of the screened names hold the word."""

    def weight(self, word: str) -> float:
        return float(len(word))

    def is_common(self, word: str) -> bool:
        return False


PLAIN = Rarity()


def compare(a: str, b: str, floor: float = 0.0, rarity: Rarity = PLAIN) -> NameMatch:
    """How alike two names are (0..1), and how that was decided. With ``floor``, a fuzzy
    comparison whose cheap upper bound is below it stops early (and scores 0)."""
    if is_chinese(a) != is_chinese(b):
        return NO_MATCH
    if is_chinese(a):
        return compare_zh(fold_zh(a), fold_zh(b), floor)
    return compare_words(words(a), words(b), floor, rarity)


def compare_words(
    full_a: tuple[str, ...],
    full_b: tuple[str, ...],
    floor: float = 0.0,
    rarity: Rarity = PLAIN,
) -> NameMatch:
    if not full_a or not full_b:
        return NO_MATCH
    if sorted(full_a) == sorted(full_b):
        return NameMatch(1.0, "exact", f"same words after folding: {' '.join(full_a)!r}")
    if "".join(full_a) == "".join(full_b):
        return NameMatch(0.98, "spacing", f"same letters, other spacing: {''.join(full_a)!r}")
    full_a, aligned = _align(full_a, full_b)
    cost, note = _PENALTY * len(aligned), f" ({', '.join(aligned)})" if aligned else ""
    if sorted(full_a) == sorted(full_b):
        return NameMatch(round(1.0 - cost, 3), "exact", f"same words but for typos{note}")
    a, b = core(full_a), core(full_b)
    if sorted(a) == sorted(b):
        # "Hudson Group" and "Hudson Technologies" may be two firms: a hit, not a certainty.
        shown = " ".join(a)
        return NameMatch(SUBSET_FLOOR - cost, "generic", f"same words but generic ones: {shown!r}")
    subset = _subset(full_a, full_b, rarity)
    if subset is not None:
        score, shown = subset
        return NameMatch(round(score - cost, 3), "subset", f"all of {shown!r} in the other{note}")
    left, right = token_strings(a, b)
    if floor and _upper_bound(left, right) - cost < floor:
        return NO_MATCH  # cannot reach the floor: skip the costly exact ratio
    score = max(min(_ratio(left, right), word_similarity(a, b, rarity)) - cost, 0.0)
    return NameMatch(round(score, 3), "fuzzy", f"token similarity {score:.2f}{note}")


def _subset(a: tuple[str, ...], b: tuple[str, ...], rarity: Rarity) -> tuple[float, str] | None:
    """One name within the other: the shorter one's distinctive words all appear in the
    longer one, at least two of its words do, and not only common ones ("Shanghai",
    "China"). "Fudan Microelectronics Grp" is within "Beijing Fudan Microelectronics
    Technology" (group is generic); "Applied Technologies Group" is not within "Applied
    Materials" (one shared word)."""
    small, large = (a, b) if len(core(a)) <= len(core(b)) else (b, a)
    shared = set(small) & set(large)
    if not set(core(small)) <= set(large) or len(shared) < 2:
        return None
    if all(rarity.is_common(w) or w in GENERIC for w in shared):
        return None
    score = SUBSET_FLOOR + (1 - SUBSET_FLOOR) * len(shared) / len(set(large))
    return score, " ".join(w for w in small if w in shared)


def compare_zh(a: str, b: str, floor: float = 0.0) -> NameMatch:
    if not a or not b:
        return NO_MATCH
    if a == b:
        return NameMatch(1.0, "zh_exact", f"same Chinese name after folding: {a}")
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 3 and short in long_:
        score = round(SUBSET_FLOOR + (1 - SUBSET_FLOOR) * len(short) / len(long_), 3)
        return NameMatch(score, "zh_contains", f"{long_} contains {short}")
    if floor and _upper_bound(a, b) < floor:
        return NO_MATCH
    score = _ratio(a, b)
    return NameMatch(round(score, 3), "zh_fuzzy", f"character similarity {score:.2f}")


def token_ratio(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """The fuzzy score of two word tuples (0..1): word order does not matter."""
    return _ratio(*token_strings(a, b))


def word_similarity(a: tuple[str, ...], b: tuple[str, ...], rarity: Rarity = PLAIN) -> float:
    """How well each word finds a like word on the other side (difflib ratio of the best
    partner, weighted by ``rarity``; the mean of both directions). Two firms that share
    "Shanghai Star Aerospace" but not their own names score low here."""

    def one_way(x: tuple[str, ...], y: tuple[str, ...]) -> float:
        total = sum(rarity.weight(w) for w in x)
        return sum(rarity.weight(w) * max(_ratio(w, v) for v in y) for w in x) / total

    return (one_way(a, b) + one_way(b, a)) / 2


def token_strings(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, str]:
    """Each side's words as one string: the shared words (sorted), then its own (sorted),
    so that word order and shared words line up for difflib."""
    sa, sb = set(a), set(b)
    shared = sorted(sa & sb)
    return " ".join([*shared, *sorted(sa - sb)]), " ".join([*shared, *sorted(sb - sa)])


def _ratio(x: str, y: str) -> float:
    return SequenceMatcher(None, x, y, autojunk=False).ratio()


def _upper_bound(x: str, y: str) -> float:
    """A cheap upper bound of ``_ratio`` (difflib's quick_ratio: shared letters)."""
    return SequenceMatcher(None, x, y, autojunk=False).quick_ratio()


def _align(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """``a`` with near-identical words replaced by their counterpart in ``b`` (typos,
    singular/plural), and the replacements made."""
    targets = set(b) - set(a)
    out, made = [], []
    for token in a:
        # Typos keep a word's first letter and length within 2: check those before difflib.
        near = sorted(t for t in targets if t[0] == token[0] and abs(len(t) - len(token)) <= 2)
        near = [t for t in near if _upper_bound(token, t) >= ALIGN_RATIO]
        if token in b or len(token) < 4 or not near:
            out.append(token)
            continue
        best = max(near, key=lambda t: _ratio(token, t))
        if _ratio(token, best) >= ALIGN_RATIO:
            out.append(best)
            made.append(f"{token}≈{best}")
        else:
            out.append(token)
    return tuple(out), made
