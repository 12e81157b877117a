"""Watchlist screening: the user's counterparties against list entries, with score and reason.

Pure: the watchlist file is read by ``monitor.analysis.watchlist_file``; hits are kept and decided
on (confirmed / dismissed) by ``monitor.store.analysis``.

What is compared: every name of a watch entry (its name and aliases) with every name of
a record (name, aliases, and for MOFCOM entries the English and the Chinese name of the
annex); for an action, the parties it names (so a counterparty named as a producer in an
anti-dumping investigation is a hit too), except for listing actions, whose parties are
screened as the list entries they create. Names are scored by ``monitor.analysis.namematch``.

Cross-language: MOFCOM annexes pair each Chinese name with an English one (通用动力公司
（General Dynamics）). ``Lexicon`` collects those pairs from the records we hold; a watch
name equal (folded) to one side of a pair is also screened as the other side, and the
reason names the pair and the notice it comes from. So "洛克希德·马丁公司" in a watchlist
finds "Lockheed Martin Corporation" on a list that has no Chinese names.

Country: when both sides state one and they differ (Greater China counts as one: CN, HK,
MO), the score drops by 0.05 and the reason says so; a match adds nothing, because a
shared country is common and says little.

Decisions: a dismissed hit stays dismissed while the record's content hash is the one it
was dismissed on; when the record changes the hit is open again (``effective_status``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.actions import is_action
from monitor.analysis.nameindex import NameIndex
from monitor.analysis.namematch import NameMatch, Rarity, compare, fold_zh, is_chinese, words
from monitor.models import Record

DEFAULT_THRESHOLD = 0.85
# Actions whose parties become list entries of their own (screened there, not twice).
LISTED_ELSEWHERE = frozenset({"ecl_addition", "uel_addition", "entity_list_rule"})
# Actors whose every decision lists its parties on a derived list (the MFA's ``mfa`` list).
LISTING_ACTORS = frozenset({"MFA"})
COUNTRY_PENALTY = 0.05
STATUSES = ("new", "confirmed", "dismissed")
_REGIONS = ({"CN", "HK", "MO"},)


@dataclass(frozen=True)
class WatchEntry:
    """One counterparty: the user's reference, names and (optional) country."""

    ref: str
    name: str
    aliases: tuple[str, ...] = ()
    country: str = ""
    note: str = ""

    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for n in (self.name, *self.aliases) if n.strip()))


@dataclass(frozen=True)
class Hit:
    """A record that matches a watch entry, with why."""

    ref: str
    watch_name: str
    source: str
    key: str
    list_name: str
    record_name: str
    country: str
    score: float
    reason: str
    content_hash: str


class Lexicon:
    """English <-> Chinese names paired by MOFCOM annexes, with the notice that pairs them."""

    def __init__(self, pairs: Iterable[tuple[str, str, str]] = ()) -> None:
        self._pairs: dict[str, list[tuple[str, str]]] = {}
        for english, chinese, origin in pairs:
            if english.strip() and chinese.strip():
                self._add(_fold_any(english), chinese, origin)
                self._add(_fold_any(chinese), english, origin)

    def _add(self, folded: str, other: str, origin: str) -> None:
        items = self._pairs.setdefault(folded, [])
        if all(o != other for o, _ in items):
            items.append((other, origin))

    def counterparts(self, name: str) -> list[tuple[str, str]]:
        """(name in the other language, origin) for each pair one of whose sides is ``name``."""
        return list(self._pairs.get(_fold_any(name), []))

    def __len__(self) -> int:
        return len(self._pairs)


def lexicon_from(records: Iterable[Record]) -> Lexicon:
    """The bilingual pairs of the MOFCOM records held: annex parties and list entries."""
    pairs: list[tuple[str, str, str]] = []
    for record in records:
        if is_action(record):
            english, chinese = record.get_tuple("parties_en"), record.get_tuple("parties_zh")
            pairs += [(e, z, record.key) for e, z in zip(english, chinese, strict=False)]
        elif record.get_text("name_zh") and record.get_text("name_en"):
            origin = record.get_text("listed_by") or record.key
            pairs.append((record.get_text("name_en"), record.get_text("name_zh"), origin))
    return Lexicon(pairs)


def record_names(record: Record) -> tuple[str, ...]:
    """Every name a record gives for screening (none for a listing action, whose parties
    are screened as the list entries it creates)."""
    if is_action(record):
        if (
            record.get_text("kind") in LISTED_ELSEWHERE
            or record.get_text("actor") in LISTING_ACTORS
        ):
            return ()
        aliases = (a for joined in record.get_tuple("party_aliases") for a in joined.split("; "))
        names = (*record.get_tuple("parties_en"), *record.get_tuple("parties_zh"), *aliases)
    else:
        names = (
            record.name,
            *record.get_tuple("aliases"),
            record.get_text("name_en"),
            record.get_text("name_zh"),
        )
    return tuple(dict.fromkeys(n for n in names if n.strip()))


def display_name(record: Record) -> str:
    """A record's name as a reader knows it: 通用动力公司（General Dynamics） for MOFCOM entries."""
    chinese, english = record.get_text("name_zh"), record.get_text("name_en")
    return f"{chinese}（{english}）" if chinese and english else record.name


def screen(
    entries: Sequence[WatchEntry],
    records: Iterable[tuple[str, Record]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    lexicon: Lexicon | None = None,
    rarity: Rarity | None = None,
) -> list[Hit]:
    """Every (entry, record) pair scoring at least ``threshold``, best first per entry.

    Records are indexed (``nameindex.NameIndex``) so each watch name is compared only
    with names sharing one of its rarer word prefixes (or, in Chinese, character pairs).
    Word rarity comes from the screened records, or from ``rarity`` when given (to screen
    a few changed records with the statistics of the whole lists).
    """
    index = NameIndex()
    held: list[tuple[str, Record, tuple[str, ...]]] = []
    for source, record in records:
        names = record_names(record)
        for name in names:
            index.add(len(held), name)
        held.append((source, record, names))
    hits: list[Hit] = []
    for entry in entries:
        queries = _queries(entry, lexicon or Lexicon())
        found = {i for query, _ in queries for i in index.candidates(query)}
        for i in sorted(found):
            source, record, names = held[i]
            hit = _best(entry, queries, source, record, names, threshold, rarity or index)
            if hit is not None and hit.score >= threshold:
                hits.append(hit)
    return sorted(hits, key=lambda h: (h.ref, -h.score, h.source, h.key))


def _queries(entry: WatchEntry, lexicon: Lexicon) -> list[tuple[str, str]]:
    """(name to screen, how it was obtained): the entry's names, then their counterparts
    in the other language."""
    queries = [(name, "") for name in entry.names()]
    for name in entry.names():
        for other, origin in lexicon.counterparts(name):
            queries.append((other, f"via the MOFCOM pair {name} = {other} ({origin})"))
    return list(dict.fromkeys(queries))


def _best(
    entry: WatchEntry,
    queries: Sequence[tuple[str, str]],
    source: str,
    record: Record,
    names: Sequence[str],
    floor: float,
    rarity: Rarity,
) -> Hit | None:
    best: tuple[float, NameMatch, str, str, str] | None = None
    for query, via in queries:
        for name in names:
            match = compare(query, name, floor, rarity)
            if best is None or match.score > best[0]:
                best = (match.score, match, query, name, via)
    if best is None or best[0] <= 0:
        return None
    score, match, query, name, via = best
    score, country_note = _country(entry, record, score)
    parts = [f"{match.detail}: {query!r} ~ {name!r}", via, country_note]
    shown, country = display_name(record), record.country
    if is_action(record):
        instrument = record.get_text("instrument") or record.key
        parts.append(f"named as a party in {instrument}")
        shown, country = f"{name} (named in {instrument})", _party_country(record, name)
    return Hit(
        ref=entry.ref,
        watch_name=entry.name,
        source=source,
        key=record.key,
        list_name=record.list_name,
        record_name=shown,
        country=country,
        score=round(score, 3),
        reason="; ".join(p for p in parts if p),
        content_hash=record.content_hash,
    )


def _country(entry: WatchEntry, record: Record, score: float) -> tuple[float, str]:
    if is_action(record) or not entry.country or not record.country:
        return score, ""
    wanted, found = entry.country.upper(), record.country.upper()
    if wanted == found or any({wanted, found} <= region for region in _REGIONS):
        return score, ""
    return score - COUNTRY_PENALTY, f"country differs (watch {wanted}, record {found}: -0.05)"


def _party_country(action: Record, name: str) -> str:
    """The stated country of the party ``name`` of an action ("" when not stated)."""
    countries = action.get_tuple("party_countries")
    for names in (action.get_tuple("parties_en"), action.get_tuple("parties_zh")):
        if name in names and names.index(name) < len(countries):
            return countries[names.index(name)]
    return ""


def effective_status(status: str, decided_hash: str | None, current_hash: str) -> str:
    """A dismissal holds only for the record content it was made on."""
    if status == "dismissed" and decided_hash != current_hash:
        return "new"
    return status


def _fold_any(name: str) -> str:
    """The lexicon's key: legal forms dropped, so "General Dynamics Corp." finds the pair."""
    return fold_zh(name) if is_chinese(name) else " ".join(words(name))
