"""Plain-text views for the terminal: run summaries, status, history, search.

Pure string building; the CLI prints what these return.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from monitor.listdates import list_date
from monitor.models import Record, RunOutcome, RunSummary, SourceStatus, TimelineEvent
from monitor.redact import redact_text
from monitor.store.review import Decision, Held
from monitor.store.store import ProblemRun
from monitor.text import clean


class RedactingFilter(logging.Filter):
    """Log records with credentials in URLs redacted (``monitor.redact``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def printable(text: object) -> str:
    """Text from a source, safe to print on a terminal (``monitor.text.clean``, and no CR:
    it would return the cursor and let the rest overwrite the line)."""
    return clean(text).replace("\r", "")


_MARK = {
    RunOutcome.BASELINE: "baseline",
    RunOutcome.CHANGED: "changed",
    RunOutcome.UNCHANGED: "unchanged",
    RunOutcome.NOT_MODIFIED: "not modified",
    RunOutcome.SUSPECT: "SUSPECT",
    RunOutcome.FAILED: "FAILED",
    RunOutcome.ARCHIVED: "archived",
}


def summary_line(summary: RunSummary) -> str:
    """One line per source run, e.g. ``us_csl_entity_list: changed: 11 added, ...``."""
    count = f" [{summary.record_count} records]" if summary.record_count is not None else ""
    run = f" (run {summary.run_id})" if summary.run_id is not None else ""
    return printable(f"{summary.source}: {_MARK[summary.outcome]}: {summary.message}{count}{run}")


def status_table(statuses: Sequence[SourceStatus]) -> str:
    header = (
        f"{'SOURCE':<26}{'ENABLED':<9}{'LAST OUTCOME':<14}{'LAST RUN (UTC)':<27}"
        f"{'RECORDS':>8}{'FAILS':>7}"
    )
    lines = [header]
    for s in statuses:
        lines.append(
            f"{s.source:<26}{'yes' if s.enabled else 'no':<9}{(s.last_outcome or 'never run'):<14}"
            f"{(s.last_run_at or '-'):<27}{s.record_count:>8}{s.consecutive_failures:>7}"
        )
        if s.last_success_at:
            lines.append(f"    last good run: {s.last_success_at}")
        if s.suspect_reason:
            lines.append(f"    held as suspect: {printable(s.suspect_reason)}")
        elif s.last_error and s.last_outcome == "failed":
            lines.append(f"    last error: {printable(s.last_error)}")
    return "\n".join(lines)


def problems_table(runs: Sequence[ProblemRun]) -> str:
    """Recent failed or suspect runs, newest first."""
    if not runs:
        return ""
    lines = ["", "Recent problems (newest first):"]
    for run in runs:
        reason = run["reason"]
        lines.append(
            f"  run {run['id']} {run['started_at']} {run['source']}: {run['outcome']}: "
            + printable(reason)
        )
    return "\n".join(lines)


def held_header(item: Held) -> str:
    """Which snapshot is held, why, and how to decide it."""
    return printable(
        f"Run {item.run_id}: snapshot of {item.source} fetched {item.fetched_at}"
        f" ({item.record_count} records, sha256 {item.raw_sha256[:12]}) held as suspect:"
        f" {item.reason}\nReview: {item.review or 'not reviewable'}. If it is real:"
        f" ecmon accept {item.run_id} --reason TEXT; if not: ecmon reject {item.run_id}."
        " Below: what accepting it now would change."
    )


def held_table(waiting: Sequence[Held]) -> str:
    """Snapshots waiting for review, newest first."""
    if not waiting:
        return "No snapshot is waiting for review."
    lines = ["Held for review (ecmon review RUN; accept RUN --reason TEXT; reject RUN):"]
    for item in waiting:
        lines.append(
            printable(
                f"  run {item.run_id} {item.source} fetched {item.fetched_at}"
                f" ({item.record_count} records): {item.reason}"
            )
        )
    return "\n".join(lines)


def decision_line(decision: Decision) -> str:
    """One review decision: who accepted or rejected which held run, when and why."""
    applied = f" as run {decision.run_id}" if decision.run_id else ""
    why = f": {decision.reason}" if decision.reason else ""
    return printable(
        f"  {decision.source}: run {decision.held_run_id} {decision.decision}{applied}"
        f" by {decision.by or 'unknown'} at {decision.at}{why}"
    )


def review_section(waiting: Sequence[Held], decisions: Sequence[Decision]) -> str:
    """``status``'s part on held snapshots: waiting ones and the latest decisions."""
    lines: list[str] = []
    if waiting:
        lines += ["", held_table(waiting)]
    if decisions:
        lines += ["", "Review decisions (newest first):", *map(decision_line, decisions)]
    return "\n".join(lines)


def status_json(
    statuses: Sequence[SourceStatus],
    waiting: Sequence[Held] = (),
    decisions: Sequence[Decision] = (),
) -> str:
    rows = [
        {
            "source": s.source,
            "enabled": s.enabled,
            "last_outcome": s.last_outcome,
            "last_run_at": s.last_run_at,
            "last_success_at": s.last_success_at,
            "consecutive_failures": s.consecutive_failures,
            "last_error": s.last_error,
            "suspect_reason": s.suspect_reason,
            "record_count": s.record_count,
        }
        for s in statuses
    ]
    held = [
        {"run_id": h.run_id, "source": h.source, "fetched_at": h.fetched_at, "reason": h.reason}
        for h in waiting
    ]
    reviewed = [
        {
            "source": d.source,
            "held_run_id": d.held_run_id,
            "decision": d.decision,
            "by": d.by,
            "at": d.at,
            "reason": d.reason,
            "run_id": d.run_id,
        }
        for d in decisions
    ]
    document = {"schema_version": "1", "sources": rows, "held": held, "reviews": reviewed}
    return json.dumps(document, indent=2, ensure_ascii=False)


def timeline_text(name: str, key: str, events: Sequence[TimelineEvent]) -> str:
    lines = [printable(f"{name}  ({key})")]
    for event in events:
        rec = event.record
        detail = ""
        if event.change and event.change.change.labels:
            detail = "  " + ", ".join(event.change.change.labels)
        cites = ", ".join(rec.get_tuple("citations"))
        stated = list_date(event.source, rec, event.valid_for)
        lines.append(
            f"  {event.at}  {event.kind:<9} {event.source} run {event.run_id}{detail}"
            + (f"  [{cites}]" if cites else "")
            + (f"  list date {stated}" if stated.date else "  list date: none stated")
        )
    return "\n".join(lines)


def entity_text(
    name: str, country: str, timelines: Sequence[tuple[str, str, Sequence[TimelineEvent]]]
) -> str:
    """One party on several lists: which lists, then every step in time order."""
    keys = [f"{key} ({source})" for source, key, _events in timelines]
    lines = [printable(f"{name} [{country or '??'}]: one entity on {len(keys)} lists")]
    lines += [printable(f"  {key}") for key in keys]
    events = sorted(
        (event for _source, _key, found in timelines for event in found),
        key=lambda e: (e.at, e.run_id, e.record.list_name),
    )
    for event in events:
        rec = event.record
        detail = ""
        if event.change and event.change.change.labels:
            detail = "  " + ", ".join(event.change.change.labels)
        since, on = rec.get_text("listed_by"), rec.get_text("listed_on")
        by = f"  listed by {since}" + (f" on {on}" if on else "") if since else ""
        lines.append(
            printable(
                f"  {event.at}  {event.kind:<9} {rec.list_name:<6} {event.source} run"
                f" {event.run_id}{detail}{by}"
            )
        )
    return "\n".join(lines)


def search_text(hits: Sequence[tuple[str, Record]]) -> str:
    if not hits:
        return "No matches."
    lines = []
    for source, rec in hits:
        aliases = rec.get_tuple("aliases")
        also = f"  a.k.a. {'; '.join(aliases[:3])}" if aliases else ""
        lines.append(
            printable(
                f"{rec.name} [{rec.country or '??'}] {rec.list_name.upper()} ({source}){also}"
            )
        )
    return "\n".join(lines)
