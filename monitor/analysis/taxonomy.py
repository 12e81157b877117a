"""The sector taxonomy: bundled as data (``monitor/data/sectors.toml``), parsed here into
compiled cues. ``monitor.analysis.sectors`` applies it.

Matching rules, from the data file's own header: English ``terms`` are whole words in any
case (a trailing "s"/"es" also matches, a space also matches a hyphen); ``acronyms`` are
whole words in exact case; ``terms_zh`` are substrings after NFKC normalisation; ``hs``
are HS code prefixes; ``known`` names (few, each with a note saying why) are matched like
terms (Latin script) or substrings (Chinese). "Whole word" is delimited by ASCII letters
and digits only, so "IC" still matches next to Chinese text and never inside "Electronic".
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from importlib import resources

from monitor.errors import ConfigError


@dataclass(frozen=True)
class Sector:
    id: str
    name: str
    name_zh: str
    scope: str = ""


@dataclass(frozen=True)
class Cue:
    """One matchable item of the taxonomy. Its regex (``pattern``) is compiled on first
    use: compiling all ~340 costs more than a digest whose tags are all stored."""

    sector: str
    rule: str
    text: str
    regex: str | None  # the regex source; None for HS prefixes
    note: str = ""
    ignore_case: bool = False

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        if self.regex is None:
            return None
        return re.compile(self.regex, re.IGNORECASE if self.ignore_case else 0)

    @cached_property
    def gate(self) -> tuple[str, ...] | None:
        """Words of which a text must hold one for ``pattern`` to match it, or None when
        no cheap test applies (``may_match`` then always says yes).

        A Chinese cue is a literal: its gate is the literal itself. An English cue is
        whole words delimited by ASCII letters and digits, so the first letter-or-digit
        run of its first word must be a whole run of the text (with "s"/"es" after it
        for a one-word term).
        """
        if self.regex is None:
            return None
        if self.rule == "term_zh" or (self.rule == "known" and not self.text.isascii()):
            return (normalise(self.text),)
        words = re.split(r"[\s\-]+", self.text.strip())
        if not self.text.isascii() or not words[0][:1].isalnum():
            return None
        run = _ALNUM.match(words[0])
        assert run is not None
        first = run.group(0).lower()
        plural = self.rule != "acronym" and len(words) == 1 and first == words[0].lower()
        return (first, f"{first}s", f"{first}es") if plural else (first,)


# Letters outside ASCII that a case-insensitive [A-Za-z0-9] matches (re folds them).
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_ALNUM = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class TextWords:
    """A text's ASCII letter-and-digit runs, lower-cased: as written (for exact-case
    acronyms) and with the letters a case-insensitive match folds (for terms)."""

    exact: frozenset[str]
    folded: frozenset[str]

    @classmethod
    def of(cls, text: str) -> TextWords:
        exact = frozenset(run.lower() for run in _ALNUM.findall(text))
        folded_text = text.translate(_FOLD)
        folded = (
            exact
            if folded_text == text
            else frozenset(run.lower() for run in _ALNUM.findall(folded_text))
        )
        return cls(exact, folded)


@dataclass(frozen=True)
class Taxonomy:
    version: str
    sectors: tuple[Sector, ...]
    cues: tuple[Cue, ...]
    # What stored tags were computed with (``monitor.store.tags``): a digest of the
    # taxonomy text and the matching rules' version; "" for a taxonomy not read from a
    # file (tests), whose tags are never stored.
    fingerprint: str = ""

    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sectors)

    @cached_property
    def _index(self) -> tuple[dict[str, list[int]], dict[str, list[int]], list[int], list[int]]:
        """Cue positions by gate word (terms, acronyms), the non-ASCII literals, the rest."""
        folded: dict[str, list[int]] = {}
        exact: dict[str, list[int]] = {}
        literals: list[int] = []
        always: list[int] = []
        for at, cue in enumerate(self.cues):
            gate = cue.gate
            if cue.regex is None:
                continue
            if gate is None or (cue.rule == "term_zh" and gate[0].isascii()):
                always.append(at)
            elif not gate[0].isascii():
                literals.append(at)
            else:
                for word in gate:
                    (exact if cue.rule == "acronym" else folded).setdefault(word, []).append(at)
        return folded, exact, literals, always

    def candidates(self, text: str) -> list[Cue]:
        """The text cues that may match ``text``, in taxonomy order; a cue left out cannot
        match it (its gate word is not in the text), so searching only these is exact."""
        folded, exact, literals, always = self._index
        words = TextWords.of(text)
        found = set(always)
        for word in words.folded:
            found.update(folded.get(word, ()))
        for word in words.exact:
            found.update(exact.get(word, ()))
        if not text.isascii():
            gates = ((at, self.cues[at].gate) for at in literals)
            found.update(at for at, gate in gates if gate is not None and gate[0] in text)
        return [self.cues[at] for at in sorted(found)]

    def label(self, sector_id: str) -> str:
        return next((s.name for s in self.sectors if s.id == sector_id), sector_id)


# Bump when the matching code (``normalise``, ``_english``, ``monitor.analysis.sectors``'s
# scanning and grouping) changes what a text is tagged: stored tags then read as stale.
MATCHING_VERSION = "1"


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The bundled taxonomy (read once). Its fingerprint changes with any edit of the
    file, so tags stored under an older taxonomy are computed again."""
    text = resources.files("monitor").joinpath("data/sectors.toml").read_text(encoding="utf-8")
    taxonomy = parse_taxonomy(tomllib.loads(text))
    return replace(taxonomy, fingerprint=taxonomy_fingerprint(text))


def taxonomy_fingerprint(text: str) -> str:
    """The version stored tags are valid for: the taxonomy text and the matching code's."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"m{MATCHING_VERSION}-{digest}"


def parse_taxonomy(data: Mapping[str, object]) -> Taxonomy:
    """A taxonomy from its TOML form; raises ConfigError on a malformed entry."""
    sectors: list[Sector] = []
    cues: list[Cue] = []
    for table in _tables(data, "sector"):
        sector = Sector(
            id=_text(table, "id"),
            name=_text(table, "name"),
            name_zh=_text(table, "name_zh"),
            scope=str(table.get("scope", "")),
        )
        if sector.id in {s.id for s in sectors}:
            raise ConfigError(f"sector taxonomy: duplicate sector id {sector.id!r}")
        sectors.append(sector)
        cues.extend(_cues(sector.id, table))
    if not sectors:
        raise ConfigError("sector taxonomy: no [[sector]] tables")
    return Taxonomy(version=str(data.get("version", "")), sectors=tuple(sectors), cues=tuple(cues))


def _cues(sector: str, table: Mapping[str, object]) -> Iterable[Cue]:
    for term in _texts(table, "terms"):
        yield Cue(sector, "term", term, _english(term, ignore_case=True), ignore_case=True)
    for term in _texts(table, "acronyms"):
        yield Cue(sector, "acronym", term, _english(term, ignore_case=False))
    for term in _texts(table, "terms_zh"):
        yield Cue(sector, "term_zh", term, re.escape(normalise(term)))
    for prefix in _texts(table, "hs"):
        yield Cue(sector, "hs", prefix, None)
    for known in _tables(table, "known"):
        note = " ".join(str(known.get("note", "")).split())
        for name in _texts(known, "match"):
            latin = name.isascii()
            regex = _english(name, True) if latin else re.escape(name)
            yield Cue(sector, "known", name, regex, note, ignore_case=latin)


def _english(term: str, ignore_case: bool) -> str:
    """Whole words (ASCII letters and digits delimit them, so a cue next to Chinese text
    still matches); a space also matches a hyphen; "s"/"es" may follow a term. The regex
    source: ``Cue.pattern`` compiles it (with IGNORECASE when ``ignore_case``)."""
    words = [re.escape(w) for w in re.split(r"[\s\-]+", term.strip())]
    plural = "(?:s|es)?" if ignore_case else ""
    body = r"[\s\-]+".join(words)
    return rf"(?<![A-Za-z0-9]){body}{plural}(?![A-Za-z0-9])"


def _tables(table: Mapping[str, object], name: str) -> list[Mapping[str, object]]:
    value = table.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"sector taxonomy: {name!r} must be a list of tables ([[{name}]])")
    return value


def _text(table: Mapping[str, object], name: str) -> str:
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"sector taxonomy: [[sector]] needs text {name!r}, got {value!r}")
    return value


def _texts(table: Mapping[str, object], name: str) -> tuple[str, ...]:
    value = table.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"sector taxonomy: {name!r} must be a list of text")
    return tuple(value)


def normalise(text: str) -> str:
    """NFKC: full-width letters and digits become ASCII, so cues match either form."""
    return unicodedata.normalize("NFKC", text)
