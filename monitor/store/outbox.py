"""The store's digest and outbox tables (schema: ``_migration_3`` in ``monitor.store.schema``).

A digest covers a contiguous range of change ids (``first_change_id < id <=
last_change_id``). Change ids only grow, so "not yet queued" is simply every change
above the highest covered id, and queuing checks that bound again inside its
transaction: two processes composing at once cannot queue the same changes twice.

An outbox row moves ``pending`` → ``sending`` (claimed, with a lease) → ``sent``;
a failed attempt puts it back to ``pending`` with ``attempts``, ``last_error`` and a
later ``next_attempt_at``; after too many attempts it is ``failed`` until retried by
hand. A row left ``sending`` by a crash is claimable again once its lease expires.
All SQL runs through ``Store``'s helpers, so errors surface as ``StoreError``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.models import StoredChange
from monitor.store import Store, codec

_DUE = (
    "(status = 'pending' AND (next_attempt_at <= :now OR :ignore_backoff))"
    " OR (status = 'failed' AND :ignore_backoff)"
    " OR (status = 'sending' AND lease_until < :now)"
)


@dataclass(frozen=True)
class NewDelivery:
    """One rendered message to queue for one recipient."""

    channel: str
    recipient: str
    sender: str
    subject: str
    text_body: str
    html_body: str
    message_id: str


@dataclass(frozen=True)
class Delivery:
    """An outbox row."""

    id: int
    digest_id: int
    channel: str
    recipient: str
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    message_id: str
    sender: str
    subject: str
    text_body: str
    html_body: str
    created_at: str
    sent_at: str | None


class OutboxStore:
    """Digest and outbox rows of one open ``Store``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # ----------------------------------------------------------------- reads

    def queued_through(self) -> int:
        """The highest change id any queued digest covers (0 when none)."""
        row = self._store.db.one("SELECT coalesce(max(last_change_id), 0) AS n FROM digests")
        return int(row["n"]) if row else 0

    def newest_change_id(self) -> int:
        row = self._store.db.one("SELECT coalesce(max(id), 0) AS n FROM changes")
        return int(row["n"]) if row else 0

    def changes_in(self, after: int, through: int) -> list[StoredChange]:
        """Stored changes with ``after < id <= through``."""
        return self._store.load_changes("c.id > ? AND c.id <= ?", (after, through))

    def undelivered_changes(self) -> list[StoredChange]:
        """Changes no delivered digest covers (queued but unsent ones included)."""
        return self._store.load_changes(
            "NOT EXISTS (SELECT 1 FROM digests d WHERE d.delivered_at IS NOT NULL"
            " AND c.id > d.first_change_id AND c.id <= d.last_change_id)",
            (),
        )

    def last_health_key(self) -> str:
        """The source-health fingerprint of the newest digest ("" when none)."""
        row = self._store.db.one("SELECT health_key FROM digests ORDER BY id DESC LIMIT 1")
        return str(row["health_key"] or "") if row else ""

    def deliveries(self, limit: int = 50) -> list[Delivery]:
        """Outbox rows, newest first."""
        rows = self._store.db.rows("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,))
        return [_delivery(row) for row in rows]

    def delivery(self, delivery_id: int) -> Delivery | None:
        row = self._store.db.one("SELECT * FROM outbox WHERE id = ?", (delivery_id,))
        return None if row is None else _delivery(row)

    # ---------------------------------------------------------------- writes

    def queue(
        self,
        *,
        after: int,
        through: int,
        change_count: int,
        health_key: str,
        heartbeat: bool,
        subject: str,
        created_at: datetime,
        deliveries: Sequence[NewDelivery],
    ) -> int | None:
        """Queue a digest covering ``after < id <= through`` with its messages, in one
        transaction; None (nothing written) when another process queued past ``after``."""
        now = codec.iso(created_at)
        with self._store.db.transaction("outbox") as cur:
            covered = cur.execute("SELECT coalesce(max(last_change_id), 0) FROM digests")
            if int(covered.fetchone()[0]) != after:
                return None
            cur.execute(
                "INSERT INTO digests (created_at, first_change_id, last_change_id, change_count,"
                " health_key, heartbeat, subject, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (now, after, through, change_count, health_key, int(heartbeat), subject,
                 None if deliveries else now),  # nobody to send to: delivered as queued
            )  # fmt: skip
            digest_id = int(cur.lastrowid or 0)
            for item in deliveries:
                cur.execute(
                    "INSERT INTO outbox (digest_id, channel, recipient, status, attempts,"
                    " next_attempt_at, message_id, sender, subject, text_body, html_body,"
                    " created_at) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?)",
                    (digest_id, item.channel, item.recipient, now, item.message_id, item.sender,
                     item.subject, item.text_body, item.html_body, now),
                )  # fmt: skip
        return digest_id

    def claim_next(
        self, now: datetime, lease_until: datetime, *, ignore_backoff: bool, skip: Sequence[int]
    ) -> Delivery | None:
        """Claim the oldest due row (not in ``skip``) for sending; None when none is due.

        The claim is its own write transaction, so two senders never claim one row.
        """
        params: dict[str, object] = {"now": codec.iso(now), "ignore_backoff": int(ignore_backoff)}
        params.update({f"skip{i}": value for i, value in enumerate(skip)})
        not_skipped = f" AND id NOT IN ({', '.join(f':skip{i}' for i in range(len(skip)))})"
        with self._store.db.transaction("outbox") as cur:
            cur.row_factory = sqlite3.Row
            row = cur.execute(
                f"SELECT * FROM outbox WHERE ({_DUE}){not_skipped if skip else ''}"
                " ORDER BY id LIMIT 1",
                params,
            ).fetchone()
            if row is None:
                return None
            cur.execute(
                "UPDATE outbox SET status = 'sending', lease_until = ? WHERE id = ?",
                (codec.iso(lease_until), row["id"]),
            )
        return _delivery(row)

    def mark_sent(self, delivery_id: int, now: datetime) -> None:
        """Record that the channel accepted the message; the digest is delivered once
        every one of its rows is."""
        at = codec.iso(now)
        with self._store.db.transaction("outbox") as cur:
            cur.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, lease_until = NULL,"
                " attempts = attempts + 1, last_error = NULL WHERE id = ?",
                (at, delivery_id),
            )
            cur.execute(
                "UPDATE digests SET delivered_at = ? WHERE id = (SELECT digest_id FROM outbox"
                " WHERE id = ?) AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.digest_id ="
                " digests.id AND o.status != 'sent')",
                (at, delivery_id),
            )

    def release(self, delivery_id: int) -> None:
        """Undo a claim without counting an attempt (the send never started)."""
        with self._store.db.transaction("outbox") as cur:
            cur.execute(
                "UPDATE outbox SET status = 'pending', lease_until = NULL"
                " WHERE id = ? AND status = 'sending'",
                (delivery_id,),
            )

    def mark_failed(
        self, delivery_id: int, error: str, next_attempt_at: datetime, *, give_up: bool
    ) -> None:
        """Record a failed attempt: back to pending with a later retry time, or failed."""
        with self._store.db.transaction("outbox") as cur:
            cur.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = ?, lease_until = NULL WHERE id = ?",
                ("failed" if give_up else "pending", error, codec.iso(next_attempt_at),
                 delivery_id),
            )  # fmt: skip


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        digest_id=row["digest_id"],
        channel=row["channel"],
        recipient=row["recipient"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        message_id=row["message_id"],
        sender=row["sender"],
        subject=row["subject"],
        text_body=row["text_body"],
        html_body=row["html_body"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
    )
