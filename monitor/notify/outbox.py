"""The one delivery path: claim each due outbox row, send it on its channel, mark it.

Every message ecmon sends waits in the outbox (``monitor.store.outbox``) first: digests
(``monitor.digest.outbox`` composes them), the daemon's alerts (``monitor.daemon.alerts``)
and channel tests (``ecmon notify test``), by email or on any configured Apprise channel.
``deliver`` sends them all the same way: a row is claimed (``sending``, with a lease and
its owner) in one transaction, handed to its channel, then marked ``sent`` once the
channel accepted it, or back to ``pending`` with the backoff of ``monitor.notify.retry``
(``failed`` after ``MAX_ATTEMPTS``). A restart finds the same rows, so nothing accepted
is sent again and nothing queued is lost.

The one gap no client can close: a crash after the other side accepted a message but
before ``mark_sent`` committed. The row's lease then expires (or ``retry_now`` finds its
owner process gone) and it is sent again, with the same Message-ID so mail clients can
recognise the duplicate.

It imports no rendering code, so sending an alert never loads Jinja or the digest model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.errors import DeliveryError
from monitor.notify.base import Channel
from monitor.notify.retry import MAX_ATTEMPTS, Retry, backoff, send_stored
from monitor.store import Store
from monitor.store.outbox import Delivery, OutboxStore

LEASE = timedelta(minutes=15)  # longer than any one SMTP conversation or webhook call


@dataclass(frozen=True)
class Attempt:
    """The outcome of one send."""

    delivery: Delivery
    sent: bool
    error: str | None = None
    retry_at: datetime | None = None
    gave_up: bool = False


def deliver(
    store: Store,
    channel_for: Callable[[str], Channel],
    *,
    now: datetime,
    retry_now: bool = False,
    only: Sequence[int] | None = None,
) -> list[Attempt]:
    """Send every due outbox row once (only the ids in ``only`` when given); ``retry_now``
    ignores the backoff, revives rows that gave up and takes back rows whose sending
    process is gone. Each row is claimed, sent, then marked in its own transaction."""
    box = OutboxStore(store)
    attempts: list[Attempt] = []
    while (
        row := box.claim_next(
            now,
            now + LEASE,
            ignore_backoff=retry_now,
            skip=[a.delivery.id for a in attempts],
            only=only,
        )
    ) is not None:
        try:
            retry = _send(channel_for, row, now)
        except BaseException:
            box.release(row.id)  # not an attempt (e.g. a config error): leave it as it was
            raise
        if retry is not None:
            box.mark_failed(row.id, retry.error, retry.at, give_up=retry.give_up)
            attempts.append(Attempt(row, False, retry.error, retry.at, retry.give_up))
            continue
        box.mark_sent(row.id, now)
        attempts.append(Attempt(row, True))
    return attempts


def what(row: Delivery) -> str:
    """What a row carries, for output: ``digest 3``, ``broken alert``, ``test message``."""
    if row.digest_id is not None:
        return f"digest {row.digest_id}"
    return "test message" if row.kind == "test" else f"{row.kind} alert"


def _send(channel_for: Callable[[str], Channel], row: Delivery, now: datetime) -> Retry | None:
    try:
        channel = channel_for(row.channel)
    except DeliveryError as error:  # e.g. a channel no longer configured: kept, retried
        failures = row.attempts + 1
        return Retry(str(error), now + backoff(failures), failures >= MAX_ATTEMPTS)
    return send_stored(channel, row, row.attempts, now)
