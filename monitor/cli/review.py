"""``ecmon review``, ``ecmon accept`` and ``ecmon reject``: held snapshots decided by a person.

A snapshot the sanity gate held is shown with the reason and what it would change (in
any diff format); ``accept RUN --reason TEXT`` applies exactly that stored snapshot, as
a run of its own naming who and why; ``reject RUN`` keeps it out for good.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from monitor import review as reviews
from monitor.cli import console
from monitor.cli.common import (
    FORMATS,
    App,
    TextFormat,
    check_output,
    emit,
    handle_errors,
    pass_app,
    render_stored,
)
from monitor.models import utc_now


def _operator() -> str:
    """Who decides, by default: the login name (the run history keeps it)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return "unknown"


_BY = click.option(
    "--by", metavar="NAME", help="Who decides (kept in the run history; default: login name)."
)


@click.command()
@click.argument("run", type=int, required=False)
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option(
    "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE, not stdout."
)
@pass_app
@handle_errors
def review(app: App, run: int | None, fmt: TextFormat, output: Path | None) -> None:
    """What the snapshot held by run RUN would change, and why it was held.

    Without RUN: the held snapshots waiting for review (or the only one). The
    changes are computed against the accepted state now, in any diff format
    (text, markdown, json, csv), exactly as `ecmon accept RUN` would apply them;
    nothing is written. The reason goes to stderr for json and csv.
    """
    check_output(output)
    with app.store(read_only=True) as store:
        if run is None:
            waiting = reviews.pending(store)
            if len(waiting) != 1:
                click.echo(console.held_table(waiting))
                return
        item = reviews.find(store, run)
        shown = reviews.preview(store, item)
        query = {"source": item.source, "review_of_run": item.run_id}
        body = render_stored(shown.changes, query, fmt, store, app.settings().analysis)
    header = console.held_header(item)
    if fmt in ("text", "markdown"):
        emit(f"{header}\n\n{body}", output)
    else:
        click.echo(header, err=True)
        emit(body, output)


@click.command()
@click.argument("run", type=int)
@click.option("--reason", required=True, metavar="TEXT", help="Why the snapshot is real.")
@_BY
@pass_app
@handle_errors
def accept(app: App, run: int, reason: str, by: str | None) -> None:
    """Accept the snapshot held by run RUN: apply exactly it, in one transaction.

    Its changes (those `ecmon review RUN` shows) are stored as a new run that
    names RUN, who accepted it and the reason; `status`, `diff` and the digest
    show them once. Refused if a newer snapshot superseded it or it was decided.
    """
    with app.store() as store:
        item = reviews.find(store, run)
        summary = reviews.accept(store, item, by=by or _operator(), reason=reason, clock=utc_now)
    click.echo(console.summary_line(summary))


@click.command()
@click.argument("run", type=int)
@click.option("--reason", default="", metavar="TEXT", help="Why it is not real (kept).")
@_BY
@pass_app
@handle_errors
def reject(app: App, run: int, reason: str, by: str | None) -> None:
    """Reject the snapshot held by run RUN: it is never applied (who, when, why are kept)."""
    with app.store() as store:
        item = reviews.find(store, run)
        reviews.reject(store, item, by=by or _operator(), reason=reason, clock=utc_now)
    click.echo(f"rejected the snapshot of {item.source} held by run {item.run_id}")
