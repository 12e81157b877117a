"""Metrics in the Prometheus text exposition format 0.0.4 (``ecmon status --format
prometheus``). Pure: the caller passes what the store holds.

Written for a node_exporter textfile collector or a scrape through a small wrapper:
ecmon serves no HTTP itself. Families (every sample of a family is labelled ``source``
unless said otherwise)::

    ecmon_build_info{version}                       gauge, always 1
    ecmon_source_enabled                            gauge 0/1
    ecmon_source_last_success_timestamp_seconds     gauge (absent until a good run)
    ecmon_source_last_run_timestamp_seconds         gauge (absent until a run)
    ecmon_source_consecutive_failures               gauge
    ecmon_source_records                            gauge: records in the accepted state
    ecmon_source_last_outcome{outcome}              gauge: 1 for the last run's outcome,
                                                    0 for the others (a "state set")
    ecmon_source_broken                             gauge 0/1: alerted as broken
    ecmon_runs_total{outcome}                       counter: stored runs by outcome
    ecmon_alert_messages{kind,status}               gauge: alert mails by kind and status

A rule such as ``time() - ecmon_source_last_success_timestamp_seconds > 172800`` alerts
on staleness from outside ecmon, which also catches a daemon that stopped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor import __version__
from monitor.models import RunOutcome, SourceStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Outcomes a source's state can end a run with (an archived as-of snapshot never does).
OUTCOMES = tuple(o.value for o in RunOutcome if o is not RunOutcome.ARCHIVED)

Labels = tuple[tuple[str, str], ...]


@dataclass
class Family:
    """One metric family: its samples under a name, a type and a help text."""

    name: str
    kind: str  # gauge | counter
    help: str
    samples: list[tuple[Labels, float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append((tuple(labels.items()), value))


def render(
    statuses: Sequence[SourceStatus],
    run_counts: Mapping[tuple[str, str], int],
    broken: Collection[str] = (),
    alert_counts: Mapping[tuple[str, str], int] | None = None,
) -> str:
    """The exposition text of every family, one ``# HELP``/``# TYPE`` header each."""
    families = [
        *_build_info(),
        *_source_gauges(statuses, broken),
        _runs(statuses, run_counts),
        _alerts(alert_counts or {}),
    ]
    return "".join(_format(f) for f in families)


def _build_info() -> list[Family]:
    info = Family("ecmon_build_info", "gauge", "ecmon version running (value is always 1).")
    info.add(1, version=__version__)
    return [info]


def _source_gauges(statuses: Sequence[SourceStatus], broken: Collection[str]) -> list[Family]:
    enabled = Family("ecmon_source_enabled", "gauge", "1 if the source is enabled.")
    success = Family(
        "ecmon_source_last_success_timestamp_seconds",
        "gauge",
        "Unix time of the source's last good run.",
    )
    last_run = Family(
        "ecmon_source_last_run_timestamp_seconds", "gauge", "Unix time of the source's last run."
    )
    failures = Family(
        "ecmon_source_consecutive_failures", "gauge", "Failed or suspect runs in a row."
    )
    records = Family("ecmon_source_records", "gauge", "Records in the accepted state.")
    outcome = Family(
        "ecmon_source_last_outcome", "gauge", "1 for the outcome of the source's last run."
    )
    is_broken = Family("ecmon_source_broken", "gauge", "1 while the source is alerted as broken.")
    for s in statuses:
        enabled.add(int(s.enabled), source=s.source)
        if s.last_success_at:
            success.add(_epoch(s.last_success_at), source=s.source)
        if s.last_run_at:
            last_run.add(_epoch(s.last_run_at), source=s.source)
        failures.add(s.consecutive_failures, source=s.source)
        records.add(s.record_count, source=s.source)
        for value in OUTCOMES:
            outcome.add(int(s.last_outcome == value), source=s.source, outcome=value)
        is_broken.add(int(s.source in broken), source=s.source)
    return [enabled, success, last_run, failures, records, outcome, is_broken]


def _runs(statuses: Iterable[SourceStatus], counts: Mapping[tuple[str, str], int]) -> Family:
    runs = Family("ecmon_runs_total", "counter", "Stored runs by source and outcome.")
    # Every configured source starts at 0 for each outcome, so rate() sees the first run.
    keys = {(s.source, o) for s in statuses for o in OUTCOMES} | set(counts)
    for source, value in sorted(keys):
        runs.add(counts.get((source, value), 0), source=source, outcome=value)
    return runs


def _alerts(counts: Mapping[tuple[str, str], int]) -> Family:
    alerts = Family("ecmon_alert_messages", "gauge", "Stored alert messages by kind and status.")
    for (kind, status), n in sorted(counts.items()):
        alerts.add(n, kind=kind, status=status)
    return alerts


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _format(family: Family) -> str:
    help_text = family.help.replace("\\", "\\\\").replace("\n", "\\n")
    lines = [f"# HELP {family.name} {help_text}", f"# TYPE {family.name} {family.kind}"]
    for labels, value in family.samples:
        inner = ",".join(f'{key}="{_escape(text)}"' for key, text in labels)
        lines.append(f"{family.name}{{{inner}}} {_number(value)}")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
