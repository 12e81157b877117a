"""The one rule for retrying a stored mail: send it, or say when to try again.

Used by the digest outbox and the daemon's alert mails alike. It imports no
rendering code, so sending an alert never loads Jinja or the digest model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from monitor.errors import DeliveryError
from monitor.notify.base import Channel, OutgoingMessage

RETRY_FIRST = timedelta(minutes=5)
RETRY_MAX = timedelta(hours=6)
MAX_ATTEMPTS = 12  # about two days of retries before a row needs `--retry-now`


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 5 min, 10, 20 ... at most 6 h."""
    delay: timedelta = RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 16)
    return min(delay, RETRY_MAX)


class StoredMessage(Protocol):
    """A rendered mail kept until a channel accepts it (digest outbox or alert row)."""

    @property
    def sender(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def text_body(self) -> str: ...
    @property
    def html_body(self) -> str: ...
    @property
    def message_id(self) -> str: ...
    @property
    def created_at(self) -> str: ...


@dataclass(frozen=True)
class Retry:
    """Why a send failed and when to try again (``give_up``: attempts exhausted)."""

    error: str
    at: datetime
    give_up: bool


def send_stored(channel: Channel, row: StoredMessage, attempts: int, now: datetime) -> Retry | None:
    """Send one stored message: None once the channel accepted it, else the retry.

    The one place the retry rule lives, for digests and alerts alike: exponential
    backoff from the attempts so far, giving up after ``MAX_ATTEMPTS``.
    """
    try:
        channel.send(
            OutgoingMessage(
                sender=row.sender,
                recipient=row.recipient,
                subject=row.subject,
                text=row.text_body,
                html=row.html_body,
                message_id=row.message_id,
                date=datetime.fromisoformat(row.created_at),
            )
        )
    except DeliveryError as error:
        failures = attempts + 1
        return Retry(str(error), now + backoff(failures), failures >= MAX_ATTEMPTS)
    return None
