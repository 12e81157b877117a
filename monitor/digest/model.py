"""The digest model: one plain dict (declared in ``monitor.digest.types``) built from
the change document, the stored actions and the sources' health. Pure: no clock,
store or network (``now`` is passed in).

Every digest format (text, HTML, Markdown, JSON, the Atom feed) renders this one
dict, so they all say the same thing. Shape (``build_model``)::

    headline      counts by list, country and sector; watchlist hits counted first
    hits          entities with watchlist hits (empty until watchlists are configured)
    groups        new listings grouped by the action that made them: the FR rule
                  (``change["attribution"]``), the MOFCOM announcement (``listed_by``),
                  else honestly by the start date the source states
    modifications field-level before/after;  removals
    actions       rules and announcements published or changed, parties in 中文 (English)
    timeline      linked actions across jurisdictions (trigger -> responses, evidence)
    health        failing, suspect or stale sources

Sectors, watchlist hits and links are optional inputs (``change["sectors"]``,
``change["hits"]``, ``doc["links"]``): shown when present, never required. Their shapes
are declared in ``monitor.changeset`` and read by name.
The same entity reported by two sources (the CSL and the eCFR) is one entry with both
sources named: a reader counts entities, not feed rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from monitor.changeset import ChangeDict, ChangesDocument
from monitor.digest import actions as acts
from monitor.digest import chain
from monitor.digest import entities as ents
from monitor.digest.entities import LIST_LABELS
from monitor.digest.types import (
    ActionSummary,
    CountryCount,
    DigestModel,
    Entity,
    Group,
    Headline,
    Health,
    HealthEntry,
    ListCount,
    Period,
    Problem,
    Reviewed,
    SectorCount,
)
from monitor.models import RecordDict, SourceStatus, utc_iso

MODEL_VERSION = "1"
STALE_AFTER = timedelta(days=3)


def build_model(
    doc: ChangesDocument,
    *,
    actions: Mapping[str, RecordDict],
    statuses: Sequence[SourceStatus],
    source_titles: Mapping[str, str],
    period: Period,
    generated_at: datetime,
    stale_after: timedelta = STALE_AFTER,
    reviewed: Sequence[Reviewed] = (),
    identities: Mapping[int, str] | None = None,
) -> DigestModel:
    """The digest of ``doc`` (``changeset.changes_document``).

    ``actions`` maps action keys to stored action records (``Record.to_dict``), so a
    listing names the announcement behind it even when that was published earlier.
    ``period`` describes what the digest covers (label, since, change id range).
    ``reviewed``: held snapshots accepted by a person whose changes the digest shows.
    ``identities``: each change's identity by id when already known (``actions.identities_of``
    of the stored changes); the same as computing it from the document's records.
    """
    changes = list(doc["changes"])
    known = {**actions, **{c["key"]: acts.record_of(c) for c in changes if _is_action(c)}}
    entities = _merge_entities([c for c in changes if not _is_action(c)], source_titles, identities)
    added = [e for e in entities if e["kind"] == "added"]
    action_items = [acts.action_summary(acts.record_of(c), c) for c in changes if _is_action(c)]
    action_items.sort(key=lambda a: (a["jurisdiction"] != "US", a["published"], a["key"]))
    links = doc.get("links", [])
    timeline = acts.timeline(links, known)
    for entry in timeline:
        key = entry["trigger"]["key"]
        entry["summary"] = chain.chain_line([k for k in links if k["trigger"]["key"] == key], known)
    health = _health(statuses, source_titles, generated_at, stale_after)
    health["reviewed"] = [r.copy() for r in reviewed]
    groups = _groups(added, known)
    grouped = {g["action"]["key"] for g in groups if g["action"]}
    for item in action_items:  # its parties are the listings shown under New listings
        item["listed_above"] = item["key"] in grouped
    return {
        "model_version": MODEL_VERSION,
        "generated_at": utc_iso(generated_at),
        "period": period,
        "empty": not entities and not action_items,
        "headline": _headline(entities, action_items),
        "hits": [e for e in entities if e["hits"]],
        "groups": groups,
        "modifications": [e for e in entities if e["kind"] == "modified"],
        "removals": [e for e in entities if e["kind"] == "removed"],
        "actions": action_items,
        "timeline": timeline,
        "health": health,
        "sources": [s.copy() for s in doc["sources"]],
    }


def health_key(model: DigestModel) -> str:
    """What changes when a source starts or stops failing (not its churning error text):
    a digest is worth sending for a change of health alone, but not for each run of it."""
    return ",".join(f"{p['source']}:{p['state']}" for p in model["health"]["problems"])


def filter_document(
    doc: ChangesDocument,
    *,
    lists: Iterable[str] = (),
    countries: Iterable[str] = (),
    sectors: Iterable[str] = (),
) -> ChangesDocument:
    """``doc`` with only the changes a recipient asked for (an empty filter keeps all).

    ``lists`` matches a list code (``el``, ``ecl``, ``uel``...) or a source name; an
    action passes when it concerns a wanted list (``actions.lists_concerned``: it makes
    listings on it, names it, or is its keeper's answer to a listing, such as MOFCOM's
    investigations answering BIS additions for ``ecl``/``uel``), or ``action`` is asked for.
    ``countries`` matches an entity's country, an action's jurisdiction or a party's
    country. ``sectors`` matches any sector tag. An action stays when a kept listing
    refers to it, so a recipient always sees why an entity was listed.
    """
    want_lists = {v.casefold() for v in lists}
    want_countries = {v.upper() for v in countries}
    want_sectors = {v.casefold() for v in sectors}
    answering = acts.answering_listings(doc.get("links", []))

    def keep(change: ChangeDict) -> bool:
        return (
            (not want_lists or bool(_list_codes(change, answering) & want_lists))
            and (not want_countries or bool(_countries(change) & want_countries))
            and (not want_sectors or bool(_sector_names(change) & want_sectors))
        )

    kept = [c for c in doc["changes"] if keep(c)]
    referenced = {ref for c in kept for ref in _action_refs(c)}
    chosen = {id(c) for c in kept}
    changes = [
        c for c in doc["changes"] if id(c) in chosen or (_is_action(c) and c["key"] in referenced)
    ]
    # A link stays when one of its ends is a kept action, or a group of list additions
    # with a kept member: who watches the Entity List sees the responses to it.
    ends = {c["key"] for c in changes if _is_action(c)}
    ends |= {f"{c['source']}:{c['key']}" for c in kept}
    links = [link for link in doc.get("links", []) if acts.link_keys(link) & ends]
    return {**doc, "changes": changes, "links": links}


def subject(model: DigestModel, prefix: str) -> str:
    """The mail subject: hits, the linked chain when there is one, then counts; ecmon's
    own words only, never source text (nothing to inject into a header)."""
    head = model["headline"]
    front = (
        [f"{head['hits']} WATCHLIST HIT{'S' if head['hits'] != 1 else ''}"] if head["hits"] else []
    )
    chains = [t["summary"] for t in model["timeline"] if t["summary"]]
    if chains:  # the most recent trigger's chain; the others counted
        more = f" (+{len(chains) - 1} more chain{'s' if len(chains) > 2 else ''})"
        front.append(chain.subject_line(chains[-1]) + (more if len(chains) > 1 else ""))
    bits: list[str] = []
    for count, word in ((head["added"], "new listing"), (head["modified"], "modified")):
        if count:
            bits.append(f"{count} {word}{'s' if count != 1 and word == 'new listing' else ''}")
    if head["removed"]:
        bits.append(f"{head['removed']} removed")
    if head["actions"]:
        bits.append(f"{head['actions']} action{'s' if head['actions'] != 1 else ''}")
    if model["health"]["problems"]:
        bits.append(f"{len(model['health']['problems'])} source problem(s)")
    text = "; ".join(filter(None, (*front, ", ".join(bits)))) or "no changes"
    # ASCII only: a non-ASCII subject is sent as encoded words, which some clients show
    # with stray spaces where the header was folded.
    return f"{prefix} {text} - {model['generated_at'][:10]}".strip()


# ---------------------------------------------------------------- entities


def _is_action(change: ChangeDict) -> bool:
    return change["list"] == "action"


def _merge_entities(
    changes: Sequence[ChangeDict],
    source_titles: Mapping[str, str],
    identities: Mapping[int, str] | None = None,
) -> list[Entity]:
    merged: dict[tuple[str, str, str], Entity] = {}
    for change in changes:
        slot = (change["kind"], change["list"], change["key"])
        if slot not in merged:
            merged[slot] = ents.entity(change)
        title = source_titles.get(change["source"], change["source"])
        ents.absorb(merged[slot], change, title, identities)
    return sorted(merged.values(), key=lambda e: (e["name"].casefold(), e["list"], e["key"]))


def _groups(added: Sequence[Entity], actions: Mapping[str, RecordDict]) -> list[Group]:
    groups: dict[str, Group] = {}
    for item in added:
        group_id, make = ents.group_for(item, actions)
        groups.setdefault(group_id, make())["entities"].append(item.copy())  # lifted below
    for group in groups.values():
        ents.lift_shared(group)
    return sorted(groups.values(), key=lambda g: (g["date"], g["id"]), reverse=True)


def _headline(entities: Sequence[Entity], actions: Sequence[ActionSummary]) -> Headline:
    by_list: dict[str, Counter[str]] = {}
    for item in entities:
        by_list.setdefault(item["list"], Counter())[item["kind"]] += 1
    countries = Counter(item["country"] or "??" for item in entities)
    sectors = Counter(s["name"] for item in entities for s in item["sectors"])
    kinds = Counter(item["kind"] for item in entities)
    return {
        "hits": sum(1 for item in entities if item["hits"]),
        "added": kinds["added"],
        "modified": kinds["modified"],
        "removed": kinds["removed"],
        "actions": len(actions),
        "by_list": [
            ListCount(
                list=code,
                label=LIST_LABELS.get(code, code.upper()),
                total=sum(counts.values()),
                added=counts["added"],
                modified=counts["modified"],
                removed=counts["removed"],
            )
            for code, counts in sorted(
                by_list.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])
            )
        ],
        "by_country": [CountryCount(country=k, count=n) for k, n in _ranked(countries)],
        "by_sector": [SectorCount(sector=k, count=n) for k, n in _ranked(sectors)],
    }


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# ------------------------------------------------------------------ health


def _health(
    statuses: Sequence[SourceStatus],
    titles: Mapping[str, str],
    now: datetime,
    stale_after: timedelta,
) -> Health:
    problems: list[Problem] = []
    healthy: list[HealthEntry] = []
    for status in statuses:
        if not status.enabled:
            continue
        # The daemon's alert state (monitor.store.alerts): "broken" while alerted, or
        # "recovered" when it came back since the last digest; "" otherwise.
        entry = HealthEntry(
            source=status.source,
            title=titles.get(status.source, status.source),
            alert=status.details.get("alert", ""),
            alert_since=status.details.get("alert_since", ""),
        )
        found = _problem(status, now, stale_after)
        if found is None:
            healthy.append(entry)
        else:
            state, detail = found
            last_good = status.last_success_at or "never"
            problems.append(Problem(**entry, state=state, detail=detail, last_success_at=last_good))
    return {"problems": problems, "healthy": healthy, "reviewed": []}


def _problem(status: SourceStatus, now: datetime, stale_after: timedelta) -> tuple[str, str] | None:
    """(state, detail) of a source with a problem, else None."""
    if status.last_outcome == "suspect":
        return "suspect", status.suspect_reason or status.last_error or "held as suspect"
    if status.last_outcome == "failed" or status.consecutive_failures:
        runs = f"{status.consecutive_failures} failed run(s) in a row"
        return "failing", f"{runs}: {status.last_error}" if status.last_error else runs
    if status.last_success_at is None:
        return "stale", "has never run"
    age = now - datetime.fromisoformat(status.last_success_at)
    if age > stale_after:
        return "stale", f"no good run for {age.days} day(s)"
    return None


# ----------------------------------------------------------------- filters


def _list_codes(change: ChangeDict, answering: set[str]) -> set[str]:
    codes = {change["list"].casefold(), change["source"].casefold()}
    if _is_action(change):
        codes |= acts.lists_concerned(acts.record_of(change), change["key"] in answering)
    return codes


def _countries(change: ChangeDict) -> set[str]:
    record = acts.record_of(change)
    found = {(change["country"] or "").upper()}
    if _is_action(change):
        found |= {c.upper() for c in acts.texts(record["fields"].get("party_countries"))}
    return found - {""}


def _sector_names(change: ChangeDict) -> set[str]:
    tags = acts.sectors(change.get("sectors"))
    return {s["name"].casefold() for s in tags} | {s["id"].casefold() for s in tags}


def _action_refs(change: ChangeDict) -> set[str]:
    """The action keys a change refers to: its listing action, status action, rule."""
    fields = acts.record_of(change)["fields"]
    refs = {str(fields.get("listed_by") or ""), str(fields.get("status_action") or "")}
    if change["attribution"]:
        refs.add(change["attribution"]["action_key"])
    return refs - {""}
