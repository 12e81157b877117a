"""Credentials in a source URL never leak (issue 16, defect 5).

The CSL source's URL carries ``user:pass@``, ``?subscription-key=`` and ``api_token=``,
given through ``ECMON_US_CSL_ENTITY_LIST_URL`` (a URL with a secret in the config file is
refused: secrets come from the environment). After a baseline, a run with changes, a failed
run (its error names the URL), every read command, a digest mailed to a local SMTP server
and the Atom feed, no output, no mail and no column of any table holds a secret; the URL is
still shown, redacted, where it says where a snapshot came from.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from monitor.cli.main import main
from monitor.sources import REGISTRY
from monitor.testing.fixture_server import Fault, FixtureServer
from tests.digest.support import smtp_server
from tests.reliability import report
from tests.support import CSL, CSL_AFTER, CSL_BEFORE

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "ecmon-user", "Url-Pa55-c4n4ry"
KEY, TOKEN = "subkey-c4n4ry-0001", "tok-c4n4ry-0002"
SECRETS = (PASSWORD, KEY, TOKEN)
ENV = "ECMON_US_CSL_ENTITY_LIST_URL"
PATH = "/consolidated.csv"


def _config(path: Path, db: Path, smtp_port: int, url: str | None = None) -> Path:
    others = "".join(f"[sources.{n}]\nenabled = false\n" for n in REGISTRY if n != CSL)
    inline = f'url = "{url}"\n' if url else ""
    path.write_text(
        f'database = "{db}"\nmax_shrink = 0.25\n[http]\nretries = 1\nbackoff = 0.0\n'
        f"[sources.{CSL}]\n{inline}min_records = 1\n{others}"
        f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        'sender = "ecmon@example.org"\n[[email.recipients]]\naddress = "desk@example.org"\n',
        encoding="utf-8",
    )
    return path


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _table_leaks(db: Path) -> list[str]:
    """``table.column: secret`` for every text or blob cell holding a secret."""
    found = []
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                for (value,) in conn.execute(f'SELECT "{column}" FROM "{table}"'):
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                    if isinstance(text, str):
                        found += [f"{table}.{column}: {s}" for s in _leaks(text)]
    return sorted(set(found))


def test_url_credentials_are_redacted_everywhere(tmp_path: Path) -> None:
    row = report.record(
        report.Row(
            "security",
            CSL,
            "credentials in the source URL",
            f"user:pass@, ?subscription-key= and api_token= in {ENV}; a baseline, a run with"
            " changes, a failed run, every read command, a mailed digest, the feed",
            "no secret in any output, mail or table; URL shown redacted; inline URL refused",
            "-",
        )
    )
    db = tmp_path / "ecmon.db"
    runner = CliRunner()
    outputs: dict[str, str] = {}
    with FixtureServer() as server, smtp_server() as (inbox, smtp_port):
        port = server.port
        base = server.url_for(PATH).replace("http://", f"http://{USER}:{PASSWORD}@")
        url = f"{base}?subscription-key={KEY}&format=csv&api_token={TOKEN}"
        config = _config(tmp_path / "ecmon.toml", db, smtp_port)
        env = {ENV: url}

        def ecmon(name: str, *args: str) -> str:
            result = runner.invoke(main, ["--config", str(config), *args], env=env)
            outputs[name] = result.output + (result.stderr if result.stderr_bytes else "")
            return outputs[name]

        server.set_route(PATH, CSL_BEFORE.read_bytes())
        ecmon("run (baseline)", "run")
        server.set_route(PATH, CSL_AFTER.read_bytes())
        ecmon("run (changes)", "run")
        server.set_faults(PATH, [Fault.http_status(404)])
        failed = ecmon("run (failed)", "run")
        assert "REDACTED" in failed, failed  # the error names the URL, redacted
        for name, args in {
            "status": ("status",),
            "status --json": ("status", "--json"),
            "config show": ("config", "show"),
            "diff": ("diff",),
            "diff json": ("diff", "--format", "json"),
            "diff csv": ("diff", "--format", "csv"),
            "digest": ("digest",),
            "digest html": ("digest", "--format", "html"),
            "digest markdown": ("digest", "--format", "markdown"),
            "digest --send": ("digest", "--send"),
            "digest --outbox": ("digest", "--outbox"),
            "feed": ("feed", "--output", "-"),
        }.items():
            ecmon(name, *args)
        mails = [m.as_string() for m in inbox.messages]
        # One process with debug logging on, for the log lines.
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ECMON_")}
        logged = subprocess.run(
            [sys.executable, "-m", "monitor", "-vv", "--config", str(config), "run"],
            cwd=ROOT,
            env={**environ, ENV: url},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        outputs["run -vv (logs)"] = logged.stdout + logged.stderr
        inline = _config(tmp_path / "inline.toml", db, smtp_port, url=url)
        refused = runner.invoke(main, ["--config", str(inline), "config", "check"])
    leaks = {name: _leaks(text) for name, text in outputs.items() if _leaks(text)}
    leaks.update({f"mail {n}": _leaks(m) for n, m in enumerate(mails) if _leaks(m)})
    tables = _table_leaks(db)
    row.observed = (
        f"{len(outputs)} outputs, {len(mails)} mail(s), every table scanned: "
        f"{sum(map(len, leaks.values())) + len(tables)} secret(s) found; inline URL:"
        f" exit {refused.exit_code}"
    )
    assert mails, outputs["digest --send"]
    assert not leaks, leaks
    assert not tables, tables
    assert f"REDACTED@127.0.0.1:{port}" in outputs["config show"]
    assert "subscription-key=REDACTED" in outputs["config show"]
    assert f"env {ENV}" in outputs["config show"]
    assert "subscription-key=REDACTED" in outputs["diff json"]  # provenance keeps the URL
    assert "REDACTED@127.0.0.1" in outputs["run -vv (logs)"]  # httpx logs the request URL
    assert refused.exit_code == 2 and ENV in refused.output, refused.output
    assert not _leaks(refused.output)
    row.passed = True
