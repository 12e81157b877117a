"""The store's digest and outbox tables (schema: ``_migration_3`` and ``_migration_8`` in
``monitor.store.schema``).

The outbox holds every message ecmon sends, whatever it carries (``kind``: a digest, a
"source broken" or "recovered" alert, a watchlist-hit alert, a channel test) and
whichever channel takes it (email, or a named Apprise channel): one claim, send and
retry path (``monitor.notify.outbox``) delivers them all.

A digest covers a contiguous range of change ids (``first_change_id < id <=
last_change_id``). Change ids only grow, so "not yet queued" is simply every change
above the highest covered id, and queuing checks that bound again inside its
transaction: two processes composing at once cannot queue the same changes twice.

An outbox row moves ``pending`` → ``sending`` (claimed, with a lease) → ``sent``;
a failed attempt puts it back to ``pending`` with ``attempts``, ``last_error`` and a
later ``next_attempt_at``; after too many attempts it is ``failed`` until retried by
hand. A row left ``sending`` by a crash is claimable again once its lease expires, or at once
with ``ignore_backoff`` (``--retry-now``) when the process named by its ``lease_owner`` is
gone (same host, pid no longer running) or unknown.
All SQL runs through ``Store``'s helpers, so errors surface as ``StoreError``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.models import StoredChange
from monitor.store import Store, codec

_DUE = (
    "(status = 'pending' AND (next_attempt_at <= :now OR :ignore_backoff))"
    " OR (status = 'failed' AND :ignore_backoff AND kind != 'test')"
    " OR (status = 'sending' AND lease_until < :now)"
)


# A ``sending`` row whose lease has not expired is still taken back by ``ignore_backoff``
# when its owner is not a live process: this host's, with a pid that no longer runs.
_LEASED = "status = 'sending' AND lease_until >= :now AND :ignore_backoff"


@dataclass(frozen=True)
class NewDelivery:
    """One rendered message to queue for one recipient of one channel."""

    channel: str  # "email" or the name of a configured channel
    recipient: str  # an email address, or the channel's name
    sender: str
    subject: str
    text_body: str
    html_body: str
    message_id: str
    kind: str = "digest"  # digest | broken | recovered | watchlist_hit | test
    event_key: str | None = None  # alerts: the event (one message per event and recipient)
    source: str = ""  # alerts: the source the event concerns


@dataclass(frozen=True)
class Delivery:
    """An outbox row."""

    id: int
    digest_id: int | None  # None: not a digest (an alert or a test)
    kind: str
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
    source: str = ""


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
        return [delivery_of(row) for row in rows]

    def delivery(self, delivery_id: int) -> Delivery | None:
        row = self._store.db.one("SELECT * FROM outbox WHERE id = ?", (delivery_id,))
        return None if row is None else delivery_of(row)

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
            insert_messages(cur, deliveries, now, digest_id=digest_id)
        return digest_id

    def queue_messages(self, deliveries: Sequence[NewDelivery], created_at: datetime) -> list[int]:
        """Queue messages that belong to no digest (e.g. a channel test); their ids."""
        with self._store.db.transaction("outbox") as cur:
            return insert_messages(cur, deliveries, codec.iso(created_at))

    def next_due_at(self) -> str | None:
        """When the earliest pending row (or expiring lease) comes due; None when none."""
        row = self._store.db.one(
            "SELECT min(CASE status WHEN 'pending' THEN next_attempt_at ELSE lease_until END)"
            " AS at FROM outbox WHERE status IN ('pending', 'sending')"
        )
        return None if row is None or row["at"] is None else str(row["at"])

    def claim_next(
        self,
        now: datetime,
        lease_until: datetime,
        *,
        ignore_backoff: bool,
        skip: Sequence[int],
        only: Sequence[int] | None = None,
    ) -> Delivery | None:
        """Claim the oldest due row (not in ``skip``; in ``only`` when given) for sending;
        None when none is due.

        The claim is its own write transaction, so two senders never claim one row. With
        ``ignore_backoff``, a ``sending`` row whose owner process is gone is due too.
        """
        params: dict[str, object] = {"now": codec.iso(now), "ignore_backoff": int(ignore_backoff)}
        where = [f"(({_DUE}) OR ({_LEASED}))"]
        if skip:
            params.update({f"skip{i}": value for i, value in enumerate(skip)})
            where.append(f"id NOT IN ({', '.join(f':skip{i}' for i in range(len(skip)))})")
        if only is not None:
            params.update({f"only{i}": value for i, value in enumerate(only)})
            where.append(f"id IN ({', '.join(f':only{i}' for i in range(len(only)))})")
        with self._store.db.transaction("outbox") as cur:
            cur.row_factory = sqlite3.Row
            rows = cur.execute(
                f"SELECT * FROM outbox WHERE {' AND '.join(where)} ORDER BY id", params
            )
            row = next((r for r in rows if _claimable(r, params["now"])), None)
            if row is None:
                return None
            cur.execute(
                "UPDATE outbox SET status = 'sending', lease_until = ?, lease_owner = ?"
                " WHERE id = ?",
                (codec.iso(lease_until), lease_owner(), row["id"]),
            )
        return delivery_of(row)

    def mark_sent(self, delivery_id: int, now: datetime) -> None:
        """Record that the channel accepted the message; the digest is delivered once
        every one of its rows is."""
        at = codec.iso(now)
        with self._store.db.transaction("outbox") as cur:
            cur.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, lease_until = NULL,"
                " lease_owner = NULL, attempts = attempts + 1, last_error = NULL WHERE id = ?",
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
                "UPDATE outbox SET status = 'pending', lease_until = NULL, lease_owner = NULL"
                " WHERE id = ? AND status = 'sending'",
                (delivery_id,),
            )

    def give_up(self, delivery_id: int) -> None:
        """Keep a test message that failed as ``failed``: never retried (not even by
        ``--retry-now``), so a test cannot arrive hours after it was made; it stays listed."""
        with self._store.db.transaction("outbox") as cur:
            cur.execute(
                "UPDATE outbox SET status = 'failed' WHERE id = ? AND status = 'pending'",
                (delivery_id,),
            )

    def mark_failed(
        self, delivery_id: int, error: str, next_attempt_at: datetime, *, give_up: bool
    ) -> None:
        """Record a failed attempt: back to pending with a later retry time, or failed."""
        with self._store.db.transaction("outbox") as cur:
            cur.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = ?, lease_until = NULL, lease_owner = NULL WHERE id = ?",
                ("failed" if give_up else "pending", error, codec.iso(next_attempt_at),
                 delivery_id),
            )  # fmt: skip


def insert_messages(
    cur: sqlite3.Cursor, items: Sequence[NewDelivery], now: str, *, digest_id: int | None = None
) -> list[int]:
    """Insert ``items`` as pending rows in the open transaction ``cur``; their ids. An
    alert already queued for its event, channel and recipient is not queued again."""
    ids = []
    for item in items:
        cur.execute(
            "INSERT OR IGNORE INTO outbox (kind, digest_id, event_key, source, channel,"
            " recipient, status, attempts, next_attempt_at, message_id, sender, subject,"
            " text_body, html_body, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?)",
            (item.kind, digest_id, item.event_key, item.source or None, item.channel,
             item.recipient, now, item.message_id, item.sender, item.subject, item.text_body,
             item.html_body, now),
        )  # fmt: skip
        if cur.rowcount:
            ids.append(int(cur.lastrowid or 0))
    return ids


def lease_owner() -> str:
    """Who holds a claim: this host and process, e.g. ``box1:4242``."""
    return f"{_hostname()}:{os.getpid()}"


def _hostname() -> str:
    # socket only here: `ecmon digest` reads the outbox but never claims a delivery.
    import socket

    return socket.gethostname()


def _claimable(row: sqlite3.Row, now: object) -> bool:
    """A row the query found due; a live lease only when its owner process is gone."""
    if row["status"] != "sending" or (row["lease_until"] or "") < str(now):
        return True
    return not _alive(row["lease_owner"])


def _alive(owner: str | None) -> bool:
    """Whether ``owner`` (host:pid) may still be sending: unknown hosts count as alive
    (we cannot look), this host's pids are checked; no owner (a row from before
    migration 8) counts as gone."""
    host, _, pid = (owner or "").rpartition(":")
    if not owner or not pid.isdigit():
        return False
    if host != _hostname():
        return True
    if int(pid) == os.getpid():
        return True  # this very process holds it (another thread is sending it)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def delivery_of(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        digest_id=row["digest_id"],
        kind=row["kind"],
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
        source=row["source"] or "",
    )
