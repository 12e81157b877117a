"""The screening index: which list names a watch name is compared with (pure).

Comparing every watch name with every listed name is quadratic (a thousand counterparties
against the whole CSL is tens of millions of difflib calls), so names are indexed by
blocking keys and each query meets only names sharing one of its rarer keys, within a
budget. The index also counts words, which gives ``namematch`` its notion of rare and
common words (inverse document frequency).
"""

from __future__ import annotations

import math

from monitor.analysis.namematch import Rarity, core, fold_zh, is_chinese, words


def blocking_keys(name: str) -> set[str]:
    """Keys under which a name is indexed, so screening compares only names that share one:
    word prefixes and suffixes (3 letters: a typo rarely changes both), the prefix of the
    spaceless form, and for Chinese names their character pairs."""
    if is_chinese(name):
        text = fold_zh(name)
        return {f"zh:{text[i : i + 2]}" for i in range(max(len(text) - 1, 1))}
    tokens = core(words(name))
    keys = {f"w:{t[:3]}" for t in tokens}
    keys |= {f"e:{t[-3:]}" for t in tokens if len(t) >= 4}  # a typo rarely hits both ends
    joined = "".join(tokens)
    if joined:
        keys.add(f"c:{joined[:4]}")
    return keys


def exact_keys(name: str) -> set[str]:
    """Keys that equal names share (after folding, generic words aside, or spacing aside):
    such names are always compared, however common their words."""
    if is_chinese(name):
        return {f"zx:{fold_zh(name)}"}
    full = words(name)
    return {f"x:{' '.join(sorted(core(full)))}", f"s:{''.join(full)}"}


class NameIndex(Rarity):
    """Names by blocking key, so each query is compared with few candidates.

    A query always meets the names equal to it (``exact_keys``); beyond those it uses its
    rarest keys first, as long as the candidates stay within ``budget``: a true match
    shares the query's distinctive word, while common words ("shanghai", "china") would
    make every name a candidate. The price: a typo in the first letters of a name's only
    distinctive word can hide a match.
    """

    def __init__(self, budget: int = 200) -> None:
        self.budget = budget
        self._keys: dict[str, set[int]] = {}
        self._words: dict[str, int] = {}
        self._names = 0

    def add(self, item: int, name: str) -> None:
        for key in blocking_keys(name) | exact_keys(name):
            self._keys.setdefault(key, set()).add(item)
        self.count(name)

    def count(self, name: str) -> None:
        """Count a name's words only (for word statistics over names not screened)."""
        if not is_chinese(name):
            self._names += 1
            for word in set(words(name)):
                self._words[word] = self._words.get(word, 0) + 1

    def weight(self, word: str) -> float:
        """Inverse document frequency: a word in few names weighs much."""
        return math.log((self._names + 1) / (self._words.get(word, 0) + 1)) + 1.0

    def is_common(self, word: str) -> bool:
        """In at least 1 % of the names and at least 50 of them (a small list has no
        common words: "Fudan" in 8 of 200 names is still what identifies them)."""
        return self._words.get(word, 0) >= max(50, self._names // 100)

    def candidates(self, name: str) -> set[int]:
        found = {i for key in exact_keys(name) for i in self._keys.get(key, ())}
        keys = [k for k in blocking_keys(name) if k in self._keys]
        for key in sorted(keys, key=lambda k: (len(self._keys[k]), k)):
            more = found | self._keys[key]
            if len(more) > self.budget:
                break
            found = more
        return found
