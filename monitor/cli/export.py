"""``ecmon export``: one list as it stands (or stood), one row per entity, with provenance."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from monitor.cli.common import App, emit, handle_errors, pass_app
from monitor.errors import EcmonError
from monitor.export.entities import LISTS, ExportedEntity


@click.command("export")
@click.option(
    "--list",
    "list_name",
    required=True,
    type=click.Choice(sorted(LISTS)),
    help="Which list: el, meu, uvl, dpl (BIS), ecl, uel (MOFCOM), mfa (MFA countermeasures).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The list as ecmon had accepted it by the end of this day (UTC). Default: now.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "ftm"]),
    default="csv",
    show_default=True,
    help="csv: one row per entity; json: every stored field; ftm: FollowTheMoney entities"
    " (one JSON object per line, a LegalEntity or Person and its Sanction).",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output ('-' is standard output).",
)
@pass_app
@handle_errors
def export(app: App, list_name: str, as_of: datetime | None, fmt: str, output: Path | None) -> None:
    """Export the current state of one list, one entity per row, with its provenance.

    \b
    An entity held by two sources (the Entity List in the CSL file and in the eCFR) is
    one row, "reported by" both; the CSL's record speaks first. Provenance columns: the
    URL fetched, the raw bytes' sha256, and when ecmon accepted that version. The list
    date is the one the list states (CSL start_date, MOFCOM listing date).
    Exit 1 when the database holds no entity of the list at that moment.
    """
    from monitor.export import entities as ents
    from monitor.store import exports

    moment = f"{as_of.date().isoformat()}T23:59:59+00:00" if as_of else None
    with app.store() as store:
        found = ents.entities(exports.listed(store, list_name, moment))
        held = exports.known_lists(store)
    if not found:
        when = f" as of {as_of.date().isoformat()}" if as_of else ""
        have = ", ".join(held) or "none"
        raise EcmonError(
            f"no {list_name} entities in {app.settings().database}{when}"
            f" (lists held: {have}); run the source that publishes it first"
        )
    emit(_render(found, list_name, moment, fmt), None if output == Path("-") else output)


def _render(found: list[ExportedEntity], list_name: str, moment: str | None, fmt: str) -> str:
    from monitor.digest.render import spreadsheet_cell
    from monitor.export import ftm, table

    if fmt == "csv":
        return table.to_csv(found, spreadsheet_cell)
    if fmt == "json":
        return table.to_json(found, list_name=list_name, as_of=moment)
    return ftm.to_ftm(found)
