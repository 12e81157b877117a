"""The list as it stood on a date: backfill and date-to-date comparison.

Only for sources that can answer "what did the list say on date D" (the eCFR
versioner, ``DatedSource``). Fetched dates are kept in the store as archived
snapshots, so a comparison never fetches the same date twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.diff import diff_records
from monitor.errors import ConfigError, EcmonError
from monitor.http import FetchResult, Validators
from monitor.locks import source_lock
from monitor.models import Provenance, RunOutcome, RunSummary, Snapshot, StoredChange
from monitor.pipeline import RunContext, ingest, parse_snapshot, run_info
from monitor.sources import REGISTRY
from monitor.sources.base import DatedSource


def dated_source(name: str) -> DatedSource:
    """The registered source ``name`` if it can answer for past dates."""
    source = REGISTRY.get(name)
    if source is None:
        raise ConfigError(f"unknown source {name!r}; known: {', '.join(sorted(REGISTRY))}")
    if not isinstance(source, DatedSource):
        dated = [n for n, s in REGISTRY.items() if isinstance(s, DatedSource)]
        raise ConfigError(
            f"source {name} cannot show past dates; sources that can: {', '.join(dated)}"
        )
    return source


@dataclass(frozen=True)
class Comparison:
    """Changes between the list on two dates, with where each side came from."""

    source: str
    date_from: str
    date_to: str
    changes: list[StoredChange]


def snapshot_on(ctx: RunContext, source: DatedSource, date: str) -> Snapshot:
    """The parsed list as of ``date``: from the store if fetched before, else fetched and kept."""
    name = source.info.name
    own = ctx.settings.source(name)
    started = ctx.clock()
    cached = ctx.store.as_of(name, date)
    if cached is not None:
        url, raw = cached
        result = FetchResult(
            url=url,
            status=200,
            not_modified=False,
            content=raw,
            validators=Validators(),
            valid_for=date,
        )
        return parse_snapshot(source, own, result, started, {})
    ctx.progress(name, f"fetching {date}")
    result = source.fetch_as_of(ctx.client, own, date)
    snapshot = parse_snapshot(source, own, result, started, {})
    ctx.store.record_archived(
        run_info(name, result.url, started, ctx.clock(), result), snapshot, result.content
    )
    return snapshot


def compare_dates(ctx: RunContext, name: str, date_from: str, date_to: str) -> Comparison:
    """Diff the list as it stood on ``date_from`` against ``date_to``."""
    source = dated_source(name)
    before = snapshot_on(ctx, source, date_from)
    after = snapshot_on(ctx, source, date_to)
    provenance = Provenance(
        source=name,
        run_id=0,
        url=after.url,
        raw_sha256=after.raw_sha256,
        fetched_at=after.fetched_at,
    )
    changes = [
        StoredChange(id=0, change=change, provenance=provenance)
        for change in diff_records(before.records, after.records)
    ]
    return Comparison(name, date_from, date_to, changes)


def backfill(ctx: RunContext, name: str, since: str) -> list[RunSummary]:
    """Store every amendment date since ``since`` in order.

    Dates newer than the accepted snapshot go through the normal gate, diff and
    store (so their changes are reported); older ones are archived for
    comparisons only, since the accepted state already moved past them.
    """
    source = dated_source(name)
    own = ctx.settings.source(name)
    dates = source.amendment_dates(ctx.client, own, since)
    summaries = []
    for number, date in enumerate(dates, start=1):
        ctx.progress(name, f"date {number} of {len(dates)}: {date}")
        # The same per-source lock as a run: a daemon run of this source waits, and
        # each date is diffed against the state the previous one accepted.
        with source_lock(ctx.store.path, name, ctx.progress):
            summaries.append(_backfill_one(ctx, source, date))
    return summaries


def _backfill_one(ctx: RunContext, source: DatedSource, date: str) -> RunSummary:
    name = source.info.name
    accepted = ctx.store.accepted_valid_for(name)
    if accepted is not None and date <= accepted:
        if ctx.store.as_of(name, date) is None:
            snapshot_on(ctx, source, date)
        return RunSummary(name, RunOutcome.ARCHIVED, None, message=f"{date} kept for comparisons")
    started = ctx.clock()
    try:
        result = source.fetch_as_of(ctx.client, ctx.settings.source(name), date)
    except EcmonError as error:
        return RunSummary(name, RunOutcome.FAILED, None, message=str(error), error_kind=error.kind)
    summary = ingest(ctx, source, result, started, {})
    return RunSummary(
        summary.source,
        summary.outcome,
        summary.run_id,
        summary.record_count,
        summary.added,
        summary.removed,
        summary.modified,
        f"{date}: {summary.message}",
        summary.error_kind,
    )
