"""``ecmon links``, ``ecmon sectors``, ``ecmon screen`` and ``ecmon hits``: the analysis
commands (sector tags, countermeasure links, watchlist screening).

Each command reads the stored state and the analyst's files named under ``[analysis]``
in the settings (``watchlist``, ``sector_overrides``, ``link_window_days``,
``hit_threshold``); the work is done by ``monitor.enrich`` and the pure modules behind it.
Only ``screen`` and ``hits confirm|dismiss`` write (the hits and decisions).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Generic, TypeVar

import click

from monitor.cli.common import App, handle_errors, parse_date, pass_app

OUTPUT = click.Choice(["text", "json"])
T = TypeVar("T")


@click.command("links")
@click.option("--since", metavar="DATE", help="Only links and chain steps dated on or after DATE.")
@click.option(
    "--window",
    "window_days",
    type=click.IntRange(1, 366),
    metavar="DAYS",
    help="How many days a response may follow its trigger (default: analysis.link_window_days).",
)
@click.option("--format", "fmt", type=OUTPUT, default="text", show_default=True)
@pass_app
@handle_errors
def links(app: App, since: str | None, window_days: int | None, fmt: str) -> None:
    """Countermeasure links as a timeline: trigger -> responses, each with its evidence.

    \b
    A trigger is a BIS rule, or the BIS list additions announced on one day (derived
    from the list entries when no Federal Register document for them is held). A
    response is a MOFCOM listing, measure or investigation 1 to DAYS days later that
    shares a sector, names the trigger or its subject (Entity List, export controls,
    Section 301, chips) or names the same parties; each link shows its score and why.
    Chains follow MOFCOM (and FR) notices that suspend, continue or stop earlier ones.
    """
    from monitor.cli import analysis_views as views
    from monitor.enrich import links_report

    parse_date(since)
    settings = app.settings()
    window = window_days or settings.analysis.link_window_days
    with app.store() as store:
        report = links_report(store, settings.analysis, window_days=window, since=since)
    if fmt == "json":
        query = {"since": since, "window_days": window}
        doc = views.links_document(report.links, report.chains, report.taxonomy, query)
        click.echo(views.to_json(doc), nl=False)
    else:
        click.echo(views.links_text(report.links, report.chains, window), nl=False)


@click.command("sectors")
@click.option("--source", metavar="NAME", help="Only records of this source.")
@click.option("--sector", "sector", metavar="ID", help="Only records tagged with this sector.")
@click.option("--untagged", is_flag=True, help="Only records without any sector.")
@click.option("--taxonomy", "show_taxonomy", is_flag=True, help="List the sectors and exit.")
@click.option("--format", "fmt", type=OUTPUT, default="text", show_default=True)
@pass_app
@handle_errors
def sectors(
    app: App,
    source: str | None,
    sector: str | None,
    untagged: bool,
    show_taxonomy: bool,
    fmt: str,
) -> None:
    """Sector tags of the current records, each with its evidence (field, matched text, rule).

    Tags come from the taxonomy (monitor/data/sectors.toml), the text of the action
    that listed an entry, and your overrides (analysis.sector_overrides), which win.
    """
    from monitor.cli import analysis_views as views
    from monitor.enrich import load_analysis
    from monitor.store import analysis as store_analysis

    settings = app.settings()
    if source:
        settings.source(source)  # an unknown name is a configuration error
    with app.store() as store:
        context = load_analysis(store, replace(settings.analysis, watchlist=""))
        if show_taxonomy:
            click.echo(views.taxonomy_text(context.taxonomy), nl=False)
            return
        if sector and sector not in context.taxonomy.ids():
            known = ", ".join(context.taxonomy.ids())
            raise click.BadParameter(
                f"unknown sector {sector!r}; known: {known}", param_hint="--sector"
            )
        rows = []
        for name, record in store_analysis.current_records(store, source=source):
            tags = context.tags(name, record)
            ids = {t.sector for t in tags}
            if (untagged and ids) or (sector and sector not in ids):
                continue
            rows.append((name, record, tags))
    if fmt == "json":
        click.echo(views.to_json(views.sectors_document(rows, context.taxonomy)), nl=False)
    else:
        click.echo(views.sectors_text(rows, context.taxonomy), nl=False)


@click.command("screen")
@click.option(
    "--watchlist",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Watchlist file (TOML or CSV; default: analysis.watchlist).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    help="Score from which a match is a hit (default: analysis.hit_threshold, 0.85).",
)
@click.option("--all", "show_all", is_flag=True, help="Also show dismissed hits.")
@click.option(
    "--name",
    "adhoc",
    metavar="NAME",
    help="Screen this one name now (Latin or Chinese), instead of the watchlist; hits are"
    " shown, not kept.",
)
@click.option(
    "--country",
    metavar="CC",
    help="With --name: the party's ISO country code (a match elsewhere scores lower).",
)
@click.option("--format", "fmt", type=OUTPUT, default="text", show_default=True)
@pass_app
@handle_errors
def screen(
    app: App,
    watchlist: Path | None,
    threshold: float | None,
    show_all: bool,
    adhoc: str | None,
    country: str | None,
    fmt: str,
) -> None:
    """Screen every current record of every list against your watchlist, and keep the hits.

    Names are folded (case, punctuation, legal forms such as Co., Ltd., Inc., LLC,
    有限公司), compared word by word (fuzzy) and, for Chinese names, character by
    character; MOFCOM's bilingual annex names carry a match across languages. Each hit
    has a score and a reason. Decide on hits with `ecmon hits confirm|dismiss ID`; a
    dismissed hit stays dismissed until the record changes.
    """
    from monitor.cli import analysis_views as views
    from monitor.enrich import load_analysis
    from monitor.errors import ConfigError
    from monitor.models import utc_now
    from monitor.store import analysis as store_analysis

    settings = app.settings()
    if adhoc is not None:
        if watchlist is not None:
            raise ConfigError("give --name or --watchlist, not both")
        _screen_name(app, adhoc, country, threshold, fmt)
        return
    if country is not None:
        raise ConfigError("--country goes with --name (a watchlist names each entry's country)")
    path = str(watchlist) if watchlist else settings.analysis.watchlist
    if not path:
        raise ConfigError("no watchlist: give --watchlist FILE or set analysis.watchlist")
    analysis = replace(settings.analysis, watchlist=path)
    with app.store() as store:
        context = load_analysis(store, analysis)
        limit = context.threshold if threshold is None else threshold
        counted = _Counter(store_analysis.current_records(store))
        found = context.screen(counted, threshold=limit)
        stored = store_analysis.save_hits(store, found, utc_now())
    shown = [h for h in stored if show_all or h.status != "dismissed"]
    if fmt == "json":
        doc = {
            "threshold": limit,
            "entries": len(context.entries),
            "records": counted.count,
            "hits": [views.hit_dict(h) for h in shown],
        }
        click.echo(views.to_json(doc), nl=False)
        return
    hidden = len(stored) - len(shown)
    note = f"; {hidden} dismissed not shown (--all)" if hidden else ""
    click.echo(
        f"Screened {len(context.entries)} watch entries against {counted.count} records:"
        f" {len(stored)} hits at or above {limit:.2f}{note}"
    )
    click.echo(views.hits_text(shown), nl=False)


def _screen_name(
    app: App, name: str, country: str | None, threshold: float | None, fmt: str
) -> None:
    """One name screened against every current record, like a watchlist entry; not kept."""
    from monitor.analysis.watchlist import WatchEntry
    from monitor.cli import analysis_views as views
    from monitor.enrich import load_analysis
    from monitor.errors import ConfigError
    from monitor.store import analysis as store_analysis

    if not name.strip():
        raise ConfigError("--name is empty")
    code = (country or "").strip().upper()
    if country is not None and (len(code) != 2 or not code.isalpha()):
        raise ConfigError(f"--country {country!r}: give an ISO 3166 two-letter code (CN, US)")
    entry = WatchEntry(ref="--name", name=name.strip(), country=code)
    with app.store() as store:
        context = load_analysis(store, app.settings().analysis, entries=[entry])
        limit = context.threshold if threshold is None else threshold
        counted = _Counter(store_analysis.current_records(store))
        found = context.screen(counted, threshold=limit)
    if fmt == "json":
        doc = {
            "name": entry.name,
            "country": code,
            "threshold": limit,
            "records": counted.count,
            "hits": [views.adhoc_hit_dict(h) for h in found],
        }
        click.echo(views.to_json(doc), nl=False)
        return
    click.echo(
        f"Screened {entry.name!r}{f' [{code}]' if code else ''} against {counted.count}"
        f" records: {len(found)} hits at or above {limit:.2f}"
    )
    click.echo(views.adhoc_hits_text(found), nl=False)


class _Counter(Generic[T]):
    """Counts what an iterator yields (screening streams the records, never lists them)."""

    def __init__(self, items: Iterable[T]) -> None:
        self._items = items
        self.count = 0

    def __iter__(self) -> Iterator[T]:
        for item in self._items:
            self.count += 1
            yield item


@click.group("hits", invoke_without_command=True)
@click.option(
    "--status",
    type=click.Choice(["new", "confirmed", "dismissed", "all"]),
    default="all",
    show_default=True,
    help="Which hits to list.",
)
@click.option("--format", "fmt", type=OUTPUT, default="text", show_default=True)
@click.pass_context
@handle_errors
def hits(ctx: click.Context, status: str, fmt: str) -> None:
    """List the stored watchlist hits (from `ecmon screen`), or decide on one.

    \b
    ecmon hits                     every hit, grouped by watch entry
    ecmon hits --status new        only those nobody has decided on
    ecmon hits confirm ID [--note] this is your counterparty
    ecmon hits dismiss ID [--note] a false match; stays dismissed until the record changes
    ecmon hits show ID             one hit and its decision log
    """
    if ctx.invoked_subcommand is not None:
        return
    from monitor.cli import analysis_views as views
    from monitor.store import analysis as store_analysis

    app = ctx.find_object(App)
    assert app is not None
    with app.store() as store:
        found = store_analysis.stored_hits(store, status=None if status == "all" else status)
    if fmt == "json":
        click.echo(views.to_json([views.hit_dict(h) for h in found]), nl=False)
    else:
        click.echo(views.hits_text(found), nl=False)


@hits.command("confirm")
@click.argument("hit_id", type=int, metavar="ID")
@click.option("--note", default="", help="Why (kept in the decision log).")
@pass_app
@handle_errors
def confirm(app: App, hit_id: int, note: str) -> None:
    """Mark hit ID as a true match."""
    _decide(app, hit_id, "confirmed", note)


@hits.command("dismiss")
@click.argument("hit_id", type=int, metavar="ID")
@click.option("--note", default="", help="Why (kept in the decision log).")
@pass_app
@handle_errors
def dismiss(app: App, hit_id: int, note: str) -> None:
    """Mark hit ID as a false match; it reopens when the listed record changes."""
    _decide(app, hit_id, "dismissed", note)


@hits.command("show")
@click.argument("hit_id", type=int, metavar="ID")
@pass_app
@handle_errors
def show(app: App, hit_id: int) -> None:
    """One hit with its reason and every decision taken on it."""
    from monitor.cli import analysis_views as views
    from monitor.store import analysis as store_analysis

    with app.store() as store:
        found = [h for h in store_analysis.stored_hits(store) if h.id == hit_id]
        log = store_analysis.decisions(store, hit_id)
    if not found:
        click.echo(f"No hit with id {hit_id} (see `ecmon hits`).", err=True)
        sys.exit(1)
    click.echo(views.hits_text(found), nl=False)
    for entry in log:
        note = f": {entry['note']}" if entry["note"] else ""
        click.echo(f"  {entry['decided_at']}  {entry['status']}{note}")


def _decide(app: App, hit_id: int, status: str, note: str) -> None:
    from monitor.cli import analysis_views as views
    from monitor.models import utc_now
    from monitor.store import analysis as store_analysis

    with app.store() as store:
        decided = store_analysis.decide(store, hit_id, status, note, utc_now())
    click.echo(views.hits_text([decided]), nl=False)
