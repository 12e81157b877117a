"""``ecmon browse``: the database in Datasette, read-only, with descriptions and canned
queries (an optional extra: ``pip install 'ecmon[browse]'``).

Datasette runs as a child process (``python -m datasette serve``) so that this module
never imports it: ecmon works without the extra, and only this command needs it.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from monitor.cli.common import App, handle_errors, pass_app
from monitor.errors import ConfigError, StoreError

LINKS_DB = "links"

# A Datasette plugin written beside the metadata (so this module never imports Datasette):
# records are stored packed (``codec.pack_json``); SQL gets ``ecmon_json(record_z)`` to
# read them, and the table pages show them as indented JSON instead of "<Binary>".
PLUGIN = """\
import json

from datasette import hookimpl
from markupsafe import Markup, escape

from monitor.store.codec import unpack_json


def ecmon_json(value):
    return unpack_json(value) if isinstance(value, bytes) else value


@hookimpl
def prepare_connection(conn):
    conn.create_function("ecmon_json", 1, ecmon_json, deterministic=True)


@hookimpl
def render_cell(value, column):
    if column != "record_z" or not isinstance(value, bytes):
        return None
    text = json.dumps(json.loads(unpack_json(value)), indent=2, ensure_ascii=False)
    return Markup("<pre>" + str(escape(text)) + "</pre>")
"""


@click.command("browse")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option("--no-links", is_flag=True, help="Skip computing the countermeasure links.")
@pass_app
@handle_errors
def browse(app: App, host: str, port: int, no_links: bool) -> None:
    """Open the database in Datasette, read-only, until interrupted (Ctrl-C).

    \b
    Every table and column is described; canned queries: latest changes, an entity's
    timeline (?key=...), one key's records (?key=...), held snapshots, the outbox,
    government acts, and the countermeasure links (computed at start, as `ecmon links`
    shows them). JSON columns are shown formatted (datasette-pretty-json); the packed
    records (record_z) as JSON, and SQL reads them with ecmon_json(record_z). Needs the extra:
    pip install 'ecmon[browse]'
    """
    if importlib.util.find_spec("datasette") is None:
        raise ConfigError("ecmon browse needs Datasette: pip install 'ecmon[browse]'")
    database = app.settings().database
    if not database.is_file():
        raise StoreError(f"no database at {database}: run `ecmon run` (or `ecmon demo`) first")
    with tempfile.TemporaryDirectory(prefix="ecmon-browse-") as folder:
        work = Path(folder)
        links = None if no_links else _write_links(app, work / f"{LINKS_DB}.db")
        meta = work / "metadata.json"
        meta.write_text(json.dumps(_metadata(database, links)), encoding="utf-8")
        plugins = work / "plugins"
        plugins.mkdir()
        (plugins / "ecmon_records.py").write_text(PLUGIN, encoding="utf-8")
        command = [sys.executable, "-m", "datasette", "serve", str(database)]
        command += [str(links)] if links else []
        command += ["--metadata", str(meta), "--plugins-dir", str(plugins)]
        command += ["--host", host, "--port", str(port)]
        command += ["--setting", "sql_time_limit_ms", "5000"]
        click.echo(f"ecmon browse: {database} (read-only) at http://{host}:{port}/", err=True)
        sys.exit(_serve(command))


def _serve(command: list[str]) -> int:
    """Run Datasette until it ends; SIGTERM or Ctrl-C here stop it too (no orphan server)."""
    child = subprocess.Popen(command)
    signal.signal(signal.SIGTERM, lambda _sig, _frame: child.terminate())
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        child.wait(timeout=10)
        return 0


def _metadata(database: Path, links: Path | None) -> dict[str, object]:
    from monitor.store.browse_metadata import metadata

    return metadata(database.stem, links.stem if links else None)


def _write_links(app: App, path: Path) -> Path:
    from monitor.analysis.links import evidence_dicts
    from monitor.enrich import links_report
    from monitor.store.browse import write_links

    settings = app.settings()
    with app.store() as store:
        report = links_report(
            store, settings.analysis, window_days=settings.analysis.link_window_days, since=None
        )
    rows = [
        {
            "trigger_key": link.trigger.key,
            "trigger_date": link.trigger.date,
            "trigger_title": link.trigger.title,
            "response_key": link.response.key,
            "response_date": link.response.date,
            "response_title": link.response.title,
            "days_after": link.days,
            "score": link.score,
            "evidence_json": evidence_dicts(link),
        }
        for link in report.links
    ]
    write_links(path, rows)
    return path
