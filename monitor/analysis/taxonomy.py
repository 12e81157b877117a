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

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from monitor.errors import ConfigError


@dataclass(frozen=True)
class Sector:
    id: str
    name: str
    name_zh: str
    scope: str = ""


@dataclass(frozen=True)
class Cue:
    """One matchable item of the taxonomy."""

    sector: str
    rule: str
    text: str
    pattern: re.Pattern[str] | None  # None for HS prefixes
    note: str = ""


@dataclass(frozen=True)
class Taxonomy:
    version: str
    sectors: tuple[Sector, ...]
    cues: tuple[Cue, ...]

    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sectors)

    @cached_property
    def cue_groups(self) -> tuple[tuple[re.Pattern[str], tuple[Cue, ...]], ...]:
        """The text cues in taxonomy order, a few dozen to one alternation.

        A text that no alternation matches (most names) costs a few searches instead of
        one per cue (~340); a group that matches is then searched cue by cue, so each
        cue still reports its own first match, exactly as searching it alone would.
        """
        cues = [cue for cue in self.cues if cue.pattern is not None]
        return tuple(
            (_alternation(group), tuple(group))
            for group in (cues[i : i + CUE_GROUP] for i in range(0, len(cues), CUE_GROUP))
        )

    def label(self, sector_id: str) -> str:
        return next((s.name for s in self.sectors if s.id == sector_id), sector_id)


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The bundled taxonomy (read once)."""
    text = resources.files("monitor").joinpath("data/sectors.toml").read_text(encoding="utf-8")
    return parse_taxonomy(tomllib.loads(text))


def parse_taxonomy(data: Mapping[str, Any]) -> Taxonomy:
    """A taxonomy from its TOML form; raises ConfigError on a malformed entry."""
    sectors: list[Sector] = []
    cues: list[Cue] = []
    for table in data.get("sector", []):
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


def _cues(sector: str, table: Mapping[str, Any]) -> Iterable[Cue]:
    for term in _texts(table, "terms"):
        yield Cue(sector, "term", term, _english(term, ignore_case=True))
    for term in _texts(table, "acronyms"):
        yield Cue(sector, "acronym", term, _english(term, ignore_case=False))
    for term in _texts(table, "terms_zh"):
        yield Cue(sector, "term_zh", term, re.compile(re.escape(normalise(term))))
    for prefix in _texts(table, "hs"):
        yield Cue(sector, "hs", prefix, None)
    for known in table.get("known", []):
        note = " ".join(str(known.get("note", "")).split())
        for name in _texts(known, "match"):
            pattern = _english(name, True) if name.isascii() else re.compile(re.escape(name))
            yield Cue(sector, "known", name, pattern, note)


CUE_GROUP = 48  # cues per alternation: small enough that a hit narrows the search well


def _alternation(cues: Iterable[Cue]) -> re.Pattern[str]:
    """One pattern that matches wherever any of ``cues`` does (flags kept per cue)."""
    parts = []
    for cue in cues:
        assert cue.pattern is not None
        scoped = "i" if cue.pattern.flags & re.IGNORECASE else ""
        parts.append(f"(?{scoped}:{cue.pattern.pattern})")
    return re.compile("|".join(parts))


def _english(term: str, ignore_case: bool) -> re.Pattern[str]:
    """Whole words (ASCII letters and digits delimit them, so a cue next to Chinese text
    still matches); a space also matches a hyphen; "s"/"es" may follow a term."""
    words = [re.escape(w) for w in re.split(r"[\s\-]+", term.strip())]
    plural = "(?:s|es)?" if ignore_case else ""
    body = r"[\s\-]+".join(words)
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(rf"(?<![A-Za-z0-9]){body}{plural}(?![A-Za-z0-9])", flags)


def _text(table: Mapping[str, Any], name: str) -> str:
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"sector taxonomy: [[sector]] needs text {name!r}, got {value!r}")
    return value


def _texts(table: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = table.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"sector taxonomy: {name!r} must be a list of text")
    return tuple(value)


def normalise(text: str) -> str:
    """NFKC: full-width letters and digits become ASCII, so cues match either form."""
    return unicodedata.normalize("NFKC", text)
