"""A linked chain in one line: who did what, and who answered with what, when.

``BIS +11 (9 semiconductors) → MOFCOM anti-dumping + anti-discrimination next day`` is what
a reader should see before anything else, in the mail subject and at the top of every
digest. The words are ecmon's own (an actor's short name, counts, sector ids, kind labels):
never a source's text, so the line is safe for a mail header and ASCII apart from the arrow
(``subject_line`` gives the ASCII form). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from monitor.analysis.links import EventDict, LinkDict
from monitor.digest.actions import KIND_LABELS, field_text
from monitor.models import RecordDict

ARROW = "→"
# Who acts, when the stored action does not name its actor in plain ASCII.
_ACTOR_OF = {"US": "BIS", "CN": "MOFCOM"}
# Kind labels made short for one line ("anti-dumping investigation" -> "anti-dumping").
_TRAILING = (" investigation",)


def chain_line(links: Sequence[LinkDict], actions: Mapping[str, RecordDict]) -> str:
    """One trigger's chain (``links`` all share it): ``TRIGGER → RESPONSES WHEN``."""
    if not links:
        return ""
    trigger = links[0]["trigger"]
    by_actor: dict[str, list[LinkDict]] = {}
    for link in sorted(links, key=lambda k: (k["days"], k["response"]["key"])):
        by_actor.setdefault(_actor(link["response"], actions), []).append(link)
    answers = []
    for actor, found in by_actor.items():
        kinds = list(dict.fromkeys(_kind(link["response"]) for link in found))
        days = sorted({link["days"] for link in found})
        when = _when(days[0]) if len(days) == 1 else f"{days[0]} to {days[-1]} days later"
        answers.append(f"{actor} {' + '.join(kinds)} {when}")
    return f"{_trigger(trigger, actions)} {ARROW} {', '.join(answers)}"


def subject_line(line: str) -> str:
    """``line`` for a mail subject: ASCII only (a non-ASCII subject is sent as encoded
    words, which some clients show with stray spaces where the header was folded)."""
    text = line.replace(ARROW, "->")
    return text.encode("ascii", "replace").decode("ascii")


def _trigger(event: EventDict, actions: Mapping[str, RecordDict]) -> str:
    actor = _actor(event, actions)
    count = len(event["members"])
    if not count:
        return f"{actor} {_kind(event)}"
    ranked = sorted(event["sector_counts"].items(), key=lambda kv: (-kv[1], kv[0]))
    top = f" ({ranked[0][1]} {ranked[0][0].replace('_', ' ')})" if ranked else ""
    return f"{actor} +{count}{top}"


def _actor(event: EventDict, actions: Mapping[str, RecordDict]) -> str:
    record = actions.get(event["key"])
    named = field_text(record, "actor") if record else ""
    if named and named.isascii() and len(named) <= 12:
        return named
    return _ACTOR_OF.get(event["jurisdiction"], event["jurisdiction"] or "?")


def _kind(event: EventDict) -> str:
    label = KIND_LABELS.get(event["kind"], event["kind"].replace("_", " ")) or "act"
    for tail in _TRAILING:
        label = label.removesuffix(tail)
    return label


def _when(days: int) -> str:
    if days == 0:
        return "same day"
    if days == 1:
        return "next day"
    return f"{days} days later"
