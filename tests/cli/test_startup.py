"""`ecmon run` loads only what it uses (issue 17 item 3, "start fast").

Module-set assertions, not timings: a no-change `ecmon run` (the server answers 304) of
a CSL-only config runs in a child process, which then lists the modules it imported.
Rendering, analysis, delivery, the browser and the other sources' parsers must not be
among them; the modules the run does use must be (so the probe itself is checked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from monitor.cli import main
from monitor.cli.main import LAZY_COMMANDS
from monitor.testing.fixture_server import FixtureServer
from tests.support import CSL, CSL_AFTER, CSL_BEFORE, invoke_config, write_config

# Runs `ecmon ARGS` in this (child) process, then writes sorted(sys.modules) to OUT.
PROBE = """
import json, sys
from monitor.cli import main
out, args = sys.argv[1], sys.argv[2:]
try:
    main.main(args, prog_name="ecmon", standalone_mode=False)
    code = 0
except SystemExit as stop:
    code = stop.code
with open(out, "w", encoding="utf-8") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""

# Nothing of these on a no-change run: each is used by other commands only.
NOT_ON_THE_RUN_PATH = (
    "jinja2",
    "apprise",
    "bs4",
    "lxml",
    "datasette",
    "sqlite_utils",  # only to migrate an older database
    "apscheduler",
    "pycountry",  # only when a recipient's filter names a country
    "monitor.digest",
    "monitor.analysis",  # the sector taxonomy: only when a filter names a sector
    "monitor.enrich",
    "monitor.notify",
    "monitor.daemon",
    "monitor.export",
    "monitor.review",
    "monitor.testing",
    *(module.partition(":")[0] for module in LAZY_COMMANDS.values()),
    *(f"monitor.sources.{folder}.source" for folder in ("ecfr", "federal_register", "mofcom")),
    "monitor.sources.mfa.source",
)


def _loaded(modules: list[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def _probe(tmp_path: Path, *args: str) -> tuple[int, list[str], str]:
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.exists(), done.stderr
    found = json.loads(out.read_text(encoding="utf-8"))
    return found["code"], found["modules"], done.stdout


def test_a_no_change_run_imports_only_what_it_uses(tmp_path: Path) -> None:
    with FixtureServer(root=None) as server:
        server.set_route("/el.csv", CSL_BEFORE.read_bytes())
        config = write_config(tmp_path / "c.toml", tmp_path / "ecmon.db", f"{server.url}/el.csv")
        # A recipient without filters: validating it must not load the taxonomy either.
        with config.open("a", encoding="utf-8") as handle:
            handle.write("[[email.recipients]]\naddress = 'ops@example.com'\n")
        assert invoke_config(config, "run").exit_code == 0  # the baseline
        code, modules, stdout = _probe(tmp_path, "--config", str(config), "run")
        conditional = [r for r in server.requests if r.path == "/el.csv"][-1]
    assert code == 0 and "not modified" in stdout, stdout
    assert "if-none-match" in {k.lower() for k in conditional.headers}
    # What the run does use is seen (the probe works)...
    for used in ("monitor.sources.csl.source", "monitor.pipeline", "httpx", "sqlite3"):
        assert used in modules
    # ...and nothing it does not.
    loaded = sorted(name for name in NOT_ON_THE_RUN_PATH if _loaded(modules, name))
    assert loaded == []


def test_the_probe_sees_a_command_module_loaded_on_use(tmp_path: Path) -> None:
    """The other side: `ecmon config show` imports its own command module (and only
    that one), so the absence of the others above means something."""
    config = write_config(tmp_path / "c.toml", tmp_path / "ecmon.db", "http://127.0.0.1:9/")
    code, modules, stdout = _probe(tmp_path, "--config", str(config), "config", "show")
    assert code == 0 and CSL in stdout
    assert "monitor.cli.configure" in modules
    assert not _loaded(modules, "monitor.cli.digest") and not _loaded(modules, "jinja2")


def test_commands_that_never_fetch_load_no_http_client(tmp_path: Path) -> None:
    """`ecmon status` (a health check, run every few seconds) and `ecmon config show`
    import neither the pipeline nor httpx; only the commands that fetch do."""
    with FixtureServer(root=None) as server:
        server.set_route("/el.csv", CSL_BEFORE.read_bytes())
        config = write_config(tmp_path / "c.toml", tmp_path / "ecmon.db", f"{server.url}/el.csv")
        assert invoke_config(config, "run").exit_code == 0
    for args in (("status",), ("config", "show")):
        code, modules, stdout = _probe(tmp_path, "--config", str(config), *args)
        assert code == 0 and CSL in stdout, (args, stdout)
        fetching = [
            m for m in ("httpx", "httpcore", "monitor.http", "monitor.pipeline") if m in modules
        ]
        assert fetching == [], args
        assert "monitor.store" in modules or args[0] == "config"


def test_help_lists_every_command_with_its_own_short_help() -> None:
    """The lazy commands are in --help with the words of their own docstrings."""
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    listed = result.stdout.split("Commands:", 1)[1]
    context = click.Context(main)
    names = main.list_commands(context)
    assert set(LAZY_COMMANDS) <= set(names) and {"run", "diff", "status"} <= set(names)
    for name in names:
        command = main.get_command(context, name)
        assert command is not None and command.name == name
        short = command.get_short_help_str(limit=150)
        assert short, f"{name} has no short help"
        assert f"  {name} " in listed and short.rstrip(".…")[:40] in listed, name


def test_an_unknown_command_is_still_an_error() -> None:
    assert main.get_command(click.Context(main), "nope") is None
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "nope"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and "No such command 'nope'" in result.stderr


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_each_lazy_entry_names_its_command(name: str) -> None:
    module, _, attribute = LAZY_COMMANDS[name].partition(":")
    command = getattr(__import__(module, fromlist=[attribute]), attribute)
    assert isinstance(command, click.Command) and command.name == name


# Nothing of these in `ecmon digest` (text, to a file): it reads the store and renders.
NOT_ON_THE_DIGEST_PATH = (
    "httpx",
    "httpcore",
    "monitor.http",
    "monitor.pipeline",
    "apprise",
    "bs4",
    "lxml",
    "datasette",
    "sqlite_utils",
    "apscheduler",
    "pycountry",  # only when a recipient's filter names a country
    "socket",  # only to claim an outbox delivery (--send)
    "monitor.notify",
    "monitor.daemon",
    "monitor.export",
    "monitor.testing",
    *(f"monitor.sources.{folder}.source" for folder in ("csl", "ecfr", "federal_register")),
    "monitor.sources.mofcom.source",
    "monitor.sources.mfa.source",
)


def test_a_digest_imports_only_what_it_renders_with(tmp_path: Path) -> None:
    with FixtureServer(root=None) as server:
        server.set_route("/el.csv", CSL_BEFORE.read_bytes())
        config = write_config(tmp_path / "c.toml", tmp_path / "ecmon.db", f"{server.url}/el.csv")
        assert invoke_config(config, "run").exit_code == 0  # the baseline
        server.set_route("/el.csv", CSL_AFTER.read_bytes())
        assert invoke_config(config, "run").exit_code == 0  # pending changes
    out = tmp_path / "digest.txt"
    code, modules, _ = _probe(tmp_path, "--config", str(config), "digest", "--output", str(out))
    assert code == 0 and "NEW LISTINGS" in out.read_text(encoding="utf-8")
    for used in ("jinja2", "monitor.digest.render", "monitor.digest.template_cache", "sqlite3"):
        assert used in modules
    loaded = sorted(name for name in NOT_ON_THE_DIGEST_PATH if _loaded(modules, name))
    assert loaded == []
