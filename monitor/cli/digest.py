"""``ecmon digest`` (render, or send what is pending) and ``ecmon feed`` (write the Atom feed).

Rendering and sending are separate steps of the library (``monitor.digest.render`` renders,
``monitor.digest.outbox`` queues and delivers through ``monitor.notify``); these commands
only choose the changes, call them and report.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from monitor.cli.common import (
    App,
    check_output,
    emit,
    handle_errors,
    is_stdout,
    parse_date,
    pass_app,
)
from monitor.config import Recipient, Settings
from monitor.errors import ConfigError
from monitor.models import utc_now
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.digest.outbox import Attempt, Queued
    from monitor.store.outbox import OutboxStore

# Rendering and delivery pull in Jinja, the enrichment and smtplib: each command imports
# them when it runs, so `ecmon run` (which loads this module too) starts fast.
DigestFormat = Literal["text", "html", "markdown", "json"]  # monitor.digest.render.DigestFormat
DIGEST_FORMATS = click.Choice(["text", "html", "markdown", "json"])
FEED_DAYS = 90


@click.command("digest")
@click.option("--since", metavar="DATE", help="Changes detected on or after DATE (YYYY-MM-DD).")
@click.option("--pending", is_flag=True, help="Changes no delivered digest covers (the default).")
@click.option("--format", "fmt", type=DIGEST_FORMATS, default="text", show_default=True)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to FILE (- for stdout).",
)
@click.option(
    "--recipient", metavar="ADDRESS", help="As this configured recipient's filters see it."
)
@click.option(
    "--send",
    is_flag=True,
    help="Queue what is pending and deliver the outbox (email and [[channels]]).",
)
@click.option(
    "--heartbeat", is_flag=True, help="With --send: mail a digest even if nothing changed."
)
@click.option(
    "--retry-now",
    is_flag=True,
    help="With --send: retry failed messages without waiting, and messages a crashed sender"
    " left 'sending'.",
)
@click.option("--outbox", "show_outbox", is_flag=True, help="List the outbox (newest first).")
@pass_app
@handle_errors
def digest(
    app: App,
    since: str | None,
    pending: bool,
    fmt: DigestFormat,
    output: Path | None,
    recipient: str | None,
    send: bool,
    heartbeat: bool,
    retry_now: bool,
    show_outbox: bool,
) -> None:
    """Render the digest, or (--send) deliver what is pending.

    \b
    Without --send nothing is sent or marked: the digest of the pending changes
    (or of those detected since DATE) is printed in the chosen format.
    With --send, the changes no digest covers yet are rendered once per recipient
    (text and HTML, each recipient's list/country/sector filters applied) and once
    per [[channels]] channel (in its format: text, markdown, html or the JSON
    document) and stored in the outbox; then every due message is sent and marked
    sent only once the SMTP server (or the channel's service) accepted it. A failed
    message stays pending and is retried by the next --send after a backoff (5 min,
    doubling, at most 6 h). Exit code 7 when a message could not be sent.
    """
    if since and pending:
        raise click.UsageError("use either --since or --pending, not both")
    if send and (since or pending or output or recipient or fmt != "text"):
        raise click.UsageError(
            "--send delivers what is pending; it takes no range, format or output"
        )
    if (heartbeat or retry_now) and not send:
        raise click.UsageError("--heartbeat and --retry-now go with --send")
    check_output(output)
    from monitor.store.outbox import OutboxStore

    settings = app.settings()
    with app.store() as store:
        if show_outbox:
            click.echo(_outbox_table(OutboxStore(store)))
        elif send:
            sys.exit(_send(store, settings, heartbeat=heartbeat, retry_now=retry_now))
        else:
            with _long_lived_frozen():
                text = _render(store, settings, since, fmt, _recipient(settings, recipient))
            emit(text, output)


@contextmanager
def _long_lived_frozen() -> Iterator[None]:
    """The objects loaded so far (modules, settings) out of the collector's sight while a
    digest is built: each full collection among its many short-lived objects then no
    longer walks them too (~15% of a 1,000-change digest's CPU time, measured). Unfrozen
    after, so a process that runs the command in place (the tests) is left as it was."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _recipient(settings: Settings, address: str | None) -> Recipient | None:
    if address is None:
        return None
    for recipient in settings.email.recipients:
        if recipient.address.casefold() == address.casefold():
            return recipient
    raise click.BadParameter(
        f"{address!r} is not among [[email.recipients]]", param_hint="--recipient"
    )


def _render(
    store: Store, settings: Settings, since: str | None, fmt: DigestFormat, who: Recipient | None
) -> str:
    from monitor.digest import inputs as digest_inputs
    from monitor.digest.render import render_digest
    from monitor.store.outbox import OutboxStore

    now = utc_now()
    if since:
        changes = store.changes(since=parse_date(since))
        label = f"changes detected since {since}"
    else:
        changes = OutboxStore(store).undelivered_changes()
        label = "changes not yet in a delivered digest"
    doc = digest_inputs.change_document(store, settings, changes, query={"since": since}, now=now)
    period = digest_inputs.period_of(changes, label)
    model = digest_inputs.digest_model(
        store, settings, doc, period=period, now=now, recipient=who, changes=changes
    )
    return render_digest(model, fmt)


def _send(store: Store, settings: Settings, *, heartbeat: bool, retry_now: bool) -> int:
    from monitor import notify
    from monitor.digest import outbox
    from monitor.store.outbox import OutboxStore

    if not settings.email.enabled and not settings.channels:
        raise ConfigError(
            "delivery is off: set enabled = true under [email], or add a [[channels]] channel"
        )
    now = utc_now()
    queued = outbox.compose(store, settings, now=now, heartbeat=heartbeat)
    if queued is None:
        click.echo("nothing new to queue")
    else:
        click.echo(_queued_line(queued))
    channels: dict[str, notify.Channel] = {}

    def channel_for(name: str) -> notify.Channel:
        if name not in channels:
            channels[name] = notify.channel(name, settings)
        return channels[name]

    attempts = outbox.deliver(store, channel_for, now=now, retry_now=retry_now)
    for attempt in attempts:
        click.echo(_attempt_line(attempt))
    # A failed channel test stays listed but is no message anyone waits for.
    waiting = [
        d
        for d in OutboxStore(store).deliveries(limit=500)
        if d.status != "sent" and not (d.kind == "test" and d.status == "failed")
    ]
    if waiting:
        click.echo(f"{len(waiting)} message(s) still in the outbox (see: ecmon digest --outbox)")
    # Exit 7 while anything is unsent, a message waiting out its backoff included: a
    # cron job or CI step must not read "still queued" as "delivered".
    return 7 if waiting or any(not a.sent for a in attempts) else 0


def _queued_line(queued: Queued) -> str:
    span = f"changes {queued.after + 1}–{queued.through}" if queued.change_count else "no changes"
    who = ", ".join(queued.recipients) or "nobody"
    line = f"queued digest {queued.digest_id} ({span}) for {who}"
    if queued.skipped:
        line += f"; nothing to send to {', '.join(queued.skipped)} after their filters"
    return line


def _attempt_line(attempt: Attempt) -> str:
    from monitor.notify.outbox import what

    row = attempt.delivery
    if attempt.sent:
        return f"sent {what(row)} to {row.recipient} {row.message_id}"
    retry = attempt.retry_at.isoformat() if attempt.retry_at else "later"
    state = "GAVE UP (use --retry-now)" if attempt.gave_up else f"retry after {retry}"
    return (
        f"NOT SENT {what(row)} to {row.recipient}: {attempt.error}"
        f" (attempt {row.attempts + 1}; {state})"
    )


def _outbox_table(box: OutboxStore) -> str:
    rows = box.deliveries()
    if not rows:
        return "The outbox is empty."
    lines = [f"{'ID':>4}  {'DIGEST':>9}  {'STATUS':<8} {'TRIES':>5}  {'RECIPIENT':<28} DETAIL"]
    for d in rows:
        detail = (d.sent_at and f"sent {d.sent_at}") or f"next {d.next_attempt_at}"
        if d.channel != "email":
            detail = f"{d.channel}: {detail}"
        if d.last_error and d.status != "sent":
            detail += f" · {d.last_error}"
        carries = str(d.digest_id) if d.digest_id is not None else d.kind
        head = f"{d.id:>4}  {carries:>9}  {d.status:<8} {d.attempts:>5}"
        lines.append(f"{head}  {d.recipient:<28} {detail}")
    return "\n".join(lines)


@click.command("feed")
@click.option(
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Atom file (- for stdout).",
)
@click.option(
    "--since",
    metavar="DATE",
    help=f"Changes detected on or after DATE (default: {FEED_DAYS} days).",
)
@click.option("--self-url", metavar="URL", help="Where the feed is served (its rel=self link).")
@pass_app
@handle_errors
def feed(app: App, output: Path, since: str | None, self_url: str | None) -> None:
    """Write an Atom feed of government actions and change groups to FILE.

    Entry ids are derived from content (tag:ecmon,2025:...), so re-writing the feed
    over the same changes gives the same ids and feed readers show nothing twice.
    """
    check_output(output)
    from monitor.digest import inputs as digest_inputs
    from monitor.digest.render import render_feed
    from monitor.notify.atom import write_feed

    now = utc_now()
    start = parse_date(since) or now - timedelta(days=FEED_DAYS)
    settings = app.settings()
    with app.store() as store:
        changes = store.changes(since=start)
        doc = digest_inputs.change_document(
            store, settings, changes, query={"since": start.date().isoformat()}, now=now
        )
        period = digest_inputs.period_of(changes, f"changes detected since {start.date()}")
        model = digest_inputs.digest_model(
            store, settings, doc, period=period, now=now, changes=changes
        )
    text = render_feed(model, self_url=self_url or "")
    if is_stdout(output):
        click.echo(text, nl=False)
        return
    write_feed(output, text)
    click.echo(
        f"wrote {output} ({len(model['actions'])} action(s), {len(changes)} change(s))", err=True
    )
