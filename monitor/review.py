"""Reviewing held snapshots: what one would change, and accepting or rejecting it.

The gate (``monitor.gate``) holds a snapshot that looks like a broken publication;
before this module the only way past it was to raise ``max_shrink``. Now the operator
looks at what it would change (``preview``), then ``accept``s it, which applies exactly
the stored records in one transaction as a run of its own that names who accepted it
and why (its changes are attributed to that run), or ``reject``s it. A newer good
snapshot supersedes a held one that was not reviewed (``monitor.store.write``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from monitor.diff import changed_keys, diff_records
from monitor.errors import ReviewError, StoreError
from monitor.models import (
    Change,
    Provenance,
    RunInfo,
    RunOutcome,
    RunSummary,
    Snapshot,
    StoredChange,
)
from monitor.store import Store
from monitor.store import review as held_store
from monitor.store.review import Decision, Held

__all__ = ["Decision", "Held", "Preview", "accept", "find", "pending", "preview", "reject"]


@dataclass(frozen=True)
class Preview:
    """A held snapshot and what accepting it now would change."""

    held: Held
    changes: list[StoredChange]


def pending(store: Store, source: str | None = None) -> list[Held]:
    return held_store.pending(store, source)


def find(store: Store, run_id: int | None) -> Held:
    """The held snapshot of ``run_id``, or the only one waiting when none is given."""
    if run_id is None:
        waiting = held_store.pending(store)
        if len(waiting) != 1:
            runs = ", ".join(str(h.run_id) for h in waiting) or "none"
            raise ReviewError(f"{len(waiting)} snapshots wait for review (runs: {runs}); name one")
        return waiting[0]
    item = held_store.held(store, run_id)
    if item is None:
        raise ReviewError(f"run {run_id} held no snapshot (see: ecmon status)")
    return item


def preview(store: Store, item: Held) -> Preview:
    """What accepting ``item`` now would change (nothing is written)."""
    _check_pending(item)
    snapshot = held_store.held_snapshot(store, item)
    changes = _diff(store, snapshot)
    provenance = Provenance(
        source=item.source,
        run_id=item.run_id,
        url=item.url,
        raw_sha256=item.raw_sha256,
        fetched_at=snapshot.fetched_at,
    )
    stored = [StoredChange(n, change, provenance) for n, change in enumerate(changes, 1)]
    return Preview(item, stored)


def accept(
    store: Store, item: Held, *, by: str, reason: str, clock: Callable[[], datetime]
) -> RunSummary:
    """Apply exactly the held records as the new accepted state, in one transaction,
    as a run that names the held run, who accepted it and why."""
    _check_pending(item)
    if not reason.strip():
        raise ReviewError("accepting a held snapshot needs a reason (--reason TEXT)")
    based_on = held_store.accepted_snapshot_id(store, item.source)
    snapshot = held_store.held_snapshot(store, item)
    changes = _diff(store, snapshot)
    now = clock()
    run = RunInfo(source=item.source, url=item.url, started_at=now, finished_at=now)
    run_id = held_store.accept(
        store, item, run, snapshot, changes, by=by, reason=reason.strip(), based_on=based_on
    )
    kinds = [c.kind for c in changes]
    added, removed, modified = (kinds.count(k) for k in ("added", "removed", "modified"))
    return RunSummary(
        item.source,
        RunOutcome.CHANGED if changes else RunOutcome.UNCHANGED,
        run_id,
        snapshot.count,
        added,
        removed,
        modified,
        message=(
            f"accepted the snapshot held by run {item.run_id} ({by}: {reason.strip()}):"
            f" {added} added, {modified} modified, {removed} removed"
        ),
    )


def reject(
    store: Store, item: Held, *, by: str, reason: str, clock: Callable[[], datetime]
) -> None:
    """Never apply the held snapshot; who, when and why are kept with it."""
    _check_pending(item)
    held_store.reject(store, item, at=clock(), by=by, reason=reason.strip())


def decisions(store: Store, since: str | None = None) -> list[Decision]:
    return held_store.last_decisions(store, since)


def _check_pending(item: Held) -> None:
    if item.pending:
        return
    if item.review is None:
        raise ReviewError(
            f"run {item.run_id} was held before ecmon kept held snapshots' records;"
            " run the source again"
        )
    who = f" by {item.reviewed_by}" if item.reviewed_by else ""
    when = f" at {item.reviewed_at}" if item.reviewed_at else ""
    by_run = f" (run {item.review_run_id})" if item.review_run_id else ""
    raise ReviewError(f"run {item.run_id}'s snapshot was already {item.review}{who}{when}{by_run}")


def _diff(store: Store, snapshot: Snapshot) -> list[Change]:
    """Diff the held records against the accepted state (only the keys that differ)."""
    if store.accepted_raw_sha256(snapshot.source) is None:
        raise StoreError(
            f"{snapshot.source} has no accepted state to review against", source=snapshot.source
        )
    keys = changed_keys(store.accepted_hashes(snapshot.source), snapshot.records)
    previous = store.accepted_records(snapshot.source, keys)
    current = {k: snapshot.records[k] for k in keys if k in snapshot.records}
    return diff_records(previous, current)
