"""What every channel shares: the message, the channel protocol and the delivery error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    """One rendered digest for one recipient, exactly as queued (retries resend it as is)."""

    sender: str
    recipient: str
    subject: str
    text: str
    html: str
    message_id: str
    date: datetime


class Channel(Protocol):
    """Something that delivers a message or raises ``DeliveryError``."""

    def send(self, message: OutgoingMessage) -> None: ...
