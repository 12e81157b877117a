"""Test messages for ``ecmon notify test [CHANNEL]``: one per email recipient and channel
asked for, queued in the outbox like any message (so the test goes through the same claim,
send and mark path a digest does), then delivered by the caller."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from email.utils import parseaddr

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.models import utc_iso
from monitor.store import Store
from monitor.store.outbox import NewDelivery, OutboxStore


def queue_tests(store: Store, settings: Settings, target: str | None, now: datetime) -> list[int]:
    """Queue a test message for ``target`` ("email": every recipient; a channel's name;
    None: every channel and, with email on, every recipient); the outbox ids."""
    event = f"test:{utc_iso(now)}:{secrets.token_hex(4)}"
    messages = [
        _message(settings, event, channel, to, now) for channel, to in _chosen(settings, target)
    ]
    return OutboxStore(store).queue_messages(messages, now)


def _chosen(settings: Settings, target: str | None) -> list[tuple[str, str]]:
    """(channel, recipient) pairs to test."""
    email = settings.email
    people = [("email", r.address) for r in email.recipients] if email.enabled else []
    channels = [(c.name, c.name) for c in settings.channels]
    if target is None:
        if not people and not channels:
            raise ConfigError(
                "nothing to test: [email] is off (or has no recipients) and no [[channels]]"
            )
        return people + channels
    if target == "email":
        if not people:
            raise ConfigError("email is off or has no [[email.recipients]]: nothing to test")
        return people
    chosen = [pair for pair in channels if pair[0] == target]
    if not chosen:
        known = ", ".join(["email", *(c for c, _ in channels)])
        raise ConfigError(f"no channel named {target!r}; configured: {known}")
    return chosen


def _message(settings: Settings, event: str, channel: str, to: str, now: datetime) -> NewDelivery:
    subject = f"{settings.digest.subject_prefix} test message".strip()
    text = (
        f"A test message from ecmon (`ecmon notify test`, {utc_iso(now)}).\n"
        f"If you read this, the {channel} channel works for {to}.\n"
    )
    fmt = next((c.format for c in settings.channels if c.name == channel), "text")
    body = json.dumps({"test": True, "channel": channel, "subject": subject, "text": text})
    html = f"<p>{text.strip()}</p>" if channel == "email" or fmt == "html" else ""
    domain = parseaddr(settings.email.sender)[1].rpartition("@")[2] or "ecmon.invalid"
    return NewDelivery(
        channel=channel,
        recipient=to,
        sender=settings.email.sender,
        subject=subject,
        text_body=body if fmt == "json" else text,
        html_body=html,
        message_id=f"<ecmon.test.{secrets.token_hex(12)}@{domain}>",
        kind="test",
        event_key=event,
    )
