"""Held snapshots and their review (schema: ``_migration_7`` in ``monitor.store.schema``).

A snapshot the gate holds keeps its records (``records_data``) and waits with
``review = 'pending'``. Accepting it applies exactly those records in one transaction
that also checks the accepted state is still the one the changes were computed from,
records the accepting run (``runs.review_of``, who and why) and marks the held
snapshot ``accepted``; rejecting marks it ``rejected`` with who and why. A newer good
snapshot marks it ``superseded`` (``RunWriter.supersede_held``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.errors import StoreError
from monitor.models import Change, RunInfo, Snapshot
from monitor.store import Store, codec
from monitor.store import write as w

_SCOPE = "review"


@dataclass(frozen=True)
class Held:
    """A held (suspect) snapshot and its review."""

    run_id: int  # the run that fetched and held it
    snapshot_id: int
    source: str
    url: str
    raw_sha256: str
    fetched_at: str
    record_count: int
    reason: str  # why the gate held it
    review: str | None  # pending | accepted | rejected | superseded (None: held before reviews)
    reviewed_at: str | None = None
    reviewed_by: str | None = None
    review_reason: str | None = None
    review_run_id: int | None = None  # the run that accepted (or superseded) it

    @property
    def pending(self) -> bool:
        return self.review == "pending"


@dataclass(frozen=True)
class Decision:
    """A review decision as status and the digest show it."""

    source: str
    held_run_id: int
    decision: str  # accepted | rejected
    by: str
    at: str
    reason: str
    run_id: int | None  # the accepting run


_HELD_COLUMNS = (
    "s.run_id, s.id AS snapshot_id, s.source, s.url, s.raw_sha256, s.fetched_at,"
    " s.record_count, coalesce(s.reason, '') AS reason, s.review, s.reviewed_at,"
    " s.reviewed_by, s.review_reason, s.review_run_id"
)


def _held(row: sqlite3.Row) -> Held:
    return Held(**dict(zip(row.keys(), tuple(row), strict=True)))


def held(store: Store, run_id: int) -> Held | None:
    """The snapshot held by run ``run_id``; None if that run held none."""
    row = store.db.one(
        f"SELECT {_HELD_COLUMNS} FROM snapshots s WHERE s.run_id = ? AND s.status = 'suspect'",
        (run_id,),
    )
    return None if row is None else _held(row)


def pending(store: Store, source: str | None = None) -> list[Held]:
    """Snapshots waiting for review, newest first."""
    where, params = "s.review = 'pending'", list[object]()
    if source is not None:
        where, params = where + " AND s.source = ?", [source]
    rows = store.db.rows(
        f"SELECT {_HELD_COLUMNS} FROM snapshots s WHERE {where} ORDER BY s.run_id DESC", params
    )
    return [_held(row) for row in rows]


def held_snapshot(store: Store, item: Held) -> Snapshot:
    """The held snapshot with the records it was held with."""
    row = store.db.one("SELECT records_data FROM snapshots WHERE id = ?", (item.snapshot_id,))
    if row is None or row["records_data"] is None:
        raise StoreError(
            f"run {item.run_id}: the held snapshot's records are not kept"
            f" (review {item.review or 'unknown: held before ecmon kept them'})",
            source=item.source,
        )
    return Snapshot(
        source=item.source,
        url=item.url,
        raw_sha256=item.raw_sha256,
        fetched_at=datetime.fromisoformat(item.fetched_at),
        records=codec.records_from_blob(bytes(row["records_data"])),
    )


def accepted_snapshot_id(store: Store, source: str) -> int | None:
    row = store.db.one("SELECT accepted_snapshot_id FROM source_state WHERE source = ?", (source,))
    return None if row is None or row[0] is None else int(row[0])


def accept(
    store: Store,
    item: Held,
    run: RunInfo,
    snapshot: Snapshot,
    changes: Sequence[Change],
    *,
    by: str,
    reason: str,
    based_on: int | None,
) -> int:
    """Accept the held snapshot: one transaction applies ``changes`` (diff of the
    accepted state ``based_on`` and the held records) and records the accepting run.
    Refused if the held snapshot is no longer pending or the accepted state moved."""
    with store.db.transaction(item.source) as cur:
        now = cur.execute(
            "SELECT s.review, st.accepted_snapshot_id FROM snapshots s"
            " LEFT JOIN source_state st ON st.source = s.source WHERE s.id = ?",
            (item.snapshot_id,),
        ).fetchone()
        if now is None or now[0] != "pending":
            raise StoreError(
                f"run {item.run_id} is not waiting for review ({now[0] if now else 'gone'})",
                source=item.source,
            )
        if now[1] != based_on:
            raise StoreError(
                f"the accepted state of {item.source} changed while run {item.run_id} was"
                " being accepted; review it again",
                source=item.source,
            )
        writer = w.RunWriter(cur, run, w.accepted_outcome(changes, baseline=False))
        run_id = writer.insert_run(
            raw_sha256=item.raw_sha256,
            record_count=snapshot.count,
            review_of=item.run_id,
            reviewed_by=by,
            review_reason=reason,
            **w.change_counts(changes),
        )
        snapshot_id = writer.insert_snapshot(snapshot, "accepted")
        writer.apply_changes(changes)
        writer.sync_records(snapshot.records, strict=True)
        writer.replace_rows({})  # written whole: the next run reads every row afresh
        cur.execute("UPDATE search_state SET stale = 1 WHERE id = 1")
        writer.mark_success(snapshot_id=snapshot_id, keep_validators=False)
        _decide(cur, item, "accepted", writer.at, by, reason, run_id)
        writer.supersede_held(before_run=item.run_id)  # older held snapshots are moot now
    return run_id


def reject(store: Store, item: Held, *, at: datetime, by: str, reason: str) -> None:
    """Reject the held snapshot: it is never applied; who, when and why are kept."""
    with store.db.transaction(item.source) as cur:
        row = cur.execute("SELECT review FROM snapshots WHERE id = ?", (item.snapshot_id,))
        found = row.fetchone()
        if found is None or found[0] != "pending":
            raise StoreError(
                f"run {item.run_id} is not waiting for review ({found[0] if found else 'gone'})",
                source=item.source,
            )
        _decide(cur, item, "rejected", codec.iso(at), by, reason, None)


def _decide(
    cur: sqlite3.Cursor,
    item: Held,
    decision: str,
    at: str,
    by: str,
    reason: str,
    run_id: int | None,
) -> None:
    cur.execute(
        "UPDATE snapshots SET review = ?, reviewed_at = ?, reviewed_by = ?, review_reason = ?,"
        " review_run_id = ?, records_data = NULL WHERE id = ?",
        (decision, at, by, reason, run_id, item.snapshot_id),
    )


def decisions_for_runs(store: Store, run_ids: Iterable[int]) -> list[Decision]:
    """The acceptances whose accepting run is one of ``run_ids``, oldest first."""
    wanted = sorted(set(run_ids))
    found: list[Decision] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found += _decisions(store, f"s.review = 'accepted' AND s.review_run_id IN ({marks})", chunk)
    return sorted(found, key=lambda d: d.run_id or 0)


def last_decisions(store: Store, since: str | None = None) -> list[Decision]:
    """Review decisions (accepted, rejected), newest first; ``since``: decided at or after."""
    where, params = "s.review IN ('accepted', 'rejected')", list[object]()
    if since is not None:
        where, params = where + " AND s.reviewed_at >= ?", [since]
    return _decisions(store, where, params)


def _decisions(store: Store, where: str, params: Sequence[object]) -> list[Decision]:
    rows = store.db.rows(
        "SELECT s.source, s.run_id, s.review, s.reviewed_by, s.reviewed_at,"
        f" coalesce(s.review_reason, '') AS why, s.review_run_id FROM snapshots s WHERE {where}"
        " ORDER BY s.reviewed_at DESC, s.id DESC",
        params,
    )
    return [
        Decision(
            source=row["source"],
            held_run_id=row["run_id"],
            decision=row["review"],
            by=row["reviewed_by"] or "",
            at=row["reviewed_at"] or "",
            reason=row["why"],
            run_id=row["review_run_id"],
        )
        for row in rows
    ]
