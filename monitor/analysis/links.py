"""Countermeasure links: which action answers which, with a score and the evidence.

Pure: no clock, network or database. Inputs are action records (``monitor.actions``),
BIS list additions and a function giving each record's sector tags (``monitor.analysis.sectors``).

**Events.** A link joins two events. An *action event* is one action record. A US rule
is dated by the earliest of its announced / published / effective dates (it is public
from its public-inspection day or press release, which may precede both publication and
the effective date); a Chinese act by its publication (发文日期), since that is when it
answers, whatever date it takes effect. An action without any date cannot be placed in
time and is left out.
A *derived event* stands for a BIS list change that has no Federal Register document
among our records: the additions to one BIS list announced on one day, e.g. "BIS Entity
List additions of 2025-09-12: 11 entities (CN 9, HK 2)". It is dated by the entries'
CSL ``start_date`` (the announcement day); eCFR additions join the group of the same key,
and eCFR-only additions are grouped by the date the eCFR text is valid for (publication,
later than the announcement). When the members' citations point at an FR rule we hold
(``attribution.attribute``), the group is folded into that rule's event instead, so one
BIS act is one trigger whichever way we learned of it.

**Links.** A trigger (a US event) and a response (a Chinese listing, measure,
investigation or countermeasure) are linked when the response comes 1 to
``window_days`` days after the trigger and the score reaches ``MIN_SCORE`` with at least
one piece of substance (shared sector, explicit reference or named party): the time
window alone never links. A response that states what it answers (an MFA decision's
``triggers``) is linked only when that is a US sanction or listing (``LISTING_ANSWERS``):
one answering an arms sale to Taiwan is not a reply to a BIS rule of the same fortnight.
Same-day responses are not linked: Beijing is 12-13 hours ahead of Washington, so a
Chinese act dated the same calendar day as a US announcement was almost always published
before it. Score parts (weights sum to 1):

  time       0.25 x closeness (1 day after: full; the last day of the window: little)
  sectors    0.30 when a sector is shared (both sides' evidence is shown)
  reference  0.25 when the response names the trigger's instrument or its date (an MFA
             decision's "12月9日，美方…"), the Entity List (not 不可靠实体清单), US
             export-control rules, Section 301, chips, or US sanctions on Chinese parties,
             or when both state the same ground (Russia / 涉俄)
  parties    0.10 when a party of one is named by the other
  country    0.10 when the trigger targets the responder's country and the response
             targets the trigger's

**Chains.** An action that suspends, continues, stops or otherwise acts on an earlier
notice names it (``refers_to`` and ``verbs`` from the sources); each such step is kept
with the clause of its text that names the target (see ``linkage_chains``).

Modules: this one holds the model and the link scoring; ``linkage_events`` builds the
events from records; ``linkage_chains`` follows notices acting on notices.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypedDict

from monitor.analysis.sectors import SectorItem, SectorTag, Taxonomy, tags_to_dicts
from monitor.keys import fold_name
from monitor.models import Record

DEFAULT_WINDOW_DAYS = 14
MIN_SCORE = 0.5
WEIGHTS = {"time": 0.25, "sectors": 0.30, "reference": 0.25, "parties": 0.10, "country": 0.10}
RESPONSE_KINDS = frozenset(
    {
        "ecl_addition",
        "uel_addition",
        "uel_measure",
        "countermeasure",
        "anti_dumping",
        "anti_discrimination",
        "export_control_measure",
    }
)
# Explicit references a response can make to US measures. The Entity List pattern skips
# 不可靠实体清单 (China's own list); the export-control pattern needs US rules, not China's
# Export Control Law (出口管制法) that every ECL notice cites.
REFERENCES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Entity List", re.compile(r"(?<!不可靠)实体清单|Entity List", re.IGNORECASE)),
    (
        "US export controls",
        re.compile(
            r"出口管制规则|美[国方][^。；]{0,40}出口管制|US export controls?", re.IGNORECASE
        ),
    ),
    ("Section 301", re.compile(r"301\s*(?:调查|条款|关税)|Section 301", re.IGNORECASE)),
    ("CHIPS Act", re.compile(r"芯片与科学法|CHIPS (?:and Science )?Act")),
    # An MFA decision answering US sanctions or listings: "以所谓涉俄罗斯因素为由对多家中国实体
    # 滥施非法单边制裁", "对两名中方官员进行非法制裁".
    (
        "US sanctions on Chinese parties",
        re.compile(
            r"对[^。，]{0,10}(?:中国|中方)[^。，]{0,6}(?:实体|官员|企业|机构|个人|公司)"
            r"[^。]{0,12}制裁"
        ),
    ),
    ("chips", re.compile(r"芯片|集成电路|(?<![A-Za-z])chips?(?![A-Za-z])", re.IGNORECASE)),
)
# Stated triggers that a US listing or rule can be: a response that states its trigger and
# names none of these (an MFA decision answering an arms sale to Taiwan, a visit, a
# legislator's statements) answers something ecmon does not read, and is never linked.
LISTING_ANSWERS = frozenset({"us_sanctions"})
# Grounds both sides state, each in its language: (label, in the trigger, in the response).
SHARED_GROUNDS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("Russia", re.compile(r"\bRussia", re.IGNORECASE), re.compile(r"涉俄|俄罗斯")),
)
_GREATER_CHINA = {"CN": {"CN", "HK", "MO"}, "US": {"US"}}
_TARGET_WORDS = {"US": ("美国", "美方", "United States"), "CN": ("China", "Chinese", "中国")}


@dataclass(frozen=True)
class ListAddition:
    """A BIS list entry that appeared, dated by when it was announced or published."""

    source: str
    record: Record
    date: str
    basis: str  # "CSL start_date" or "eCFR valid for"


@dataclass(frozen=True)
class Event:
    """One side of a link: an action, or a derived group of list additions."""

    key: str
    jurisdiction: str
    kind: str
    date: str
    date_basis: str
    title: str
    instrument: str = ""
    url: str = ""
    sectors: tuple[SectorTag, ...] = ()
    sector_counts: tuple[tuple[str, int], ...] = ()
    parties: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    text: str = ""
    derived: bool = False
    members: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # What the act says it answers, when it says so (an MFA decision's ``triggers``).
    answers: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkEvidence:
    kind: str  # time | sectors | reference | parties | country
    text: str
    weight: float


@dataclass(frozen=True)
class Link:
    trigger: Event
    response: Event
    days: int
    score: float
    evidence: tuple[LinkEvidence, ...] = field(default=())


# ------------------------------------------------------------------ links


def find_links(
    triggers: Iterable[Event], responses: Iterable[Event], window_days: int = DEFAULT_WINDOW_DAYS
) -> list[Link]:
    """Every (trigger, response) pair that passes, best first per trigger."""
    chosen = [r for r in responses if r.kind in RESPONSE_KINDS]
    links = []
    for trigger in triggers:
        for response in chosen:
            link = score_link(trigger, response, window_days)
            if link is not None:
                links.append(link)
    return sorted(links, key=lambda k: (k.trigger.date, k.trigger.key, -k.score, k.response.key))


def score_link(trigger: Event, response: Event, window_days: int) -> Link | None:
    """The link between two events, or None when it does not pass."""
    days = days_between(trigger.date, response.date)
    if (
        days is None
        or not 1 <= days <= window_days
        or trigger.jurisdiction == response.jurisdiction
        or (response.answers and not set(response.answers) & LISTING_ANSWERS)
    ):
        return None
    closeness = 1.0 - (days - 1) / window_days
    noun = "day" if days == 1 else "days"
    parts = [
        LinkEvidence(
            "time",
            f"{days} {noun} after the trigger (window {window_days} days)",
            round(WEIGHTS["time"] * closeness, 3),
        )
    ]
    parts += _shared_sectors(trigger, response)
    parts += _references(trigger, response)
    parts += _shared_parties(trigger, response)
    parts += _targets(trigger, response)
    if not any(p.kind in ("sectors", "reference", "parties") for p in parts):
        return None
    score = round(sum(p.weight for p in parts), 3)
    if score < MIN_SCORE:
        return None
    return Link(trigger, response, days, score, tuple(parts))


def days_between(first: str, second: str) -> int | None:
    try:
        start = datetime.date.fromisoformat(first[:10])
        return (datetime.date.fromisoformat(second[:10]) - start).days
    except ValueError:
        return None


def _shared_sectors(trigger: Event, response: Event) -> list[LinkEvidence]:
    theirs = {t.sector: t for t in response.sectors}
    texts = []
    counts = dict(trigger.sector_counts)
    for tag in trigger.sectors:
        other = theirs.get(tag.sector)
        if other is None:
            continue
        mine, yours = tag.evidence[0], other.evidence[0]
        many = f" ({counts[tag.sector]} entries)" if counts.get(tag.sector, 0) > 1 else ""
        texts.append(
            f"{tag.sector}: {mine.matched!r} in trigger {mine.field}{many};"
            f" {yours.matched!r} in response {yours.field}"
        )
    if not texts:
        return []
    return [LinkEvidence("sectors", "shared sectors: " + " | ".join(texts), WEIGHTS["sectors"])]


def _references(trigger: Event, response: Event) -> list[LinkEvidence]:
    found = []
    for needle in (trigger.instrument, *re.findall(r"\d{4}-\d{5}", trigger.key)):
        if needle and needle in response.text:
            found.append(f"names {needle}")
    for label, pattern in REFERENCES:
        match = pattern.search(response.text)
        if match:
            found.append(f"{label} ({match.group(0)!r})")
    for label, theirs, ours in SHARED_GROUNDS:
        mine, yours = theirs.search(trigger.text), ours.search(response.text)
        if mine and yours:
            found.append(f"both state {label} ({mine.group(0)!r}; {yours.group(0)!r})")
    if trigger.date and trigger.date[:10] in response.text:
        found.append(f"names the trigger's date {trigger.date[:10]}")
    if not found:
        return []
    return [
        LinkEvidence("reference", "explicit reference: " + "; ".join(found), WEIGHTS["reference"])
    ]


def _shared_parties(trigger: Event, response: Event) -> list[LinkEvidence]:
    mine = {fold_name(p): p for p in trigger.parties if fold_name(p)}
    shared = [p for p in response.parties if fold_name(p) in mine]
    if not shared:
        return []
    return [LinkEvidence("parties", "named by both: " + ", ".join(shared[:5]), WEIGHTS["parties"])]


def _targets(trigger: Event, response: Event) -> list[LinkEvidence]:
    home = _GREATER_CHINA.get(response.jurisdiction, {response.jurisdiction})
    hit = sorted(set(trigger.countries) & home)
    words = _TARGET_WORDS.get(trigger.jurisdiction, ())
    aimed = trigger.jurisdiction in response.countries or any(w in response.text for w in words)
    if not (hit and aimed):
        return []
    text = (
        f"trigger targets {', '.join(hit)}; response ({response.jurisdiction}) targets"
        f" {trigger.jurisdiction}"
    )
    return [LinkEvidence("country", text, WEIGHTS["country"])]


class EventDict(TypedDict):
    """An event in JSON (``ecmon links --format json`` and the change document's links)."""

    key: str
    jurisdiction: str
    kind: str
    date: str
    date_basis: str
    title: str
    instrument: str
    url: str
    derived: bool
    members: list[str]
    countries: list[str]
    sectors: list[SectorItem]
    sector_counts: dict[str, int]
    notes: list[str]


class EvidenceDict(TypedDict):
    kind: str
    text: str
    weight: float


class LinkDict(TypedDict):
    """A link in the change document (``monitor.digest.inputs.links_touching``)."""

    trigger: EventDict
    response: EventDict
    days: int
    score: float
    evidence: list[EvidenceDict]


def event_dict(event: Event, taxonomy: Taxonomy) -> EventDict:
    """An event as plain data (``ecmon links --format json`` and the digest use the same)."""
    return {
        "key": event.key,
        "jurisdiction": event.jurisdiction,
        "kind": event.kind,
        "date": event.date,
        "date_basis": event.date_basis,
        "title": event.title,
        "instrument": event.instrument,
        "url": event.url,
        "derived": event.derived,
        "members": list(event.members),
        "countries": list(event.countries),
        "sectors": tags_to_dicts(event.sectors, taxonomy),
        "sector_counts": dict(event.sector_counts),
        "notes": list(event.notes),
    }


def evidence_dicts(link: Link) -> list[EvidenceDict]:
    return [{"kind": e.kind, "text": e.text, "weight": e.weight} for e in link.evidence]
