"""Source health for alerts: when a source is broken, and when it has recovered. Pure.

A source is **broken** when either

- its last ``failures`` runs in a row failed (a failed fetch or parse, or a snapshot
  held as suspect: the store counts all three in ``consecutive_failures``), or
- it has failed since its last good fetch and that fetch is older than ``stale_after``
  (a daily source failing two days running is broken before it reaches three failures).

It has **recovered** once a good run (changed, unchanged, not modified, baseline) follows:
the store then resets the failure streak to 0 and stamps ``last_success_at``.

Alerts are sent on a *change* of state only: ``transitions`` compares each status with
the state last alerted (``broken`` holds the sources alerted as broken and not yet as
recovered), so one breakage gives exactly one "broken" alert however many runs fail, and
one "recovered" alert when it comes back. A source whose thresholds are raised while it
is broken stays broken until a good run, so "recovered" always means a good fetch.

Why staleness is judged against a failure: statuses are checked right after the source
ran. A source that did not run at all (the daemon was stopped) cannot be judged by the
daemon; the heartbeat URL, a dead-man switch that alerts when pings stop, covers that.
A source that never had a good fetch is judged by its failure streak alone.

The digest's source-health section (``monitor.digest.model``) lists as "failing" every
source with a failed last run, so every source alerted as broken appears there, and a
recovered one moves to its healthy list (tests/test_health.py checks both).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from monitor.config import DaemonSettings
from monitor.models import SourceStatus

BROKEN: Literal["broken"] = "broken"
RECOVERED: Literal["recovered"] = "recovered"
TransitionKind = Literal["broken", "recovered"]


@dataclass(frozen=True)
class Thresholds:
    """When a source counts as broken."""

    failures: int = DaemonSettings.failure_threshold
    stale_after: timedelta = timedelta(hours=DaemonSettings.stale_after_hours)

    @classmethod
    def from_settings(cls, daemon: DaemonSettings) -> Thresholds:
        # A threshold of 0 would call every source broken: the smallest useful one is 1.
        return cls(max(1, daemon.failure_threshold), timedelta(hours=daemon.stale_after_hours))


@dataclass(frozen=True)
class Transition:
    """A source moving into or out of the broken state, with what an alert says about it."""

    source: str
    kind: TransitionKind
    reason: str
    last_success_at: str | None
    last_error: str | None
    failures: int


def broken_reason(status: SourceStatus, limits: Thresholds, now: datetime) -> str | None:
    """Why ``status`` is broken under ``limits``; None while it is not."""
    unrecorded = status.details.get("unrecorded")
    if unrecorded:  # the database refused the run's record (a full disk): nothing is safe
        return f"a failed run could not be recorded in the database ({unrecorded})"
    failures = status.consecutive_failures
    if failures <= 0:
        return None
    if failures >= limits.failures:
        return f"{failures} failed run(s) in a row (alert threshold {limits.failures})"
    if status.last_success_at is None:
        return None
    age = now - datetime.fromisoformat(status.last_success_at)
    if age > limits.stale_after:
        hours = age.total_seconds() / 3600
        return (
            f"no good fetch for {hours:.0f} h (alert after {_hours(limits.stale_after)} h);"
            f" {failures} failed run(s) since"
        )
    return None


def unhealthy(
    statuses: Iterable[SourceStatus], limits: Thresholds, now: datetime
) -> list[tuple[str, str]]:
    """(source, why) for each enabled source that is broken, or has had no good fetch for
    ``stale_after`` (never fetched included): what ``ecmon status`` exits non-zero for."""
    found: list[tuple[str, str]] = []
    for status in statuses:
        if not status.enabled:
            continue
        reason = broken_reason(status, limits, now)
        if reason is None and status.last_success_at is None:
            reason = "no good fetch yet"
        elif reason is None and status.last_success_at is not None:
            age = now - datetime.fromisoformat(status.last_success_at)
            if age > limits.stale_after:
                reason = (
                    f"stale: last good fetch {age.total_seconds() / 3600:.0f} h ago"
                    f" (limit {_hours(limits.stale_after)} h)"
                )
        if reason is not None:
            found.append((status.source, reason))
    return found


def transitions(
    statuses: Iterable[SourceStatus],
    limits: Thresholds,
    broken: Collection[str],
    now: datetime,
) -> list[Transition]:
    """The alerts due for ``statuses``, given the sources currently alerted as ``broken``."""
    found: list[Transition] = []
    for status in statuses:
        reason = broken_reason(status, limits, now)
        if reason is not None and status.source not in broken:
            found.append(_transition(status, BROKEN, reason))
        elif status.source in broken and status.consecutive_failures == 0 and reason is None:
            why = f"good run ({status.last_outcome or 'ok'}) at {status.last_success_at}"
            found.append(_transition(status, RECOVERED, why))
    return found


def _transition(status: SourceStatus, kind: TransitionKind, reason: str) -> Transition:
    return Transition(
        source=status.source,
        kind=kind,
        reason=reason,
        last_success_at=status.last_success_at,
        last_error=status.suspect_reason or status.last_error,
        failures=status.consecutive_failures,
    )


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:g}"
