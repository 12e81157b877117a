"""Events for countermeasure links, built from records (the model and the rules are in
``monitor.analysis.links``'s docstring).

* ``action_event``: one action record, dated (earliest of announced / published /
  effective for a US rule; the publication day for a Chinese act).
* ``addition_events``: BIS list additions grouped by list and announcement day into
  derived events ("BIS Entity List additions of 2025-09-12: 11 entities (CN 9, HK 2)").
* ``fold_groups``: a group whose citations point at an FR rule we hold joins that rule; so
  does a group every member of which a rule names among its parties (a rule on public
  inspection has no pages yet, but its raw text names the entries the lists then add).
* ``build_events``: all of it, split into triggers (US) and responses (everything else).

Pure: no clock, network or database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from monitor.actions import is_action
from monitor.analysis.attribution import attribute, naming_actions
from monitor.analysis.links import RESPONSE_KINDS, Event, ListAddition, days_between
from monitor.analysis.sectors import MAX_EVIDENCE, Evidence, SectorTag
from monitor.keys import fold_name
from monitor.models import Record

# Sector tags of a record of a source (the source matters to sector overrides).
Tagger = Callable[[str, Record], tuple[SectorTag, ...]]

TRIGGER_KINDS = frozenset({"entity_list_rule", "end_user_rule", "public_inspection"})
LIST_TITLES = {
    "el": "Entity List",
    "meu": "Military End-User List",
    "uvl": "Unverified List",
    "dpl": "Denied Persons List",
}


def action_event(source: str, action: Record, tags: Tagger) -> Event | None:
    """The event of one action record; None when it has no date."""
    dated = _action_date(action)
    if dated is None:
        return None
    date, basis = dated
    parties = (*action.get_tuple("parties_en"), *action.get_tuple("parties_zh"))
    countries = [*action.get_tuple("party_countries")]
    countries += [c.partition("=")[0] for c in action.get_tuple("country_counts")]
    text_fields = (
        "title",
        "reasons",
        "products",
        "measures_investigated",
        "body",
        "dates",
        "trigger_dates",
    )
    return Event(
        key=action.key,
        jurisdiction=action.get_text("jurisdiction") or action.country,
        kind=action.get_text("kind"),
        date=date,
        date_basis=basis,
        title=action.name,
        instrument=action.get_text("instrument"),
        url=action.get_text("url"),
        sectors=tags(source, action),
        parties=tuple(p for p in parties if p.strip()),
        countries=tuple(sorted({c for c in countries if c})),
        text="\n".join(t for f in text_fields for t in action.get_tuple(f)),
        answers=action.get_tuple("triggers"),
    )


def may_respond(action: Record) -> bool:
    """Whether ``action`` can be the response of a link: ``links.find_links`` pairs
    triggers only with the events of non-US actions of a responding kind, and an action
    without a date is no event (``action_event``). Read from the record alone (no tags)."""
    return (
        is_action(action)
        and (action.get_text("jurisdiction") or action.country) != "US"
        and action.get_text("kind") in RESPONSE_KINDS
        and _action_date(action) is not None
    )


def _action_date(action: Record) -> tuple[str, str] | None:
    dates = [(action.get_text(n)[:10], n) for n in ("announced", "published", "effective")]
    known = [(d, n) for d, n in dates if len(d) == 10]
    if not known:
        return None
    if action.get_text("jurisdiction") == "CN" and action.get_text("published"):
        # A Chinese act answers when it is published; its effective date may be later.
        return action.get_text("published")[:10], "published"
    return min(known)


def addition_events(
    additions: Sequence[ListAddition], tags: Tagger, tagged: Collection[str] | None = None
) -> list[Event]:
    """Derived events: additions grouped by list and date; eCFR entries join the CSL
    group of the same key (``fold_groups`` then merges groups a rule explains).
    ``tagged``: the event keys whose members are tagged (None: every group's)."""
    dated = {(a.record.list_name, a.record.key): a for a in additions if a.basis.startswith("CSL")}
    groups: dict[tuple[str, str, str], list[ListAddition]] = {}
    # Each group's member keys: a set, as a baseline's day can hold thousands of entries.
    keys: dict[tuple[str, str, str], set[str]] = {}
    for addition in additions:
        primary = dated.get((addition.record.list_name, addition.record.key), addition)
        group_key = (addition.record.list_name, primary.date, primary.basis)
        members = groups.setdefault(group_key, [])
        known = keys.setdefault(group_key, set())
        if addition.record.key not in known:
            known.add(addition.record.key)
            members.append(addition)
    return [
        _group_event(
            list_name,
            date,
            basis,
            members,
            tags if tagged is None or _group_key(list_name, date) in tagged else _untagged,
        )
        for (list_name, date, basis), members in sorted(groups.items())
        if len(date) == 10
    ]


def _group_key(list_name: str, date: str) -> str:
    return f"us:{list_name}-additions:{date}"


def _untagged(source: str, record: Record) -> tuple[SectorTag, ...]:
    return ()


def _group_event(
    list_name: str, date: str, basis: str, members: Sequence[ListAddition], tags: Tagger
) -> Event:
    countries = Counter(m.record.country or "??" for m in members)
    spread = ", ".join(
        f"{c} {n}" for c, n in sorted(countries.items(), key=lambda i: (-i[1], i[0]))
    )
    found: dict[str, list[Evidence]] = {}
    counts: Counter[str] = Counter()
    for member in members:
        for tag in tags(member.source, member.record):
            counts[tag.sector] += 1
            items = found.setdefault(tag.sector, [])
            first = tag.evidence[0]
            if len(items) < MAX_EVIDENCE:
                entry = f"{first.field} of {member.record.name}"
                items.append(Evidence(entry, first.matched, first.rule, first.note))
    title = LIST_TITLES.get(list_name, list_name.upper())
    noun = "entity" if len(members) == 1 else "entities"
    return Event(
        key=_group_key(list_name, date),
        jurisdiction="US",
        kind=f"{list_name}_additions",
        date=date,
        date_basis=basis,
        title=f"BIS {title} additions of {date}: {len(members)} {noun} ({spread})",
        sectors=tuple(SectorTag(s, tuple(e)) for s, e in found.items()),
        sector_counts=tuple(counts.most_common()),
        parties=tuple(m.record.name for m in members),
        countries=tuple(sorted(countries)),
        derived=True,
        members=tuple(f"{m.source}:{m.record.key}" for m in members),
        notes=(f"derived from list entries; dated by {basis}",),
    )


def fold_groups(
    groups: Sequence[Event],
    additions: Sequence[ListAddition],
    rules: Sequence[Record],
    rule_events: Sequence[Event],
) -> tuple[list[Event], list[Event]]:
    """Groups whose members' citations fall within a rule we hold are merged into that
    rule's event (members, sectors, countries). Returns (groups left, rule events)."""
    by_rule: dict[str, list[Event]] = {}
    left = []
    citations = {f"{a.source}:{a.record.key}": a.record.get_tuple("citations") for a in additions}
    named = naming_actions(rules)
    for group in groups:
        cited = [c for m in group.members for c in citations.get(m, ())]
        found = attribute(cited, rules) if cited and rules else None
        key = found.action.key if found else _naming_rule(group, named)
        if key is None:
            left.append(group)
        else:
            by_rule.setdefault(key, []).append(group)
    merged = [_absorb(event, by_rule.get(event.key, [])) for event in rule_events]
    return left, merged


def _naming_rule(group: Event, named: Mapping[str, Record]) -> str | None:
    """The one rule that names every party of the group, if there is one (``named``:
    ``attribution.naming_actions`` of the rules)."""
    if not named:
        return None
    keys = set()
    for name in group.parties:
        found = named.get(fold_name(name))
        keys.add(found.key if found else None)
    key = keys.pop() if len(keys) == 1 else None
    return key


def _absorb(event: Event, groups: Sequence[Event]) -> Event:
    if not groups:
        return event
    known = {t.sector for t in event.sectors}
    extra = tuple(t for g in groups for t in g.sectors if t.sector not in known)
    counts: Counter[str] = Counter(dict(event.sector_counts))
    for group in groups:
        counts.update(dict(group.sector_counts))
    return replace(
        event,
        sectors=(*event.sectors, *extra),
        sector_counts=tuple(counts.most_common()),
        parties=(*event.parties, *(p for g in groups for p in g.parties)),
        countries=tuple(sorted({*event.countries, *(c for g in groups for c in g.countries)})),
        members=tuple(m for g in groups for m in g.members),
        notes=(*event.notes, *(f"includes {g.title}" for g in groups)),
    )


def build_events(
    actions: Iterable[tuple[str, Record]],
    additions: Sequence[ListAddition],
    tags: Tagger,
    window_days: int | None = None,
) -> tuple[list[Event], list[Event]]:
    """(triggers, responses) from every (source, action) we hold and the BIS list
    additions. Triggers are US rules and derived groups; responses all non-US actions
    (``linkage.find_links`` keeps those of a responding kind).

    With ``window_days``, only the groups that can matter are tagged: those a rule
    absorbs and those dated within the window before a response. Every other group
    (most of a list's baseline) can link to nothing, so tagging its members, thousands
    of records, would change no link and no chain.
    """
    held = [(source, a) for source, a in actions if is_action(a)]
    events = {a.key: e for s, a in held if (e := action_event(s, a, tags)) is not None}
    rules = [a for _, a in held if a.get_text("kind") in TRIGGER_KINDS]
    rule_events = [events[r.key] for r in rules if r.key in events]
    responses = [e for e in events.values() if e.jurisdiction != "US"]
    tagged = None
    if window_days is not None:
        tagged = _groups_that_matter(additions, rules, rule_events, responses, window_days)
    groups, merged = fold_groups(
        addition_events(additions, tags, tagged), additions, rules, rule_events
    )
    return [*merged, *groups], responses


def _groups_that_matter(
    additions: Sequence[ListAddition],
    rules: Sequence[Record],
    rule_events: Sequence[Event],
    responses: Sequence[Event],
    window_days: int,
) -> set[str]:
    """Keys of the groups a rule absorbs or a response can follow (see ``build_events``)."""
    plain = addition_events(additions, _untagged)
    left, _ = fold_groups(plain, additions, rules, rule_events)
    unfolded = {id(g) for g in left}
    kept = {g.key for g in plain if id(g) not in unfolded}
    answers = [r.date for r in responses if r.kind in RESPONSE_KINDS and r.jurisdiction != "US"]
    for group in left:
        gaps = (days_between(group.date, date) for date in answers)
        if any(gap is not None and 1 <= gap <= window_days for gap in gaps):
            kept.add(group.key)
    return kept


def all_events(triggers: Iterable[Event], responses: Iterable[Event]) -> dict[str, Event]:
    """Events by key (what ``linkage_chains.find_chains`` looks targets up in)."""
    return {e.key: e for e in (*triggers, *responses)}
