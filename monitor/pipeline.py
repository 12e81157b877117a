"""One run: fetch, parse, gate, diff and store, per source.

Every source is isolated: an error in one is recorded against that source
(its stored state untouched) and the run goes on with the next. The CLI and
the daemon both call ``run_sources``; only they turn results into messages.

Runs of one source never overlap (``monitor.locks.source_lock``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.config import Settings, SourceSettings
from monitor.diff import changed_keys, diff_records
from monitor.errors import EcmonError, ParseError, StoreError
from monitor.gate import GateLimits, ListWindow, change_problems, count_problem, shrink_problem
from monitor.http import FetchResult, HttpClient, Validators
from monitor.incremental import read_delta, stream_baseline
from monitor.locks import Progress, quiet, source_lock
from monitor.models import (
    Change,
    Record,
    RowIndex,
    RunInfo,
    RunOutcome,
    RunSummary,
    Snapshot,
    utc_now,
)
from monitor.sources import REGISTRY, Source
from monitor.sources.base import RowSource
from monitor.store import SourceState, Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class RunContext:
    """What a run needs from outside: settings, store, HTTP client, clock, progress sink."""

    settings: Settings
    store: Store
    client: HttpClient
    clock: Clock = utc_now
    progress: Progress = quiet


def selected_sources(settings: Settings, names: Sequence[str] = ()) -> list[str]:
    """Names to run: the ones asked for (even if disabled), else every enabled source."""
    for name in names:
        settings.source(name)  # raises ConfigError for an unknown name
    if names:
        return list(names)
    return [name for name, src in settings.sources.items() if src.enabled]


def run_sources(ctx: RunContext, names: Iterable[str]) -> list[RunSummary]:
    """Run each source in turn; a database error stops only the source it happened in
    (a long foreign write lock once stopped every source after the first)."""
    return [_guarded(ctx, REGISTRY[name]) for name in names]


def _guarded(ctx: RunContext, source: Source) -> RunSummary:
    try:
        return run_source(ctx, source)
    except StoreError as error:
        name = source.info.name
        if error.source is None:
            error.source = name
        log.error("%s: database error, going on with the other sources: %s", name, error)
        # Not in the database: noted beside it, so status sees it (a full disk).
        noted = ctx.store.note_unrecorded(name, ctx.clock(), str(error))
        where = f"noted in {ctx.store.unrecorded.path}" if noted else "could not be noted either"
        return RunSummary(
            name,
            RunOutcome.FAILED,
            None,
            message=f"database error (not recorded; {where}): {error}",
            error_kind=error.kind,
            exit_code=error.exit_code,
        )


def run_source(ctx: RunContext, source: Source) -> RunSummary:
    """Run one source end to end; never raises for a source-level problem."""
    with source_lock(ctx.store.path, source.info.name, ctx.progress):
        return _run_source(ctx, source)


def _run_source(ctx: RunContext, source: Source) -> RunSummary:
    name = source.info.name
    own = ctx.settings.source(name)
    started = ctx.clock()
    ctx.progress(name, "fetching")
    # Gathered once: what the store remembers of this source (validators, the accepted
    # snapshot's raw hash) is read here and passed down, never asked for again in the run.
    accepted = _Accepted(ctx.store.source_state(name))
    previous = ctx.store.accepted_records(name) if source.info.accumulate else {}
    try:
        result = source.fetch(ctx.client, own, accepted.validators(), previous)
    except EcmonError as error:
        return _failed(ctx, run_info(name, own.url, started, ctx.clock()), error, None)
    except Exception as error:  # a bug in one source must not stop the others
        internal = EcmonError(f"internal error: {error!r}", source=name, url=own.url)
        return _failed(ctx, run_info(name, own.url, started, ctx.clock()), internal, None)
    return _ingest(ctx, source, result, started, previous, accepted)


@dataclass(frozen=True)
class _Accepted:
    """What one run needs of the source's stored state, read once at its start."""

    state: SourceState | None  # None: the source never ran

    @property
    def raw_sha256(self) -> str | None:
        """The raw hash of the accepted snapshot; None before the baseline."""
        return self.state.accepted_raw_sha256 if self.state else None

    def validators(self) -> Validators | None:
        """Validators of the accepted snapshot; none before there is one to compare with."""
        state = self.state
        if state is None or state.accepted_raw_sha256 is None:
            return None
        if not (state.etag or state.last_modified):
            return None
        return Validators(etag=state.etag, last_modified=state.last_modified)


def ingest(
    ctx: RunContext,
    source: Source,
    result: FetchResult,
    started: datetime,
    previous: Mapping[str, Record],
) -> RunSummary:
    """Everything after the fetch: skip unchanged bytes, parse, gate, diff, store."""
    accepted = _Accepted(ctx.store.source_state(source.info.name))
    return _ingest(ctx, source, result, started, previous, accepted)


def _ingest(
    ctx: RunContext,
    source: Source,
    result: FetchResult,
    started: datetime,
    previous: Mapping[str, Record],
    accepted: _Accepted,
) -> RunSummary:
    name = source.info.name
    own = ctx.settings.source(name)
    info = run_info(name, result.url, started, ctx.clock(), result)
    if result.not_modified:
        return _unchanged(ctx, info, RunOutcome.NOT_MODIFIED, "not modified since the last check")
    raw_sha = hashlib.sha256(result.content).hexdigest()  # once per run, passed down
    if raw_sha == accepted.raw_sha256:
        return _unchanged(ctx, info, RunOutcome.UNCHANGED, "same bytes as the accepted snapshot")
    ctx.progress(name, "parsing")
    baseline = accepted.raw_sha256 is None
    if baseline:
        streamed = _streamed_baseline(ctx, source, info, result, started, raw_sha)
        if streamed is not None:
            return streamed
    try:
        snapshot = read_snapshot(
            ctx.store, source, own, result, started, previous, raw_sha=raw_sha, baseline=baseline
        )
    except EcmonError as error:
        return _failed(ctx, info, error, result.content)
    except Exception as error:
        internal = ParseError(f"parser crashed: {error!r}", source=name, url=result.url)
        return _failed(ctx, info, internal, result.content)
    ctx.progress(name, "diffing")
    return _gate_diff_store(ctx, info, own, snapshot, result.content, baseline=baseline)


def _streamed_baseline(
    ctx: RunContext,
    source: Source,
    info: RunInfo,
    result: FetchResult,
    at: datetime,
    raw_sha: str,
) -> RunSummary | None:
    """A baseline of a file read row by row, stored while it is read, one batch of
    Records at a time (``monitor.incremental.stream_baseline``) in one transaction;
    the count gate decides before anything is accepted. None when the source is not
    read row by row, or the store still holds records of it (then it is read whole)."""
    name = source.info.name
    if not isinstance(source, RowSource) or source.info.accumulate:
        return None
    if ctx.store.record_count(name):
        return None
    own = ctx.settings.source(name)
    limits = gate_limits(ctx.settings, own, REGISTRY[name].info.act_fields)
    header = Snapshot(name, result.url, raw_sha, at, {}, valid_for=result.valid_for)
    try:
        reader = source.row_reader(result.content, url=result.url, settings=own)
        if reader is None:
            return None
        run_id, count, problem = ctx.store.record_streamed_baseline(
            info,
            header,
            result.content,
            lambda sink: stream_baseline(reader, sink),
            lambda count: count_problem(count, limits),
        )
    except StoreError:
        raise  # the database's, not the file's: ``_guarded`` notes it beside the database
    except EcmonError as error:
        return _failed(ctx, info, error, result.content)
    except Exception as error:
        internal = ParseError(f"parser crashed: {error!r}", source=name, url=result.url)
        return _failed(ctx, info, internal, result.content)
    if problem is not None:
        return RunSummary(name, RunOutcome.SUSPECT, run_id, count, message=problem)
    return _accepted_summary(name, run_id, replace(header, total=count), [], baseline=True)


def read_snapshot(
    store: Store,
    source: Source,
    own: SourceSettings,
    result: FetchResult,
    at: datetime,
    previous: Mapping[str, Record],
    *,
    raw_sha: str,
    baseline: bool,
) -> Snapshot:
    """The fetched bytes (``raw_sha``: their hash) as a partial snapshot when the source
    reads row by row (only rows new since the accepted state are parsed,
    ``monitor.incremental``), else whole."""
    reader = None
    if isinstance(source, RowSource) and not source.info.accumulate:
        reader = source.row_reader(result.content, url=result.url, settings=own)
    if reader is None:
        return _parse(source, own, result, at, previous, raw_sha)
    name = source.info.name
    # A baseline is read whole: nothing accepted can stand for its rows.
    index = RowIndex() if baseline else store.row_index(name)
    delta = read_delta(reader, index)
    return Snapshot(
        source=name,
        url=result.url,
        raw_sha256=raw_sha,
        fetched_at=at,
        records=delta.records,
        valid_for=result.valid_for,
        rows=delta.rows,
        removed=delta.removed,
        stale_rows=delta.stale_rows,
        total=delta.total,
    )


def parse_snapshot(
    source: Source,
    own: SourceSettings,
    result: FetchResult,
    at: datetime,
    previous: Mapping[str, Record],
) -> Snapshot:
    """Parse fetched bytes into a snapshot (feed sources merged with ``previous``)."""
    raw_sha = hashlib.sha256(result.content).hexdigest()
    return _parse(source, own, result, at, previous, raw_sha)


def _parse(
    source: Source,
    own: SourceSettings,
    result: FetchResult,
    at: datetime,
    previous: Mapping[str, Record],
    raw_sha: str,
) -> Snapshot:
    records = source.parse(result.content, url=result.url, settings=own)
    if source.info.accumulate:
        records = accumulate(source, previous, records)
    return build_snapshot(source.info.name, result, raw_sha, records, at)


def accumulate(
    source: Source, previous: Mapping[str, Record], parsed: Sequence[Record]
) -> list[Record]:
    """A feed source's new state: accepted feed items, updated by what was parsed,
    plus the derived lists rebuilt from all of them."""
    feed = {k: r for k, r in previous.items() if r.list_name in source.info.feed_lists}
    feed.update((r.key, r) for r in parsed)
    return [*feed.values(), *source.derive(feed)]


def build_snapshot(
    source: str, result: FetchResult, raw_sha: str, records: Sequence[Record], at: datetime
) -> Snapshot:
    by_key: dict[str, Record] = {}
    for record in records:
        if record.key in by_key:
            raise ParseError(
                f"two records share the key {record.key!r}", source=source, url=result.url
            )
        by_key[record.key] = record
    return Snapshot(
        source=source,
        url=result.url,
        raw_sha256=raw_sha,
        fetched_at=at,
        records=by_key,
        valid_for=result.valid_for,
    )


def _gate_diff_store(
    ctx: RunContext,
    info: RunInfo,
    own: SourceSettings,
    snapshot: Snapshot,
    raw: bytes,
    *,
    baseline: bool,
) -> RunSummary:
    name = info.source
    limits = gate_limits(ctx.settings, own, REGISTRY[name].info.act_fields)
    problem = count_problem(snapshot.count, limits)
    changes = [] if baseline or problem else _diff(ctx.store, name, snapshot)
    if problem is None and not baseline and changes:
        removed = sum(1 for c in changes if c.kind == "removed")
        problem = shrink_problem(ctx.store.record_count(name), removed, limits)
        problem = problem or _list_problem(ctx.store, name, changes, limits, info.started_at)
    if problem is not None:
        run_id = ctx.store.record_suspect(info, snapshot, raw, problem)
        return RunSummary(name, RunOutcome.SUSPECT, run_id, snapshot.count, message=problem)
    run_id = ctx.store.record_accepted(info, snapshot, changes, raw, baseline=baseline)
    return _accepted_summary(name, run_id, snapshot, changes, baseline=baseline)


def gate_limits(
    settings: Settings, own: SourceSettings, act_fields: Iterable[str] = ()
) -> GateLimits:
    gate, shrink = settings.gate, settings.shrink_limit(own.name)
    return GateLimits(
        own.min_records,
        own.max_records,
        shrink,
        max_removed=gate.max_removed,
        max_field_change=gate.max_field_change,
        max_blank=gate.max_blank,
        # a window is never stricter than one run may be
        max_window_shrink=max(gate.max_window_shrink, shrink),
        min_changes=gate.min_changes,
        window_days=gate.window_days,
        act_fields=frozenset(act_fields),
    )


def _list_problem(
    store: Store, name: str, changes: Sequence[Change], limits: GateLimits, at: datetime
) -> str | None:
    """The per-list checks (``monitor.gate.change_problems``), all reasons in one text."""
    since = at - timedelta(days=limits.window_days)
    window = {k: ListWindow(a, r) for k, (a, r) in store.window_counts(name, since).items()}
    problems = change_problems(changes, store.list_counts(name), window, limits)
    return "; ".join(problems) or None


def _diff(store: Store, name: str, snapshot: Snapshot) -> list[Change]:
    """Diff against the accepted state, loading only the records that can differ."""
    if snapshot.partial:  # its records are the keys whose rows changed
        keys = snapshot.records.keys() | snapshot.removed
        return diff_records(store.accepted_records(name, keys), snapshot.records)
    keys = changed_keys(store.accepted_hashes(name), snapshot.records)
    previous = store.accepted_records(name, keys)
    current = {k: snapshot.records[k] for k in keys if k in snapshot.records}
    return diff_records(previous, current)


def _accepted_summary(
    name: str, run_id: int, snapshot: Snapshot, changes: Sequence[Change], *, baseline: bool
) -> RunSummary:
    kinds = [c.kind for c in changes]
    added, removed, modified = (kinds.count(k) for k in ("added", "removed", "modified"))
    if baseline:
        outcome, message = RunOutcome.BASELINE, f"baseline of {snapshot.count} records stored"
    elif changes:
        outcome = RunOutcome.CHANGED
        message = f"{added} added, {modified} modified, {removed} removed"
    else:
        outcome, message = RunOutcome.UNCHANGED, "no changes"
    return RunSummary(name, outcome, run_id, snapshot.count, added, removed, modified, message)


def run_info(
    name: str, url: str, started: datetime, finished: datetime, result: FetchResult | None = None
) -> RunInfo:
    return RunInfo(
        source=name,
        url=url,
        started_at=started,
        finished_at=finished,
        http_status=result.status if result else None,
        etag=result.validators.etag if result else None,
        last_modified=result.validators.last_modified if result else None,
    )


def _unchanged(ctx: RunContext, info: RunInfo, outcome: RunOutcome, message: str) -> RunSummary:
    run_id = ctx.store.record_unchanged(info, outcome)
    count = ctx.store.record_count(info.source)
    return RunSummary(info.source, outcome, run_id, count, message=message)


def _failed(ctx: RunContext, info: RunInfo, error: EcmonError, raw: bytes | None) -> RunSummary:
    if error.source is None:
        error.source = info.source
    if error.url is None:
        error.url = info.url
    run_id = ctx.store.record_failure(info, error, raw)
    return RunSummary(
        info.source,
        RunOutcome.FAILED,
        run_id,
        message=str(error),
        error_kind=error.kind,
        exit_code=error.exit_code,
    )
