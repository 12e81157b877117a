"""``ecmon demo`` as a timeline: its stages in the order of real events, each with the acts
it served, dated, so the demo reads in date order.

The fixtures are arranged by real dates (``monitor.testing.demo.STAGES``); an act, or a
source's list changes, that a stage serves outside that stage's dates would be an
arrangement, and is said so here, on screen, not only in a fixture README ("arranged: dated
…, served in this stage"). The shipped fixtures have none; the check guards new ones. An
act's date is the day it was first made public: ``announced`` (a rule filed for public
inspection) when set, else ``published``. A source's list changes are dated by the newest
date the list itself gives them (``monitor.listdates``: the eCFR amendment, a CSL start
date, a derived list's status date).

Pure: built from the run summaries and the stored changes the demo already has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from monitor.actions import ACTION_LIST
from monitor.digest.actions import KIND_LABELS
from monitor.listdates import list_date
from monitor.models import RunSummary, StoredChange
from monitor.testing.demo import Stage

SHORT_NAMES = {
    "us_csl_entity_list": "CSL",
    "us_ecfr_entity_list": "eCFR",
    "us_federal_register": "Federal Register",
    "cn_mofcom_announcements": "MOFCOM",
    "cn_mfa_countermeasures": "MFA",
}
_SIGNS = (("added", "+"), ("modified", "~"), ("removed", "−"))


def act_date(change: StoredChange) -> str:
    record = change.change.record
    return (record.get_text("announced") or record.get_text("published"))[:10]


def timeline_lines(
    stages: Sequence[Stage],
    runs: Mapping[str, Sequence[RunSummary]],
    changes: Sequence[StoredChange],
) -> list[str]:
    """The stages that ran, in order, each with its dated acts and its list changes."""
    lines = ["Timeline (the demo's stages in the order of real events):"]
    arranged = 0
    for stage in stages:
        summaries = runs.get(stage.name)
        if summaries is None:
            continue
        ids = {s.run_id for s in summaries if s.run_id is not None}
        served = ", ".join(SHORT_NAMES.get(s.source, s.source) for s in summaries)
        lines.append(f"  [{stage.name}] {stage.dates}: {stage.title} ({served})")
        if not stage.start:
            held = sum(s.record_count or 0 for s in summaries)
            lines.append(f"    {held} records held as the baseline")
            continue
        mine = [c for c in changes if c.provenance.run_id in ids]
        acts = sorted(
            (c for c in mine if c.change.list_name == ACTION_LIST and c.change.kind != "removed"),
            key=lambda c: (act_date(c), c.change.key),
        )
        dated: list[tuple[str, str]] = []
        for act in acts:
            line, out_of_time = _act_line(act, stage)
            arranged += out_of_time
            dated.append((act_date(act), line))
        entries = [c for c in mine if c.change.list_name != ACTION_LIST]
        for source in dict.fromkeys(c.provenance.source for c in entries):
            own = [c for c in entries if c.provenance.source == source]
            day = entries_date(own)
            line = f"    {day or 'undated   '}  list entries: {_counts(own)}"
            if day and not stage.holds(day):
                line += f"  {_arranged(day)}"
                arranged += 1
            dated.append((day, line))
        lines += [line for _day, line in sorted(dated, key=lambda pair: pair[0])]
    lines.append(
        f"  arranged: {arranged} item{'s' if arranged != 1 else ''} (acts, list changes)"
        f" served outside the dates of {'their' if arranged != 1 else 'its'} stage"
        + (" (marked above)" if arranged else "")
    )
    return lines


def entries_date(entries: Sequence[StoredChange]) -> str:
    """The day list changes took effect, as the list states it: the newest eCFR amendment,
    BIS start date or derived-list status date among them ("" when none is stated)."""
    days = [
        list_date(c.provenance.source, c.change.record, c.provenance.valid_for).date[:10]
        for c in entries
        if c.change.kind != "removed"
    ]
    return max((d for d in days if d), default="")


def _act_line(change: StoredChange, stage: Stage) -> tuple[str, bool]:
    record = change.change.record
    day = act_date(change)
    kind = record.get_text("kind")
    what = KIND_LABELS.get(kind, kind.replace("_", " "))
    name = record.get_text("instrument") or record.get_text("title") or record.name
    new = "new" if change.change.kind == "added" else "changed"
    source = SHORT_NAMES.get(change.provenance.source, change.provenance.source)
    line = f"    {day or '????-??-??'}  {source} {what}: {name} ({new})"
    if day and stage.holds(day):
        return line, False
    return f"{line}  {_arranged(day or 'unknown')}", True


def _arranged(day: str) -> str:
    return f"[arranged: dated {day}, served in this stage]"


def _counts(changes: Sequence[StoredChange]) -> str:
    """Per source: distinct keys per kind ("CSL +11 ~1 −1 · MOFCOM ~22")."""
    parts = []
    for source in dict.fromkeys(c.provenance.source for c in changes):
        own = [c for c in changes if c.provenance.source == source]
        signs = []
        for kind, sign in _SIGNS:
            keys = {c.change.key for c in own if c.change.kind == kind}
            if keys:
                signs.append(f"{sign}{len(keys)}")
        parts.append(f"{SHORT_NAMES.get(source, source)} {' '.join(signs)}")
    return " · ".join(parts)
