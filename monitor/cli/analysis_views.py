"""Text and JSON views of the analysis commands (``ecmon links``, ``sectors``, ``screen``,
``hits``). Pure string and dict building; ``cli_analysis`` prints what these return.

Every view shows the evidence next to the claim: a link lists its scored evidence, a
sector tag its field and matched text, a hit its score and reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TypedDict, TypeVar

from monitor.analysis.chains import Chain
from monitor.analysis.identity import entity_identity
from monitor.analysis.links import (
    Event,
    EventDict,
    EvidenceDict,
    Link,
    event_dict,
    evidence_dicts,
)
from monitor.analysis.sectors import SectorItem, SectorTag, Taxonomy, tags_to_dicts
from monitor.analysis.watchlist import Hit, display_name
from monitor.models import Record
from monitor.store.analysis import StoredHit

_INDENT = "        "
H = TypeVar("H", Hit, StoredHit)


def to_json(document: object) -> str:
    """One of the documents below (or a list or dict of them), as the commands print it."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


class ResponseDict(TypedDict):
    response: EventDict
    days: int
    score: float
    evidence: list[EvidenceDict]


class TriggerDict(TypedDict):
    trigger: EventDict
    responses: list[ResponseDict]


class ChainStepDict(TypedDict):
    action: EventDict
    verb: str
    term: str
    days: int | None
    evidence: str


class ChainDict(TypedDict):
    root_key: str
    root: EventDict | None
    steps: list[ChainStepDict]
    problems: list[str]


class LinksDocument(TypedDict):
    """``ecmon links --format json``."""

    query: dict[str, object]
    links: list[TriggerDict]
    chains: list[ChainDict]


class SectorRecordDict(TypedDict):
    source: str
    key: str
    list: str
    name: str
    country: str
    sectors: list[SectorItem]


class SectorsDocument(TypedDict):
    """``ecmon sectors --format json``."""

    taxonomy_version: str
    records: list[SectorRecordDict]


class AdhocHitDict(TypedDict):
    """A hit as ``ecmon screen --name`` shows it."""

    source: str
    key: str
    list: str
    name: str
    country: str
    score: float
    reason: str
    entity: str  # shared by one party's records on several lists (``analysis.identity``)


class HitDict(AdhocHitDict):
    """A stored hit (``ecmon screen``, ``ecmon hits``): its id, status and decision too."""

    id: int
    status: str
    ref: str
    watch_name: str
    present: bool
    first_seen_at: str
    last_seen_at: str
    decided_at: str | None
    decision_note: str


# ------------------------------------------------------------------ links


def links_document(
    links: Sequence[Link],
    chains: Sequence[Chain],
    taxonomy: Taxonomy,
    query: Mapping[str, object],
) -> LinksDocument:
    """Triggers with their responses (best first), then the chains."""
    triggers: dict[str, TriggerDict] = {}
    for link in links:
        entry = triggers.setdefault(
            link.trigger.key, {"trigger": event_dict(link.trigger, taxonomy), "responses": []}
        )
        entry["responses"].append(
            {
                "response": event_dict(link.response, taxonomy),
                "days": link.days,
                "score": link.score,
                "evidence": evidence_dicts(link),
            }
        )
    return {
        "query": {k: v for k, v in query.items() if v is not None},
        "links": list(triggers.values()),
        "chains": [_chain_dict(chain, taxonomy) for chain in chains],
    }


def _chain_dict(chain: Chain, taxonomy: Taxonomy) -> ChainDict:
    return {
        "root_key": chain.root_key,
        "root": event_dict(chain.root, taxonomy) if chain.root else None,
        "steps": [
            {
                "action": event_dict(step.action, taxonomy),
                "verb": step.verb,
                "term": step.term,
                "days": step.days,
                "evidence": step.evidence,
            }
            for step in chain.steps
        ],
        "problems": list(chain.problems),
    }


def links_text(links: Sequence[Link], chains: Sequence[Chain], window_days: int) -> str:
    lines = [f"Countermeasure links (a response 1-{window_days} days after its trigger)", ""]
    if not links:
        lines += ["  none found", ""]
    current = ""
    for link in links:
        if link.trigger.key != current:
            current = link.trigger.key
            lines += _trigger_lines(link.trigger)
        lines += _response_lines(link)
    lines += ["", "Chains (a later notice acting on an earlier one)", ""]
    if not chains:
        lines.append("  none found")
    for chain in chains:
        lines += _chain_lines(chain)
    return "\n".join(lines).rstrip() + "\n"


def _trigger_lines(event: Event) -> list[str]:
    lines = [f"{event.date}  {event.title}  [{event.key}]"]
    lines += [f"            {note}" for note in event.notes]
    if event.sector_counts:
        counts = ", ".join(f"{sector} x{n}" for sector, n in event.sector_counts)
        lines.append(f"            sectors: {counts}")
    return lines


def _response_lines(link: Link) -> list[str]:
    noun = "day" if link.days == 1 else "days"
    response = link.response
    label = response.title if response.instrument in response.title else response.instrument
    head = f"  -> {response.date} (+{link.days} {noun})  score {link.score:.2f}  {label}"
    lines = [head]
    if label != response.title:
        lines.append(f"{_INDENT}{response.title}")
    lines += [f"{_INDENT}{e.kind:<10} {e.text}" for e in link.evidence]
    return lines


def _chain_lines(chain: Chain) -> list[str]:
    root = chain.root
    head = (
        f"{root.date}  {root.instrument or root.title}" if root else f"(not held)  {chain.root_key}"
    )
    lines = [head + (f"  ({root.kind.replace('_', ' ')})" if root else "")]
    for step in chain.steps:
        after = f" (+{step.days} days)" if step.days is not None else ""
        term = f" {step.term}" if step.term else ""
        verb = step.verb.replace("_", " ")
        lines.append(f"  -> {step.action.date}{after}  {verb}{term}: {step.action.title}")
        if step.evidence:
            lines.append(f"{_INDENT}names it: \u201c{step.evidence}\u201d")
    lines += [f"  ! {problem}" for problem in chain.problems]
    return [*lines, ""]


# ------------------------------------------------------------------ sectors


def sectors_text(
    rows: Sequence[tuple[str, Record, tuple[SectorTag, ...]]], taxonomy: Taxonomy
) -> str:
    lines = []
    for source, record, tags in rows:
        lines.append(f"{display_name(record)} [{record.country or '??'}] ({source}, {record.key})")
        if not tags:
            lines.append(f"{_INDENT}no sector: no cue of the taxonomy in its names or listing")
        for tag in tags:
            lines.append(f"{_INDENT}{taxonomy.label(tag.sector)} ({tag.sector})")
            for ev in tag.evidence:
                note = f"  -- {ev.note}" if ev.note else ""
                lines.append(f"{_INDENT}  {ev.field}: {ev.matched!r} [{ev.rule}]{note}")
    return "\n".join(lines) + "\n" if lines else "No records match.\n"


def sectors_document(
    rows: Sequence[tuple[str, Record, tuple[SectorTag, ...]]], taxonomy: Taxonomy
) -> SectorsDocument:
    return {
        "taxonomy_version": taxonomy.version,
        "records": [
            {
                "source": source,
                "key": record.key,
                "list": record.list_name,
                "name": display_name(record),
                "country": record.country,
                "sectors": tags_to_dicts(tags, taxonomy),
            }
            for source, record, tags in rows
        ],
    }


def taxonomy_text(taxonomy: Taxonomy) -> str:
    lines = [f"Sector taxonomy {taxonomy.version} (monitor/data/sectors.toml)", ""]
    for sector in taxonomy.sectors:
        cues = [c for c in taxonomy.cues if c.sector == sector.id]
        counts = {
            rule: sum(1 for c in cues if c.rule == rule) for rule in sorted({c.rule for c in cues})
        }
        shown = ", ".join(f"{n} {rule}" for rule, n in counts.items())
        lines.append(f"{sector.id:<22} {sector.name} / {sector.name_zh}  ({shown})")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ hits


def hit_dict(stored: StoredHit) -> HitDict:
    hit = stored.hit
    return {
        "id": stored.id,
        "status": stored.status,
        "ref": hit.ref,
        "watch_name": hit.watch_name,
        **adhoc_hit_dict(hit),
        "present": stored.present,
        "first_seen_at": stored.first_seen_at,
        "last_seen_at": stored.last_seen_at,
        "decided_at": stored.decided_at,
        "decision_note": stored.decision_note,
    }


def adhoc_hit_dict(hit: Hit) -> AdhocHitDict:
    """What a hit says of the record it found (``ecmon screen --name`` shows only this;
    ``hit_dict`` adds the stored hit's id, status and decision around it)."""
    return {
        "source": hit.source,
        "key": hit.key,
        "list": hit.list_name,
        "name": hit.record_name,
        "country": hit.country,
        "score": hit.score,
        "reason": hit.reason,
        "entity": entity_identity(hit.key),
    }


def adhoc_hits_text(hits: Sequence[Hit]) -> str:
    if not hits:
        return "No hits.\n"
    lines = []
    for group in _by_entity(sorted(hits, key=lambda h: (-h.score, h.source, h.key))):
        lines += _entity_line(group, "  ")
        for hit in group:
            lines.append(
                f"  {hit.score:.3f}  {hit.source}  {hit.record_name} [{hit.country or '??'}]"
                f" ({hit.list_name})"
            )
            lines.append(f"{_INDENT}{hit.reason}")
    return "\n".join(lines) + "\n"


def _by_entity(hits: Sequence[H]) -> list[list[H]]:
    """Hits grouped by the entity of their record, in the order of each group's first hit:
    one party on several lists (MFA, UEL, ECL, BIS) is one entity."""
    groups: dict[str, list[H]] = {}
    for item in hits:
        hit = item.hit if isinstance(item, StoredHit) else item
        identity = entity_identity(hit.key) or f"{hit.source}:{hit.key}"
        groups.setdefault(f"{hit.ref}\0{identity}", []).append(item)
    return list(groups.values())


def _entity_line(group: Sequence[Hit | StoredHit], indent: str) -> list[str]:
    """The line that says a group of hits is one entity (none for a single hit)."""
    if len(group) < 2:
        return []
    hits = [g.hit if isinstance(g, StoredHit) else g for g in group]
    lists = ", ".join(dict.fromkeys(h.list_name for h in hits))
    first = hits[0]
    return [f"{indent}one entity on {len(hits)} lists ({lists}): {first.record_name}"
            f" [{first.country or '??'}]"]  # fmt: skip


def hits_text(hits: Sequence[StoredHit]) -> str:
    if not hits:
        return "No hits.\n"
    lines = []
    current = ""
    ordered = sorted(hits, key=lambda h: (h.hit.ref, -h.hit.score, h.id))
    for group in _by_entity(ordered):
        for stored in group:
            hit = stored.hit
            if hit.ref != current:
                current = hit.ref
                lines += ["", f"{hit.ref}  {hit.watch_name}"]
            if stored is group[0]:
                lines += _entity_line(group, "  ")
            gone = "" if stored.present else "  (no longer found)"
            lines.append(
                f"  #{stored.id:<4} {hit.score:.3f}  {stored.status:<9}  {hit.source}  "
                f"{hit.record_name} [{hit.country or '??'}] ({hit.list_name}){gone}"
            )
            lines.append(f"{_INDENT}{hit.reason}")
            if stored.decided_at and stored.status != "new":
                note = f": {stored.decision_note}" if stored.decision_note else ""
                lines.append(f"{_INDENT}{stored.status} {stored.decided_at}{note}")
    return "\n".join(lines).lstrip("\n") + "\n"
