"""The first screen of ``ecmon demo``: the story in a few lines, before the per-list detail.

What a reader of the demo needs first is what the product exists for: what BIS added (how
many entities, where, in which sectors, dated how), what China answered and when (each
linked act, days after, the strongest evidence), and what is still pending (suspensions
whose last step has not stopped them). Every count counts an entity once, however many BIS
sources reported it ("reported by CSL and eCFR").

Pure: built from the links report and the stored changes the demo already has.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta

from monitor.analysis.chains import Chain
from monitor.analysis.links import Event, Link
from monitor.digest.actions import KIND_LABELS
from monitor.models import StoredChange

SHORT_SOURCE = {"us_csl_entity_list": "CSL", "us_ecfr_entity_list": "eCFR"}
BIS_LISTS = tuple(SHORT_SOURCE)
IN_FORCE = {"suspension", "continued_suspension"}  # a chain whose last step is one of these
_DAYS = re.compile(r"(\d+)\s*天")
_WIDTH = 120


def story_lines(
    links: Sequence[Link],
    chains: Sequence[Chain],
    changes: Sequence[StoredChange],
) -> list[str]:
    """The opening lines: each linked trigger with its answers, then what is pending."""
    lines: list[str] = []
    for trigger in _triggers(links):
        lines += _trigger_lines(trigger, changes)
        answers = [k for k in links if k.trigger.key == trigger.key]
        lines.append(f"  China answered ({len(answers)} act{'s' if len(answers) > 1 else ''}):")
        for link in answers:
            lines += _answer_lines(link)
    pending = [c for c in chains if c.steps and c.steps[-1].verb in IN_FORCE]
    if pending:
        lines.append("Pending (suspended, not stopped):")
        lines += [_fit("  " + _pending_line(c)) for c in pending]
    return lines


def _triggers(links: Sequence[Link]) -> list[Event]:
    seen: dict[str, Event] = {}
    for link in links:
        seen.setdefault(link.trigger.key, link.trigger)
    return list(seen.values())


def _trigger_lines(trigger: Event, changes: Sequence[StoredChange]) -> list[str]:
    where = ", ".join(trigger.countries) or "no country stated"
    sectors = ", ".join(f"{_short(s)} {n}" for s, n in trigger.sector_counts)
    if trigger.members:
        # List additions, on their own or explained by the rule that names them: the
        # countries are the added entities' own, not every destination the rule states.
        where = ", ".join(_member_countries(trigger, changes)) or where
        head = f"{trigger.date}  BIS added {len(trigger.members)} entities to the Entity List"
    else:
        head = f"{trigger.date}  BIS: {trigger.instrument or trigger.title}"
    if trigger.derived:
        basis = f"dated by the {trigger.date_basis.replace('_', ' ')} {trigger.date}"
    elif trigger.kind == "public_inspection":
        basis = f"{trigger.instrument} “{trigger.title}”, on public inspection, not yet published"
    elif trigger.members:
        basis = f"{trigger.instrument} “{trigger.title}”"
    else:
        basis = trigger.title
    reporters = reported_by(trigger, changes)
    return [
        _fit(f"{head} ({where}): {sectors or 'no sector tagged'}"),
        _fit(f"  {basis}" + (f"; reported by {reporters}" if reporters else "")),
    ]


def _member_countries(trigger: Event, changes: Sequence[StoredChange]) -> list[str]:
    keys = {member.split(":", 1)[-1] for member in trigger.members}
    return sorted({c.change.country for c in changes if c.change.key in keys and c.change.country})


def reported_by(trigger: Event, changes: Sequence[StoredChange]) -> str:
    """Which BIS sources added the trigger's entities, e.g. "CSL and eCFR" (counted once)."""
    keys = {member.split(":", 1)[-1] for member in trigger.members}
    sources = {
        c.provenance.source
        for c in changes
        if c.change.kind == "added" and c.change.key in keys
        and c.provenance.source in BIS_LISTS
    }
    names = [SHORT_SOURCE[s] for s in BIS_LISTS if s in sources]
    return " and ".join(names)


def _answer_lines(link: Link) -> list[str]:
    act = link.response
    what = KIND_LABELS.get(act.kind, act.kind.replace("_", " "))
    plus = f"+{link.days} day" + ("s" if link.days != 1 else "")
    return [
        _fit(f"    {plus}  {act.date}  {what}: {act.title}"),
        _fit(f"            evidence: {strongest_evidence(link)}"),
    ]


def strongest_evidence(link: Link) -> str:
    """One line: the explicit references first (the act's own words), then shared sectors."""
    parts = [e.text for e in link.evidence if e.kind in ("reference", "parties")]
    response_sectors = {tag.sector for tag in link.response.sectors}
    shared = [
        f"{_short(s)} ({n} of {len(link.trigger.members)})"
        for s, n in link.trigger.sector_counts
        if s in response_sectors
    ]
    if shared:
        parts.append("shared sector " + ", ".join(shared))
    return "; ".join(parts) or "timing only"


def _pending_line(chain: Chain) -> str:
    last = chain.steps[-1]
    root = chain.root.instrument or chain.root.title if chain.root else chain.root_key
    verb = KIND_LABELS.get(last.verb, last.verb)
    until = _until(last.action.date, last.term)
    term = f" {last.term}" if last.term else ""
    tail = f", until {until}" if until else ""
    return f"{root}: {verb}{term} from {last.action.date}{tail} ({last.action.title})"


def _until(start: str, term: str) -> str:
    found = _DAYS.search(term)
    try:
        first = date.fromisoformat(start[:10])
    except ValueError:
        return ""
    return (first + timedelta(days=int(found.group(1)))).isoformat() if found else ""


def _short(sector_id: str) -> str:
    """A sector's id read as words ("industrial software"): the full label is in the detail."""
    return sector_id.replace("_", " ")


def _fit(line: str) -> str:
    """One screen line: a long title is cut with an ellipsis, never wrapped. Width is
    counted as a terminal shows it (a CJK character takes two columns)."""
    width = 0
    for index, char in enumerate(line):
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if width > _WIDTH - 1:
            return line[:index] + "…"
    return line
