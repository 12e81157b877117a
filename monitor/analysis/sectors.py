"""Sector tags with their evidence: records and actions -> sectors.

The taxonomy is data (``monitor/data/sectors.toml``: English terms, exact-case acronyms,
Chinese terms, HS code prefixes and a few named organisations per sector); this module
only applies it. Every tag carries its evidence, so an analyst can trust or overrule it:
the field the cue was found in, the text matched there, the kind of rule (``term``,
``acronym``, ``term_zh``, ``hs``, ``known``, ``listing``, ``override``) and a note.

What is read:

* a list entry: its name, aliases, English and Chinese names (MOFCOM annexes) and remarks;
  plus, when the caller passes the action that listed it, that action's own text
  (``listing`` evidence: e.g. the UEL notice that lists parties "参与对台湾地区军售").
* an action: title, stated reasons, products, HS codes, petitioner, investigated measures
  and body, then its parties' names. Party names are blanked out of the title and body
  first, so a cue inside one party's name is reported once, as that party's, and is never
  passed on to the other parties through ``listing`` evidence.

Overrides (``analysis.sector_overrides``, a TOML file read by ``monitor.analysis.watchlist_file``)
set, add or remove a record's sectors by source and key; keys are ecmon's own and stable,
so an override survives every re-run.

Pure: the only I/O is reading the bundled taxonomy once (``taxonomy.default_taxonomy``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict

from monitor.actions import is_action
from monitor.analysis.taxonomy import (
    Cue,
    Sector,
    Taxonomy,
    default_taxonomy,
    normalise,
    parse_taxonomy,
)
from monitor.errors import ConfigError
from monitor.models import Record

MAX_EVIDENCE = 5  # per tag: enough to judge it, short enough to read
_ENTRY_FIELDS = ("name", "aliases", "name_en", "name_zh", "remarks")
_ACTION_TEXT = ("title", "reasons", "products", "petitioner", "measures_investigated", "body")
_ACTION_PARTIES = ("parties_en", "parties_zh", "party_aliases")
_MASKED = frozenset({"title", "body"})
# Action fields whose cues describe the parties as a whole, so a listed entry inherits them.
_INHERITED = frozenset({*_ACTION_TEXT, "hs_codes"})
_PLURAL = re.compile(r"s$")


@dataclass(frozen=True)
class Evidence:
    """Why a tag was given: where, what matched, by which rule."""

    field: str
    matched: str
    rule: str
    note: str = ""


@dataclass(frozen=True)
class SectorTag:
    sector: str
    evidence: tuple[Evidence, ...]


# ------------------------------------------------------------------ scanning


def scan(taxonomy: Taxonomy, field: str, text: str) -> list[tuple[str, Evidence]]:
    """Every (sector, evidence) a piece of text gives."""
    found: list[tuple[str, Evidence]] = []
    normalised = normalise(text)
    # Only the cues whose gate word the text holds are searched (a few of ~340).
    for cue in taxonomy.candidates(normalised):
        assert cue.pattern is not None
        match = cue.pattern.search(normalised)
        if match:
            found.append((cue.sector, Evidence(field, match.group(0), cue.rule, cue.note)))
    return found


def scan_hs(taxonomy: Taxonomy, field: str, codes: Iterable[str]) -> list[tuple[str, Evidence]]:
    """HS codes whose start is a taxonomy prefix (8542 covers 85423990)."""
    digits = [(code, re.sub(r"\D", "", code)) for code in codes]
    return [
        (cue.sector, Evidence(field, code, "hs", f"HS {cue.text}"))
        for cue in taxonomy.cues
        if cue.rule == "hs"
        for code, plain in digits
        if plain.startswith(cue.text)
    ]


def classify_record(
    record: Record, taxonomy: Taxonomy, listing: Record | None = None
) -> tuple[SectorTag, ...]:
    """Sector tags of a list entry or an action. ``listing`` is the action that listed
    the entry (MOFCOM ``listed_by``), whose own text then also counts."""
    if is_action(record):
        return classify_action(record, taxonomy)
    found: list[tuple[str, Evidence]] = []
    for name in _ENTRY_FIELDS:
        if name == "name_en" and record.get_text("name_en") == record.name:
            continue  # MOFCOM entries: the English name is the record name
        values = (record.name,) if name == "name" else record.get_tuple(name)
        for value in values:
            found += scan(taxonomy, name, value)
    if listing is not None:
        found += _inherited(listing, taxonomy)
    return _tags(found, taxonomy)


def classify_action(action: Record, taxonomy: Taxonomy) -> tuple[SectorTag, ...]:
    """Sector tags of an action, from its own text first and its parties' names last."""
    return _tags(_action_evidence(action, taxonomy), taxonomy)


def _action_evidence(action: Record, taxonomy: Taxonomy) -> list[tuple[str, Evidence]]:
    names = _party_names(action)
    found: list[tuple[str, Evidence]] = []
    for name in _ACTION_TEXT:
        for value in action.get_tuple(name):
            found += scan(taxonomy, name, _mask(value, names) if name in _MASKED else value)
    found += scan_hs(taxonomy, "hs_codes", action.get_tuple("hs_codes"))
    for name in _ACTION_PARTIES:
        for value in action.get_tuple(name):
            found += scan(taxonomy, name, value)
    return found


def _inherited(listing: Record, taxonomy: Taxonomy) -> list[tuple[str, Evidence]]:
    return [
        (sector, Evidence(f"{ev.field} of {listing.key}", ev.matched, "listing", ev.note))
        for sector, ev in _action_evidence(listing, taxonomy)
        if ev.field in _INHERITED
    ]


def _party_names(action: Record) -> list[str]:
    aliases = (a for joined in action.get_tuple("party_aliases") for a in joined.split("; "))
    names = {
        normalise(n) for n in (*action.get_tuple("parties_en"), *action.get_tuple("parties_zh"))
    }
    names.update(normalise(a) for a in aliases)
    return sorted((n for n in names if len(n.strip()) > 1), key=len, reverse=True)


def _mask(text: str, names: Sequence[str]) -> str:
    masked = normalise(text)
    for name in names:  # longest first, so a name inside a longer one does not split it
        masked = masked.replace(name, " " * len(name))
    return masked


def _tags(found: Iterable[tuple[str, Evidence]], taxonomy: Taxonomy) -> tuple[SectorTag, ...]:
    """Group evidence by sector (taxonomy order), one item per field and matched text."""
    grouped: dict[str, list[Evidence]] = {}
    seen: set[tuple[str, str, str]] = set()
    for sector, evidence in found:
        # "Semiconductor" and "Semiconductors" in two aliases are one piece of evidence.
        mark = (sector, evidence.field, _PLURAL.sub("", evidence.matched.casefold()))
        if mark in seen:
            continue
        seen.add(mark)
        items = grouped.setdefault(sector, [])
        if len(items) < MAX_EVIDENCE:
            items.append(evidence)
    order = {sector_id: index for index, sector_id in enumerate(taxonomy.ids())}
    return tuple(
        SectorTag(sector, tuple(items))
        for sector, items in sorted(grouped.items(), key=lambda kv: order.get(kv[0], len(order)))
    )


# ------------------------------------------------------------------ overrides


@dataclass(frozen=True)
class Override:
    """An analyst's correction of one record's sectors (``set`` replaces, ``add``/``remove``
    adjust); ``source`` None applies to the key in every source."""

    key: str
    source: str | None = None
    set: tuple[str, ...] | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    note: str = ""
    origin: str = ""


def parse_overrides(
    data: Mapping[str, object], taxonomy: Taxonomy, origin: str
) -> tuple[Override, ...]:
    """Overrides from their TOML form (``[[override]]`` tables); unknown sectors raise."""
    known = set(taxonomy.ids())
    overrides = []
    tables = data.get("override", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{origin}: 'override' must be a list of [[override]] tables")
    for index, table in enumerate(tables, start=1):
        where = f"{origin}: [[override]] #{index}"
        if not isinstance(table, dict) or not isinstance(table.get("key"), str):
            raise ConfigError(f"{where} needs a text 'key' (the record key, as in JSON output)")
        unknown_keys = set(table) - {"key", "source", "set", "add", "remove", "note"}
        if unknown_keys:
            raise ConfigError(f"{where}: unknown settings {', '.join(sorted(unknown_keys))}")
        lists = {name: _sector_list(table, name, known, where) for name in ("set", "add", "remove")}
        overrides.append(
            Override(
                key=table["key"],
                source=str(table["source"]) if "source" in table else None,
                set=lists["set"] if "set" in table else None,
                add=lists["add"],
                remove=lists["remove"],
                note=str(table.get("note", "")),
                origin=origin,
            )
        )
    return tuple(overrides)


def _sector_list(
    table: Mapping[str, object], name: str, known: set[str], where: str
) -> tuple[str, ...]:
    value = table.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {name!r} must be a list of sector ids")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise ConfigError(
            f"{where}: unknown sector {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    return tuple(value)


def apply_overrides(
    tags: Sequence[SectorTag], overrides: Iterable[Override], *, source: str, key: str
) -> tuple[SectorTag, ...]:
    """The tags after every override for (source, key), in file order."""
    result = {tag.sector: tag for tag in tags}
    for override in overrides:
        if override.key != key or override.source not in (None, source):
            continue
        proof = Evidence("override", override.note or "(no note)", "override", override.origin)
        wanted = override.set if override.set is not None else ()
        if override.set is not None:
            result = {s: t for s, t in result.items() if s in wanted}
        for sector in (*wanted, *override.add):
            old = result.get(sector)
            result[sector] = SectorTag(sector, (proof, *(old.evidence if old else ())))
        for sector in override.remove:
            result.pop(sector, None)
    return tuple(result.values())


# ------------------------------------------------------------------ output


class SectorItem(TypedDict):
    """One piece of sector evidence in JSON (the change document, links, ``ecmon sectors``)."""

    sector: str
    label: str
    field: str
    matched: str
    rule: str
    note: NotRequired[str]


def tags_to_dicts(tags: Sequence[SectorTag], taxonomy: Taxonomy) -> list[SectorItem]:
    """The JSON form: one item per piece of evidence, ``{sector, label, field, matched,
    rule}`` plus ``note`` when there is one."""
    items = []
    for tag in tags:
        for ev in tag.evidence:
            item = SectorItem(
                sector=tag.sector,
                label=taxonomy.label(tag.sector),
                field=ev.field,
                matched=ev.matched,
                rule=ev.rule,
            )
            if ev.note:
                item["note"] = ev.note
            items.append(item)
    return items


def describe(tag: SectorTag, taxonomy: Taxonomy) -> str:
    """One line: ``Semiconductors and integrated circuits: name "Microelectronics"``."""
    first = tag.evidence[0]
    more = f" (+{len(tag.evidence) - 1} more)" if len(tag.evidence) > 1 else ""
    return f"{taxonomy.label(tag.sector)}: {first.field} {first.matched!r} [{first.rule}]{more}"


def sector_ids(tags: Iterable[SectorTag]) -> tuple[str, ...]:
    return tuple(tag.sector for tag in tags)


__all__ = [
    "Cue",
    "Evidence",
    "Override",
    "Sector",
    "SectorTag",
    "Taxonomy",
    "apply_overrides",
    "classify_action",
    "classify_record",
    "default_taxonomy",
    "describe",
    "parse_overrides",
    "parse_taxonomy",
    "scan",
    "scan_hs",
    "sector_ids",
    "tags_to_dicts",
]
