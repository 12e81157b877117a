"""The store's alert tables (schema: ``_migration_5`` and ``_migration_8`` in
``monitor.store.schema``).

``source_alerts`` holds the alert state of each source (``broken`` / ``ok``). A state
change and the messages announcing it are written in one transaction that first checks
the state is still the one the caller judged from (compare and set), so the same breakage
is never recorded, or sent, twice. The messages go into the one outbox
(``monitor.store.outbox``) beside the digests, with no ``digest_id`` and an ``event_key``;
they are sent, retried and given up on exactly as digest messages are.
All SQL runs through ``Store``'s helpers, so errors surface as ``StoreError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from monitor.models import SourceStatus
from monitor.store import Store, codec
from monitor.store.outbox import Delivery, NewDelivery, delivery_of, insert_messages

_SCOPE = "alerts"  # names the transaction in StoreError messages


@dataclass(frozen=True)
class SourceAlert:
    """The alert state of one source: what was last announced, why and when."""

    source: str
    state: str  # broken | ok
    reason: str
    changed_at: str


# ----------------------------------------------------------------- reads


def alert_states(store: Store) -> dict[str, SourceAlert]:
    rows = store.db.rows("SELECT * FROM source_alerts ORDER BY source")
    return {
        row["source"]: SourceAlert(
            row["source"], row["state"], row["reason"] or "", row["changed_at"]
        )
        for row in rows
    }


def broken_sources(store: Store) -> set[str]:
    return {name for name, alert in alert_states(store).items() if alert.state == "broken"}


def messages(store: Store, kind: str | None = None) -> list[Delivery]:
    """Every stored alert message (of one kind), oldest first."""
    where, params = ("kind = ?", (kind,)) if kind else ("kind NOT IN ('digest', 'test')", ())
    rows = store.db.rows(f"SELECT * FROM outbox WHERE {where} ORDER BY id", params)
    return [delivery_of(row) for row in rows]


def unalerted_hits(store: Store, hits: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """The (hit id, content hash) pairs not alerted yet, in the order given."""
    rows = store.db.rows("SELECT hit_id, content_hash FROM alerted_hits")
    done = {(int(row["hit_id"]), str(row["content_hash"])) for row in rows}
    return [pair for pair in dict.fromkeys(hits) if pair not in done]


def run_counts(store: Store) -> dict[tuple[str, str], int]:
    """How many runs each (source, outcome) has had."""
    rows = store.db.rows("SELECT source, outcome, count(*) AS n FROM runs GROUP BY source, outcome")
    return {(row["source"], row["outcome"]): int(row["n"]) for row in rows}


def alert_counts(store: Store) -> dict[tuple[str, str], int]:
    """How many alert messages each (kind, status) has."""
    rows = store.db.rows(
        "SELECT kind, status, count(*) AS n FROM outbox WHERE kind NOT IN ('digest', 'test')"
        " GROUP BY kind, status"
    )
    return {(row["kind"], row["status"]): int(row["n"]) for row in rows}


def statuses_with_alerts(store: Store, sources: Sequence[tuple[str, bool]]) -> list[SourceStatus]:
    """``Store.statuses`` with each source's alert in ``details`` (for the digest's
    source-health section): ``alert`` = ``broken`` while alerted as broken, or
    ``recovered`` when it recovered after the newest digest was queued; ``alert_since``
    and ``alert_reason`` say when and why."""
    states = alert_states(store)
    row = store.db.one("SELECT max(created_at) AS at FROM digests")
    last_digest = str(row["at"]) if row is not None and row["at"] else ""
    found = []
    for status in store.statuses(sources):
        alert = states.get(status.source)
        recent = alert is not None and alert.state == "ok" and alert.changed_at > last_digest
        if alert is not None and (alert.state == "broken" or recent):
            details = {
                "alert": "broken" if alert.state == "broken" else "recovered",
                "alert_since": alert.changed_at,
                "alert_reason": alert.reason,
            }
            status = replace(status, details={**status.details, **details})
        found.append(status)
    return found


# ---------------------------------------------------------------- writes


def record_transition(
    store: Store,
    source: str,
    state: str,
    reason: str,
    at: datetime,
    mails: Sequence[NewDelivery] = (),
) -> bool:
    """Move ``source`` to alert ``state`` (``broken`` or ``ok``) and queue ``mails``, in
    one transaction; False (nothing written) when it already is in that state."""
    now = codec.iso(at)
    with store.db.transaction(_SCOPE) as cur:
        current = cur.execute(
            "SELECT state FROM source_alerts WHERE source = ?", (source,)
        ).fetchone()
        if (current[0] if current else "ok") == state:
            return False
        cur.execute(
            "INSERT INTO source_alerts (source, state, reason, changed_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (source) DO UPDATE SET state = excluded.state,"
            " reason = excluded.reason, changed_at = excluded.changed_at",
            (source, state, reason, now),
        )
        insert_messages(cur, mails, now)
    return True


def record_hit_alert(
    store: Store, hits: Sequence[tuple[int, str]], at: datetime, mails: Sequence[NewDelivery]
) -> bool:
    """Mark ``hits`` (hit id, content hash) alerted and queue ``mails``, in one
    transaction; False (nothing written) when any of them was alerted meanwhile."""
    now = codec.iso(at)
    with store.db.transaction(_SCOPE) as cur:
        for pair in hits:
            seen = cur.execute(
                "SELECT 1 FROM alerted_hits WHERE hit_id = ? AND content_hash = ?", pair
            ).fetchone()
            if seen is not None:
                return False  # nothing written yet: the caller reads again next time
        cur.executemany(
            "INSERT INTO alerted_hits (hit_id, content_hash, alerted_at) VALUES (?, ?, ?)",
            [(hit_id, content_hash, now) for hit_id, content_hash in hits],
        )
        insert_messages(cur, mails, now)
    return True
