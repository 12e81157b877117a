"""``ecmon notify test [CHANNEL]``: send a test message through a delivery channel.

The message is queued in the outbox and sent through the one delivery path
(``monitor.notify.outbox``), exactly as a digest or an alert would be; a test that fails is
kept as ``failed`` (listed by ``ecmon digest --outbox``), never retried later.
"""

from __future__ import annotations

import sys

import click

from monitor.cli.common import App, handle_errors, pass_app
from monitor.models import utc_now


@click.group("notify")
def notify_group() -> None:
    """Delivery channels: email and the [[channels]] of the config (Apprise URLs)."""


@notify_group.command("test")
@click.argument("channel", required=False)
@pass_app
@handle_errors
def notify_test(app: App, channel: str | None) -> None:
    """Send a test message to CHANNEL (a [[channels]] name, or "email" for every
    recipient); without CHANNEL, to every channel and, with [email] enabled, every
    recipient. Exit code 7 when a message was not accepted (the error is shown).
    The message goes through the outbox, so the database must exist (ecmon run makes it)."""
    from monitor import notify
    from monitor.notify.outbox import deliver, what
    from monitor.notify.probe import queue_tests
    from monitor.store.outbox import OutboxStore

    settings = app.settings()
    now = utc_now()
    with app.store() as store:
        ids = queue_tests(store, settings, channel, now)
        attempts = deliver(store, lambda name: notify.channel(name, settings), now=now, only=ids)
        for attempt in attempts:
            row = attempt.delivery
            where = row.recipient if row.channel == "email" else f"channel {row.channel}"
            if attempt.sent:
                click.echo(f"sent {what(row)} to {where}")
                continue
            OutboxStore(store).give_up(row.id)
            click.echo(f"NOT SENT {what(row)} to {where}: {attempt.error}")
    sys.exit(7 if any(not a.sent for a in attempts) else 0)
