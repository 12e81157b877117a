"""``ecmon config show|check|init``: the effective settings, a check for CI of a config
repository (exit 2 on any problem) and a commented starter file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from monitor import config
from monitor.cli.common import App, handle_errors, pass_app
from monitor.errors import ConfigError


def starter_text() -> str:
    """The commented starter file shipped with the package (deploy/ecmon.example.toml)."""
    return resources.files("monitor").joinpath("data/config.example.toml").read_text("utf-8")


@click.group("config")
def config_group() -> None:
    """Inspect, check or start the configuration."""


@config_group.command("show")
@pass_app
@handle_errors
def config_show(app: App) -> None:
    """Print every effective setting and where it came from."""
    rows = config.effective_items(app.settings())
    width = max(len(r[0]) for r in rows)
    for name, value, origin in rows:
        click.echo(f"{name:<{width}}  {value}    ({origin})")


@config_group.command("check")
@pass_app
@handle_errors
def config_check(app: App) -> None:
    """Load and validate the settings; exit 2 naming every problem, 0 when all is well."""
    settings = app.settings()
    where = settings.config_path or "no config file (defaults and environment)"
    click.echo(f"configuration ok: {where}")


@config_group.command("init")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@pass_app
@handle_errors
def config_init(app: App, path: Path | None, force: bool) -> None:
    """Write a commented starter file to PATH (default: --config, $ECMON_CONFIG or the
    user config dir; '-' writes it to stdout)."""
    if path is not None and str(path) == "-":
        click.echo(starter_text(), nl=False)
        return
    target = path or app.config_path or config.starter_path()
    if target.exists() and not force:
        raise ConfigError(f"{target} exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(starter_text(), encoding="utf-8")
    click.echo(f"wrote {target}; edit it, then run: ecmon --config {target} config check", err=True)
