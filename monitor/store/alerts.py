"""The store's alert tables (schema: ``_migration_5`` in ``monitor.store.schema``).

``source_alerts`` holds the alert state of each source (``broken`` / ``ok``). A state
change and the mails announcing it are written in one transaction that first checks the
state is still the one the caller judged from (compare and set), so the same breakage is
never recorded, or mailed, twice. ``alert_messages`` is an outbox for alerts: a row stays
``pending`` until the channel accepted it, with attempts and a backoff like the digest
outbox (``monitor.store.outbox``); after too many attempts it is ``failed``.
All SQL runs through ``Store``'s helpers, so errors surface as ``StoreError``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from monitor.models import SourceStatus
from monitor.store import Store, codec

_SCOPE = "alerts"  # names the transaction in StoreError messages


@dataclass(frozen=True)
class SourceAlert:
    """The alert state of one source: what was last announced, why and when."""

    source: str
    state: str  # broken | ok
    reason: str
    changed_at: str


@dataclass(frozen=True)
class NewAlert:
    """One rendered alert mail for one recipient, to store until it is sent."""

    kind: str  # broken | recovered | watchlist_hit
    event_key: str  # the event it announces: one mail per event and recipient
    source: str
    recipient: str
    sender: str
    subject: str
    text_body: str
    html_body: str
    message_id: str


@dataclass(frozen=True)
class AlertMessage:
    """A stored alert mail."""

    id: int
    kind: str
    source: str
    recipient: str
    status: str
    attempts: int
    sender: str
    subject: str
    text_body: str
    html_body: str
    message_id: str
    created_at: str


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


def due_alerts(store: Store, now: datetime) -> list[AlertMessage]:
    """Pending alert mails whose next attempt is due, oldest first."""
    rows = store.db.rows(
        "SELECT * FROM alert_messages WHERE status = 'pending' AND next_attempt_at <= ?"
        " ORDER BY id",
        (codec.iso(now),),
    )
    return [_message(row) for row in rows]


def messages(store: Store, kind: str | None = None) -> list[AlertMessage]:
    """Every stored alert mail (of one kind), oldest first."""
    where, params = ("kind = ?", (kind,)) if kind else ("1", ())
    rows = store.db.rows(f"SELECT * FROM alert_messages WHERE {where} ORDER BY id", params)
    return [_message(row) for row in rows]


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
    """How many alert mails each (kind, status) has."""
    rows = store.db.rows(
        "SELECT kind, status, count(*) AS n FROM alert_messages GROUP BY kind, status"
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
    mails: Sequence[NewAlert] = (),
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
        _queue(cur, mails, now)
    return True


def record_hit_alert(
    store: Store, hits: Sequence[tuple[int, str]], at: datetime, mails: Sequence[NewAlert]
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
        _queue(cur, mails, now)
    return True


def mark_sent(store: Store, alert_id: int, at: datetime) -> None:
    with store.db.transaction(_SCOPE) as cur:
        cur.execute(
            "UPDATE alert_messages SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
            " last_error = NULL WHERE id = ?",
            (codec.iso(at), alert_id),
        )


def mark_failed(
    store: Store, alert_id: int, error: str, next_attempt_at: datetime, *, give_up: bool
) -> None:
    with store.db.transaction(_SCOPE) as cur:
        cur.execute(
            "UPDATE alert_messages SET status = ?, attempts = attempts + 1, last_error = ?,"
            " next_attempt_at = ? WHERE id = ?",
            ("failed" if give_up else "pending", error, codec.iso(next_attempt_at), alert_id),
        )


def _queue(cur: sqlite3.Cursor, mails: Sequence[NewAlert], now: str) -> None:
    for mail in mails:
        cur.execute(
            "INSERT OR IGNORE INTO alert_messages (kind, event_key, source, recipient, status,"
            " attempts, next_attempt_at, message_id, sender, subject, text_body, html_body,"
            " created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?)",
            (mail.kind, mail.event_key, mail.source, mail.recipient, now, mail.message_id,
             mail.sender, mail.subject, mail.text_body, mail.html_body, now),
        )  # fmt: skip


def _message(row: sqlite3.Row) -> AlertMessage:
    return AlertMessage(
        id=int(row["id"]),
        kind=row["kind"],
        source=row["source"] or "",
        recipient=row["recipient"],
        status=row["status"],
        attempts=int(row["attempts"]),
        sender=row["sender"],
        subject=row["subject"],
        text_body=row["text_body"],
        html_body=row["html_body"],
        message_id=row["message_id"],
        created_at=row["created_at"],
    )
