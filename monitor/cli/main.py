"""The ``ecmon`` command: the composition root.

Settings are loaded, the store opened and the HTTP client built here and
passed down; logging is configured here and nowhere else. Each command's body
is short; the logic lives in the library. Errors from the library become a
message on stderr and the exit code of their class (see ``monitor/errors.py``).
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import click

from monitor import __version__, config
from monitor.cli import console
from monitor.cli.common import (
    EXIT_UNHEALTHY,
    FORMATS,
    App,
    TextFormat,
    check_output,
    clear_progress,
    emit,
    handle_errors,
    parse_date,
    pass_app,
    progress_printer,
    render_stored,
    report_summaries,
)
from monitor.config import Settings

# monitor.pipeline and monitor.http (httpx) are imported in the bodies of the commands that
# fetch (run, backfill, diff between dates): status, diff, digest and the others never do.
from monitor.models import SourceStatus, StoredChange, utc_now
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.digest.narrow import Narrowing

# The commands of the other cli modules, each imported only when it is invoked (or when
# --help or completion lists it): `ecmon run` never loads the digest, daemon, export or
# review command modules. One line per command: its name and "module:attribute".
LAZY_COMMANDS: Mapping[str, str] = MappingProxyType(
    {
        "digest": "monitor.cli.digest:digest",
        "feed": "monitor.cli.digest:feed",
        "links": "monitor.cli.analysis:links",
        "sectors": "monitor.cli.analysis:sectors",
        "screen": "monitor.cli.analysis:screen",
        "hits": "monitor.cli.analysis:hits",
        "daemon": "monitor.cli.daemon:daemon",
        "export": "monitor.cli.export:export",
        "browse": "monitor.cli.browse:browse",
        "config": "monitor.cli.configure:config_group",
        "notify": "monitor.cli.notify:notify_group",
        "review": "monitor.cli.review:review",
        "accept": "monitor.cli.review:accept",
        "reject": "monitor.cli.review:reject",
    }
)


class LazyGroup(click.Group):
    """The ``ecmon`` group: its commands from other modules are imported on first lookup.

    ``lazy`` maps a command name to "module:attribute". Listing (``--help``, shell
    completion) looks every command up, so the help stays the commands' own words;
    invoking one command imports only its module.
    """

    lazy: Mapping[str, str] = LAZY_COMMANDS

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(import_module(module), attribute)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise RuntimeError(f"{self.lazy[cmd_name]} is not the command {cmd_name!r}")
            self.add_command(command)
        return self.commands.get(cmd_name)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML settings file (default: $ECMON_CONFIG, else the user config dir).",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    help="SQLite database (default: $ECMON_DB, the config file, else the user data dir).",
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(__version__, prog_name="ecmon")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, db: Path | None, verbose: int) -> None:
    """ecmon: what changed on the export-control lists, and where it came from.

    Snapshots public sources (listed below), diffs each snapshot against the last
    accepted state in SQLite, and reports added, removed and modified entries field
    by field, with provenance.

    Start with `ecmon demo` (offline, bundled fixtures), then `ecmon run`.

    Exit codes: 0 ok, 2 configuration, 3 fetch failed, 4 parse failed,
    5 database (missing or unusable), 6 a snapshot was held as suspect, 7 a digest
    message was not sent, 8 (status) a source is broken or stale.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for handler in logging.getLogger().handlers:  # httpx logs every URL it requests
        if not any(isinstance(f, console.RedactingFilter) for f in handler.filters):
            handler.addFilter(console.RedactingFilter())
    ctx.obj = App(config_path, db)


@main.command()
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Run only this source (repeatable). Default: every enabled source.",
)
@pass_app
@handle_errors
def run(app: App, sources: tuple[str, ...]) -> None:
    """Fetch, check and diff each source once; print one line per source.

    A snapshot that fails to parse is recorded as a failure and leaves the stored
    state untouched; one outside its count bounds or removing more than the
    allowed share is held as suspect (see `ecmon status`).
    """
    from monitor.http import HttpClient
    from monitor.pipeline import RunContext, run_sources, selected_sources

    settings = app.settings()
    names = selected_sources(settings, sources)
    with app.store(create=True) as store, HttpClient(settings.http) as client:
        ctx = RunContext(settings, store, client, progress=progress_printer())
        code = report_summaries(run_sources(ctx, names))
    sys.exit(code)


@main.command()
@click.option("--source", metavar="NAME", help="Only this source.")
@click.option("--since", metavar="DATE", help="Changes detected on or after DATE (YYYY-MM-DD).")
@click.option(
    "--from", "from_", metavar="RUN|DATE", help="Changes after run RUN, or the list as of DATE."
)
@click.option(
    "--to", "to_", metavar="RUN|DATE", help="Changes up to run RUN, or the list as of DATE."
)
@click.option(
    "--effective-since",
    metavar="DATE",
    help="Only changes whose list date (as the list states it) is on or after DATE.",
)
@click.option(
    "--effective-until",
    metavar="DATE",
    help="Only changes whose list date (as the list states it) is on or before DATE.",
)
@click.option(
    "--list",
    "lists",
    multiple=True,
    metavar="CODE",
    help="Only this list (el, meu, uvl, dpl, ecl, uel, action, or a source name); repeatable.",
)
@click.option(
    "--country", "countries", multiple=True, metavar="CC", help="Only this ISO country; repeatable."
)
@click.option(
    "--sector",
    "sectors",
    multiple=True,
    metavar="ID",
    help="Only this sector id (`ecmon sectors --taxonomy`); repeatable.",
)
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option(
    "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE, not stdout."
)
@pass_app
@handle_errors
def diff(
    app: App,
    source: str | None,
    since: str | None,
    from_: str | None,
    to_: str | None,
    effective_since: str | None,
    effective_until: str | None,
    lists: tuple[str, ...],
    countries: tuple[str, ...],
    sectors: tuple[str, ...],
    fmt: TextFormat,
    output: Path | None,
) -> None:
    """Show stored changes over any range (default: the latest run with changes).

    \b
    Ranges:
      --since DATE            changes detected on or after DATE
      --from RUN --to RUN     changes recorded by runs after RUN up to RUN
                              (run ids from `ecmon run` and `ecmon status`)
      --from DATE --to DATE   with --source us_ecfr_entity_list: the list as it
                              stood on the two dates, fetching any date not yet
                              stored (e.g. --from 2025-09-11 --to 2025-09-16)

    \b
    Filters (on any range):
      --effective-since/--effective-until DATE
                              by the list's own date of each change (eCFR
                              amendment date, CSL start_date, a rule's
                              publication or filing day, MOFCOM's effective
                              time); a change whose list states none is left out
      --list, --country, --sector
                              as a recipient's filter: a list code or source, an
                              ISO country (entity, jurisdiction or party), a
                              sector id; each repeatable

    JSON output follows monitor/schemas/changes.schema.json. CSV output has one
    row per change for spreadsheets; a cell that would run as a formula (=, +,
    -, @ first) is prefixed with '.
    """
    if since and (from_ is not None or to_ is not None):
        raise click.UsageError("use either --since or --from/--to, not both")
    check_output(output)
    narrowing = _narrowing(app, effective_since, effective_until, lists, countries, sectors)
    if _is_date(from_) or _is_date(to_):
        changes = _compare_dates(app, source, from_, to_)
        with app.store(read_only=True) as store:
            dates = _date_query(source, from_, to_)
            analysis = app.settings().analysis
            emit(render_stored(changes, dates, fmt, store, analysis, narrowing), output)
        return
    from_run, to_run = _run_id(from_, "--from"), _run_id(to_, "--to")
    settings = app.settings()
    names = [settings.source(source).name] if source else list(settings.sources)
    with app.store(read_only=True) as store:
        if since is None and from_run is None and to_run is None:
            changes, runs = _latest_changes(store, names)
            query: dict[str, object] = {"source": source, "runs": runs}
        else:
            changes = store.changes(
                source=source, since=parse_date(since), from_run=from_run, to_run=to_run
            )
            query = {"source": source, "since": since, "from_run": from_run, "to_run": to_run}
        emit(render_stored(changes, query, fmt, store, settings.analysis, narrowing), output)


def _narrowing(
    app: App,
    effective_since: str | None,
    effective_until: str | None,
    lists: tuple[str, ...],
    countries: tuple[str, ...],
    sectors: tuple[str, ...],
) -> Narrowing:
    """The filters, checked as a recipient's are: an unknown value is an error naming it."""
    from monitor.digest.narrow import Narrowing  # rendering's, imported when a diff renders

    asked = (
        ("--list", lists, "lists"),
        ("--country", countries, "countries"),
        ("--sector", sectors, "sectors"),
    )
    known = config.filter_values(app.settings(), [key for _, values, key in asked if values])
    for option, values, key in asked:
        if not values:
            continue
        bad = [v for v in values if v.casefold() not in {k.casefold() for k in known[key]}]
        if bad:
            shown = "ISO 3166 two-letter codes" if key == "countries" else ", ".join(known[key])
            raise click.BadParameter(f"{bad[0]!r} is unknown; allowed: {shown}", param_hint=option)
    for option, value in (
        ("--effective-since", effective_since),
        ("--effective-until", effective_until),
    ):
        parse_date(value, option)
    return Narrowing(
        effective_since=effective_since or "",
        effective_until=effective_until or "",
        lists=lists,
        countries=tuple(c.upper() for c in countries),
        sectors=sectors,
    )


def _latest_changes(store: Store, names: list[str]) -> tuple[list[StoredChange], list[int]]:
    """Each source's most recent run with changes (the default of `ecmon diff`)."""
    changes: list[StoredChange] = []
    runs = []
    for name in names:
        latest = store.last_changed_run(name)
        if latest is not None:
            runs.append(latest)
            changes += store.changes(source=name, from_run=latest - 1, to_run=latest)
    return changes, sorted(runs)


def _is_date(value: str | None) -> bool:
    return value is not None and len(value) == 10 and value[4] == "-" and value[7] == "-"


def _run_id(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a run id nor a date like 2025-09-11", param_hint=option
        ) from None


def _date_query(source: str | None, from_: str | None, to_: str | None) -> dict[str, object]:
    return {"source": source, "from_date": from_, "to_date": to_}


def _compare_dates(
    app: App, source: str | None, from_: str | None, to_: str | None
) -> list[StoredChange]:
    if not (source and _is_date(from_) and _is_date(to_)):
        raise click.UsageError("comparing dates needs --source NAME --from DATE --to DATE")
    assert source is not None and from_ is not None and to_ is not None
    for value, option in ((from_, "--from"), (to_, "--to")):
        parse_date(value, option)
    from monitor.http import HttpClient
    from monitor.pipeline import RunContext

    settings = app.settings()
    with app.store(create=True) as store, HttpClient(settings.http) as client:
        ctx = RunContext(settings, store, client, progress=progress_printer())
        from monitor import asof  # only date comparisons need it

        comparison = asof.compare_dates(ctx, source, from_, to_)
    clear_progress()
    return comparison.changes


@main.command()
@click.option("--source", required=True, metavar="NAME", help="A source that can show past dates.")
@click.option("--since", required=True, metavar="DATE", help="First amendment date to store.")
@pass_app
@handle_errors
def backfill(app: App, source: str, since: str) -> None:
    """Store every amendment of a dated source since DATE, oldest first.

    For us_ecfr_entity_list: each date the Entity List changed is fetched from
    the eCFR and diffed in order, so `ecmon diff` and `ecmon history` cover the
    past. Dates already stored are not fetched again. Progress goes to stderr.
    """
    parse_date(since, "--since")
    from monitor.http import HttpClient
    from monitor.pipeline import RunContext

    settings = app.settings()
    with app.store(create=True) as store, HttpClient(settings.http) as client:
        ctx = RunContext(settings, store, client, progress=progress_printer(lines=True))
        from monitor import asof

        code = report_summaries(asof.backfill(ctx, source, since))
    sys.exit(code)


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "prometheus"]),
    default="text",
    show_default=True,
    help="json for scripts; prometheus: text exposition format 0.0.4 (metrics).",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@pass_app
@handle_errors
def status(app: App, fmt: str, as_json: bool) -> None:
    """Health of each source: last outcome, last good run, failures, suspect reasons.

    Also the snapshots held for review (`ecmon review RUN`) and the latest review
    decisions: who accepted or rejected which held run, when and why.

    --format prometheus prints gauges per source (last success time, consecutive
    failures, records, last outcome, broken alert) and run counters, e.g. for a
    node_exporter textfile collector.
    """
    settings = app.settings()
    with app.store(read_only=True) as store:
        statuses = store.statuses([(n, s.enabled) for n, s in settings.sources.items()])
        problems = store.problem_runs(limit=10)
        from monitor import review as reviews  # status reads held runs; `run` never does

        waiting, decisions = reviews.pending(store), reviews.decisions(store)[:10]
        if fmt == "prometheus":
            from monitor.cli import metrics
            from monitor.store import alerts as store_health

            broken = store_health.broken_sources(store)
            counts, alerts = store_health.run_counts(store), store_health.alert_counts(store)
            click.echo(metrics.render(statuses, counts, broken, alerts), nl=False)
            return
    if as_json or fmt == "json":
        click.echo(console.status_json(statuses, waiting, decisions))
    else:
        click.echo(f"database: {settings.database}")
        click.echo(console.status_table(statuses))
        text = console.problems_table(problems) + console.review_section(waiting, decisions)
        if text:
            click.echo(text)
    sys.exit(_health_code(settings, statuses))


def _health_code(settings: Settings, statuses: list[SourceStatus]) -> int:
    """EXIT_UNHEALTHY when an enabled source is broken or stale (each named on stderr),
    so a health check never passes on a monitor that has stopped seeing its sources."""
    from monitor.daemon import health

    limits = health.Thresholds.from_settings(settings.daemon)
    bad = health.unhealthy(statuses, limits, utc_now())
    for source, why in bad:
        click.echo(f"ecmon: unhealthy: {source}: {why}", err=True)
    return EXIT_UNHEALTHY if bad else 0


@main.command()
@click.argument("query")
@pass_app
@handle_errors
def history(app: App, query: str) -> None:
    """An entity's timeline: when it was first seen, changed and removed.

    QUERY is a record key (as in `ecmon diff --format json`) or a name. A party on several
    lists (the MFA countermeasure list, the MOFCOM UEL and ECL, a BIS list) is one entity:
    its records' timelines are shown together, each step naming its list.
    """
    with app.store(read_only=True) as store:
        found = store.find_entities(query)
        if not found:
            click.echo(f"No entity matches {query!r}.")
            sys.exit(1)
        groups = _entity_groups(store, found)
        for members in groups[:10]:
            timelines = [(m[0], m[1], store.timeline(m[0], m[1])) for m in members]
            if len(members) == 1:
                _source, key, name, _country = members[0]
                click.echo(console.timeline_text(name, key, timelines[0][2]))
            else:
                click.echo(console.entity_text(members[0][2], members[0][3], timelines))
    if len(groups) > 10:
        click.echo(f"… and {len(groups) - 10} more; narrow the query.")


def _entity_groups(
    store: Store, found: list[tuple[str, str, str, str]]
) -> list[list[tuple[str, str, str, str]]]:
    """The found records grouped by entity (``analysis.identity``), each group completed
    with the records of the same party on the other lists."""
    from monitor.analysis.identity import entity_identity

    groups: dict[str, list[tuple[str, str, str, str]]] = {}
    for row in found:
        groups.setdefault(entity_identity(row[1]) or f"{row[0]}:{row[1]}", []).append(row)
    for identity, members in groups.items():
        name = identity.rpartition("|")[0]
        if not name or ":" in identity.partition("|")[0]:
            continue
        for row in store.find_entities(name):
            if entity_identity(row[1]) == identity and row not in members:
                members.append(row)
    return list(groups.values())


@main.command()
@click.argument("text")
@click.option("--limit", default=50, show_default=True, help="Most matches to show.")
@pass_app
@handle_errors
def search(app: App, text: str, limit: int) -> None:
    """Full-text search over current names and aliases."""
    with app.store() as store:
        click.echo(console.search_text(store.search(text, limit=limit)))


@main.command("demo")
@click.option(
    "--db",
    "db",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Keep the demo database here (default: demo.db in the user data dir; the global"
    " --db works too). A previous demo's database there is replaced.",
)
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@pass_app
@handle_errors
def demo_command(app: App, db: Path | None, fmt: TextFormat) -> None:
    """Run the whole pipeline offline on the bundled real-format fixtures.

    Serves the bundled fixture mirror from a local HTTP server on 127.0.0.1 in stages
    arranged by real dates: the baseline (before September 2025's news), the week of
    12 September 2025 (BIS filing and additions, MOFCOM's two investigations), then what
    came later (the eCFR amendment, the later rules and answers). Prints the story first
    (what BIS added, what China answered and when, with the evidence, what is pending),
    the timeline of the stages with each act dated (anything served outside its stage's
    dates would be marked arranged), then the changes per list since the baseline. No
    network needed. The
    database is kept (its path is printed) so `ecmon --db PATH links` or `digest` can
    read it; a database holding anything but a previous demo is refused, never touched.
    """
    from monitor.cli import demo_timeline, demo_view
    from monitor.testing import demo  # the fixture server is only for the demo

    path = db or app.db or config.default_database_path().with_name("demo.db")
    replaced = demo_view.fresh_demo_database(path)
    with Store.open(path) as store:
        result = demo.run_demo(store, path, progress_printer())
        clear_progress()
        changes = store.changes(from_run=result.first_after_run)
        text = render_stored(changes, {"from_run": result.first_after_run}, fmt, store)
        opening = demo_view.opening(store, changes, path, replaced) if fmt == "text" else ""
    if opening:
        timeline = demo_timeline.timeline_lines(demo.STAGES, result.stages, changes)
        opening += "\n" + "\n".join(timeline) + "\n"
    click.echo(opening, nl=False)
    titles = {stage.name: f"{stage.dates}: {stage.title}" for stage in demo.STAGES}
    for stage, summaries in result.stages.items():
        click.echo(f"[{stage}] {titles.get(stage, '')}".rstrip(), err=True)
        for summary in summaries:
            click.echo("  " + console.summary_line(summary), err=True)
    click.echo(("\n== Per-list detail ==\n" if opening else "") + text, nl=False)
    click.echo(f"demo database: {path}", err=True)


def _sources_help() -> str:
    """The registered sources, for the top-level --help (from their cheap INFO modules)."""
    from monitor.sources import INFOS

    width = max(len(name) for name in INFOS)
    rows = "\n".join(f"  {name:<{width}}  {info.title}" for name, info in INFOS.items())
    return f"\b\nSources (ecmon run --source NAME):\n{rows}"


main.help = f"{inspect.cleandoc(main.help or '')}\n\n{_sources_help()}"
