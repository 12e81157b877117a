"""Delivery channels: send only, never render (``monitor.digest.render`` renders).

A channel takes an ``OutgoingMessage`` (already rendered and stored in the outbox)
and either returns once the other side accepted it or raises ``DeliveryError``.
The outbox (``monitor.digest.outbox``) decides what to send, when to retry and what is
delivered; channels know nothing of the store. Channels are looked up by name in
``CHANNELS`` (the ``channel`` column of the outbox), so adding one is one module
and one line here; any other name is a configured ``[[channels]]`` table, delivered
through Apprise (``monitor.notify.apprise_channel``).

The Atom feed (``monitor.notify.atom``) is not a message channel: it writes a file
that feed readers poll, so it needs no outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from monitor.config import Settings
from monitor.errors import DeliveryError
from monitor.notify.base import Channel, OutgoingMessage
from monitor.notify.email import EmailChannel

__all__ = ["CHANNELS", "Channel", "DeliveryError", "OutgoingMessage", "channel"]

CHANNELS: Mapping[str, Callable[[Settings], Channel]] = {
    "email": lambda settings: EmailChannel(settings.email),
}


def channel(name: str, settings: Settings) -> Channel:
    """The channel called ``name`` (as stored in the outbox), configured from ``settings``:
    a built-in one (``email``) or a ``[[channels]]`` table of that name (Apprise, loaded
    only when such a channel is used)."""
    if name in CHANNELS:
        return CHANNELS[name](settings)
    for configured in settings.channels:
        if configured.name == name:
            from monitor.notify.apprise_channel import AppriseChannel

            return AppriseChannel(configured)
    raise DeliveryError(f"unknown delivery channel {name!r} (not in [[channels]] any more?)")
