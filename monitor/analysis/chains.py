"""Chains of actions: a later notice that suspends, continues, stops or amends an earlier one.

Pure. The sources record what a notice acts on: ``refers_to`` (keys of the earlier
notices) and, for MOFCOM, ``verbs`` (``"<kind>:<target key>"`` per state change, with the
stated duration in ``verb_terms``). Each step keeps the clause of its own text that names
the target, e.g. "暂停4月4日公告（不可靠实体清单工作机制〔2025〕7号）相关措施90天", so a reader
sees why the step belongs to the chain. A step dated before its target is never chained;
it is reported as a problem instead (a date or a reference was misread).

The 〔2025〕7号 chain reads: addition (2025-04-04) -> suspension 90 days (2025-05-14) ->
continued suspension 90 days (2025-08-12).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from monitor.analysis.links import Event, days_between
from monitor.models import Record

_NUMBER = re.compile(r"〔\d{4}〕\d+号|\d{4}年第\d+号|\d{4}-\d{5}")
_SENTENCE = re.compile(r"[。；\n]|(?<=[a-z0-9])\.\s")
_CJK_CLAUSE = re.compile(r"[，、]")
_EN_VERBS = (("suspen", "suspension"), ("stay", "suspension"), ("remov", "removal"))


@dataclass(frozen=True)
class ChainStep:
    action: Event
    verb: str  # suspension | continued_suspension | stop | removal | ... | acts_on
    term: str  # stated duration, e.g. "90天"; "" when none
    evidence: str  # the clause naming the target
    days: int | None  # days after the target; None when the target is not held


@dataclass(frozen=True)
class Chain:
    root_key: str
    root: Event | None  # None when the target notice is not among our records
    steps: tuple[ChainStep, ...]
    problems: tuple[str, ...] = ()


def find_chains(actions: Iterable[Record], events: Mapping[str, Event]) -> list[Chain]:
    """Every notice some later notice acts on, with its steps in date order."""
    steps: dict[str, list[ChainStep]] = {}
    problems: dict[str, list[str]] = {}
    for action in actions:
        event = events.get(action.key)
        if event is None:
            continue
        for verb, target, term in _acts_on(action):
            root = events.get(target)
            days = days_between(root.date, event.date) if root else None
            if days is not None and days < 0:
                problems.setdefault(target, []).append(
                    f"{action.key} ({event.date}) names {target} ({root.date if root else '?'})"
                    " but is dated before it: not chained"
                )
                continue
            clause = naming_clause(action, target, root)
            steps.setdefault(target, []).append(ChainStep(event, verb, term, clause, days))
    return [
        Chain(
            root_key=key,
            root=events.get(key),
            steps=tuple(sorted(found, key=lambda s: (s.action.date, s.action.key))),
            problems=tuple(problems.get(key, ())),
        )
        for key, found in sorted(steps.items(), key=lambda kv: _root_order(kv[0], events))
    ]


def _acts_on(action: Record) -> list[tuple[str, str, str]]:
    """(verb, target key, term) for each notice ``action`` acts on."""
    terms = action.get_tuple("verb_terms")
    found: list[tuple[str, str, str]] = []
    for index, code in enumerate(action.get_tuple("verbs")):
        verb, _, target = code.partition(":")
        if target:
            found.append((verb, target, terms[index] if index < len(terms) else ""))
    named = {target for _, target, _ in found}
    title = action.name.casefold()
    fallback = next((v for stem, v in _EN_VERBS if stem in title), "acts_on")
    found += [(fallback, t, "") for t in action.get_tuple("refers_to") if t not in named]
    return found


def naming_clause(action: Record, target: str, root: Event | None) -> str:
    """The clause of ``action``'s text that names ``target`` (by its number, instrument or
    FR citation); "" when the text does not name it in a form we can find."""
    needles = [n for n in _NUMBER.findall(target) if n]
    if root is not None:
        needles += [root.instrument, *_NUMBER.findall(root.instrument)]
    needles = [n for n in needles if n]
    for name in ("body", "dates", "title"):
        for text in action.get_tuple(name):
            for clause in _clauses(text):
                if any(n in clause for n in needles):
                    return clause.strip()[:200]
    return ""


def _clauses(text: str) -> list[str]:
    """Sentences; Chinese ones cut further at commas, which separate the clauses that each
    name one notice ("暂停…7号…90天，暂停…8号…")."""
    parts = []
    for sentence in _SENTENCE.split(text):
        is_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in sentence)
        parts.extend(_CJK_CLAUSE.split(sentence) if is_cjk else [sentence])
    return parts


def _root_order(key: str, events: Mapping[str, Event]) -> tuple[str, str]:
    root = events.get(key)
    return (root.date if root else "", key)
