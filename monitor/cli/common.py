"""What every ``ecmon`` command module shares: the App handle, error handling,
progress, rendering of changes and output.

Command modules (``cli.py`` and ``cli_*.py``) import from here, never from each
other; ``cli.py`` is the composition root that registers them all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Literal, ParamSpec, TypeVar

import click

from monitor import config
from monitor.cli import console
from monitor.errors import EcmonError
from monitor.models import RunOutcome, RunSummary, StoredChange, utc_now
from monitor.sources import INFOS, default_settings
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.digest.narrow import Narrowing

# The formats of `ecmon diff` (monitor.digest.render.TextFormat, without importing Jinja here).
TextFormat = Literal["text", "json", "markdown", "csv"]

P = ParamSpec("P")
R = TypeVar("R")
EXIT_SUSPECT = 6
EXIT_UNHEALTHY = 8  # `ecmon status`: an enabled source is broken or stale
FORMATS = click.Choice(["text", "json", "markdown", "csv"])


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into a one-line message and their exit code."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except EcmonError as error:
            click.echo(f"ecmon: error: {error}", err=True)
            sys.exit(error.exit_code)

    return wrapper


class App:
    """What every command receives: the options of the top-level command."""

    def __init__(self, config_path: Path | None, db: Path | None) -> None:
        self.config_path = config_path
        self.db = db
        self._settings: config.Settings | None = None

    def settings(self) -> config.Settings:
        """The settings, loaded once per command (file, environment, secrets)."""
        if self._settings is None:
            self._settings = config.load(
                default_settings(), config_path=self.config_path, database=self.db
            )
        return self._settings

    @contextmanager
    def store(self, *, create: bool = False, read_only: bool = False) -> Iterator[Store]:
        """The database: only commands that fetch (``create``) may make a new one; the
        others need it to exist, and those that only read open it ``read_only`` (a
        read-only file or a backup copy can then be inspected)."""
        settings = self.settings()
        store = (
            Store.open_read_only(settings.database)
            if read_only
            else Store.open(settings.database, keep_raw=settings.raw_keep, create=create)
        )
        try:
            yield store
        finally:
            store.close()


pass_app = click.make_pass_decorator(App)


def progress_printer(*, lines: bool = False) -> Callable[[str, str], None]:
    """Progress on stderr: one rewritten line on a terminal; when piped, nothing,
    or (``lines``, for long jobs such as backfill) one line per step for the log."""
    if not sys.stderr.isatty():
        if lines:
            return lambda source, step: click.echo(f"{source}: {step}", err=True)
        return lambda source, step: None

    def show(source: str, step: str) -> None:
        click.echo(f"\r\x1b[2K{source}: {step}…", err=True, nl=False)

    return show


def clear_progress() -> None:
    if sys.stderr.isatty():
        click.echo("\r\x1b[2K", err=True, nl=False)


def report_summaries(summaries: list[RunSummary]) -> int:
    clear_progress()
    for summary in summaries:
        click.echo(console.summary_line(summary))
    failed = [s.exit_code or 1 for s in summaries if s.outcome == RunOutcome.FAILED]
    if failed:
        return min(failed)  # the first in the documented order: fetch (3) before parse (4)
    return EXIT_SUSPECT if any(s.outcome == RunOutcome.SUSPECT for s in summaries) else 0


def parse_date(value: str | None, option: str = "--since") -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2025-09-12", param_hint=option
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def render_stored(
    changes: Sequence[StoredChange],
    query: Mapping[str, object],
    fmt: TextFormat,
    store: Store | None,
    analysis: config.AnalysisSettings | None = None,
    narrowing: Narrowing | None = None,
) -> str:
    """The change document for ``changes``, with rules, sectors and watchlist hits, kept
    to what ``narrowing`` asks for (``ecmon diff``'s filters)."""
    # Rendering pulls in Jinja and the enrichment; imported here so runs start faster.
    from monitor.changeset import changes_document, no_annotation, no_attribution
    from monitor.digest.render import render_changes
    from monitor.enrich import annotator, attributor

    titles = {name: info.title for name, info in INFOS.items()}
    doc = changes_document(
        changes,
        query=query,
        generated_at=utc_now(),
        source_titles=titles,
        attribute=attributor(store) if store is not None else no_attribution,
        annotate=annotator(store, analysis) if store is not None else no_annotation,
    )
    if narrowing is not None:
        from monitor.digest.narrow import narrow_document

        doc = narrow_document(doc, narrowing)
    return render_changes(doc, fmt)


def is_stdout(output: Path | None) -> bool:
    """``--output -`` (or no --output) means standard output, for every command."""
    return output is None or str(output) == "-"


def check_output(output: Path | None) -> None:
    """Refuse an --output whose folder does not exist before any work is done (a folder
    is never created for it: a typo in the path must not read as a written file)."""
    if is_stdout(output):
        return
    assert output is not None
    folder = output.parent
    if not folder.is_dir():
        raise click.BadParameter(
            f"the folder {folder} of {output} does not exist", param_hint="'--output'"
        )


def emit(text: str, output: Path | None) -> None:
    if is_stdout(output):
        click.echo(text, nl=False)
        return
    assert output is not None
    check_output(output)
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.FileError(str(output), hint=exc.strerror or str(exc)) from None
    click.echo(f"wrote {output}", err=True)
