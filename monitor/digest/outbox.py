"""The digest outbox: compose what is pending into stored messages, then deliver them.

``compose`` takes every change no digest covers yet, builds the digest model once
and, per recipient, filters it, renders text and HTML and stores both in the outbox
together with the digest row, in one transaction. ``deliver`` (``monitor.notify.outbox``,
re-exported here: the one send path for digests and alerts alike) sends each due outbox
row and marks it sent only after the channel accepted it. A failed send stays
pending with a later ``next_attempt_at`` (exponential backoff) and is retried by the
next ``deliver``; a restart finds the same rows in the database, so nothing accepted
is sent again and nothing queued is lost.

An empty period (no changes) queues nothing unless a heartbeat is asked for, or the
sources' health changed since the last digest (a source started failing, or
recovered): a broken source must not go unnoticed just because it reports no changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from monitor.config import ChannelSettings, Recipient, Settings
from monitor.digest.inputs import change_document, gather, model_for, period_of
from monitor.digest.model import health_key, subject
from monitor.digest.render import DigestFormat, render_digest
from monitor.digest.types import DigestModel
from monitor.errors import ConfigError
from monitor.notify.outbox import LEASE, Attempt, deliver
from monitor.store import Store
from monitor.store.outbox import NewDelivery, OutboxStore

__all__ = ["LEASE", "Attempt", "Queued", "compose", "deliver", "message_id"]


@dataclass(frozen=True)
class Queued:
    """A digest ``compose`` stored: its id, the change ids it covers, who gets it."""

    digest_id: int
    after: int
    through: int
    change_count: int
    recipients: tuple[str, ...]
    skipped: tuple[str, ...]  # recipients whose filters left nothing to send


# ----------------------------------------------------------------- compose


def compose(
    store: Store, settings: Settings, *, now: datetime, heartbeat: bool = False
) -> Queued | None:
    """Queue a digest of every change no digest covers yet; None when there is nothing to
    send (or another process queued the same changes first). It goes to every
    ``[[email.recipients]]`` address (with ``[email] enabled``) and every ``[[channels]]``
    channel that takes digests, each through its own filters."""
    targets = _targets(settings)
    if not targets:
        raise ConfigError(
            "no digest recipients: add [[email.recipients]] (with [email] enabled = true)"
            " or a [[channels]] channel to the config file"
        )
    box = OutboxStore(store)
    after, through = box.queued_through(), box.newest_change_id()
    changes = box.changes_in(after, through)
    query = {"after_change": after, "through_change": through}
    doc = change_document(store, settings, changes, query=query, now=now)
    period = period_of(changes, "new since the last digest" if after else "all stored changes")
    inputs = gather(store, settings, doc, period=period, now=now, changes=changes)  # read once
    whole = model_for(inputs)
    key = health_key(whole)
    wanted = heartbeat or settings.email.heartbeat or key != box.last_health_key()
    if whole["empty"] and not wanted:
        return None
    messages, skipped = [], []
    for recipient, target in targets:
        model = model_for(inputs, recipient)  # pure: a filter of what was gathered
        if model["empty"] and not wanted:
            skipped.append(recipient.address)
            continue
        messages.append(_message(settings, model, recipient.address, target))
    digest_id = box.queue(
        after=after, through=through, change_count=len(changes), health_key=key,
        heartbeat=whole["empty"], subject=subject(whole, settings.digest.subject_prefix),
        created_at=now, deliveries=messages,
    )  # fmt: skip
    if digest_id is None:
        return None
    sent_to = tuple(m.recipient for m in messages)
    return Queued(digest_id, after, through, len(changes), sent_to, tuple(skipped))


# The format of a channel's stored text body (an ``html`` channel sends the HTML part).
_BODY_FORMAT: dict[str, DigestFormat] = {
    "text": "text", "markdown": "markdown", "html": "text", "json": "json",
}  # fmt: skip


def _targets(settings: Settings) -> list[tuple[Recipient, ChannelSettings | None]]:
    """Who gets a digest: each email recipient (None: the email channel), then each
    channel taking digests (as a recipient of its own filters)."""
    found: list[tuple[Recipient, ChannelSettings | None]] = []
    if settings.email.enabled:
        found += [(r, None) for r in settings.email.recipients]
    found += [(c.as_recipient(), c) for c in settings.channels if c.digests]
    return found


def _message(
    settings: Settings, model: DigestModel, address: str, target: ChannelSettings | None = None
) -> NewDelivery:
    title = subject(model, settings.digest.subject_prefix)
    if target is None:
        text, html = render_digest(model, "text"), render_digest(model, "html")
    else:  # a channel: the body in its format (html: with a text alternative kept)
        text = render_digest(model, _BODY_FORMAT[target.format])
        html = render_digest(model, "html") if target.format == "html" else ""
    return NewDelivery(
        channel="email" if target is None else target.name,
        recipient=address,
        sender=settings.email.sender,
        subject=title,
        text_body=text,
        html_body=html,
        message_id=message_id(settings.email.sender, model, address, text + html),
    )


def message_id(sender: str, model: DigestModel, address: str, body: str) -> str:
    """A Message-ID fixed when the digest is queued (stored; every retry reuses it)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "ecmon.invalid"
    seed = "\n".join((address, model["generated_at"], body))
    span = f"{model['period']['first_change_id'] or 0}-{model['period']['last_change_id'] or 0}"
    return f"<ecmon.digest.{span}.{hashlib.sha256(seed.encode()).hexdigest()[:24]}@{domain}>"
