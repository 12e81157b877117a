"""`ecmon daemon` as a real process: second-level schedules against the fixture server on
127.0.0.1 and a real SMTP server (aiosmtpd); SIGTERM/SIGINT; the one-daemon lock; and
broken/recovered alerts through `ecmon daemon --once`.

Waits are on conditions with generous limits (the machine is shared); the only timed
assertion is the issue's: the daemon exits within 10 s of SIGTERM.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from monitor import config
from monitor.cli import main
from monitor.daemon import scheduler
from monitor.errors import ConfigError
from monitor.sources import REGISTRY, default_settings
from monitor.testing.fixture_server import Fault, FixtureServer
from tests.digest.support import body, smtp_server
from tests.support import CSL, CSL_AFTER, CSL_BEFORE, invoke_config

ROOT = Path(__file__).resolve().parents[2]
PATIENCE = 120.0  # seconds to wait for a condition before failing
STOP_WITHIN = 10.0  # the issue: exits within 10 s of SIGTERM


def daemon_config(
    path: Path, db: Path, url: str, *, smtp_port: int, heartbeat: str = "", threshold: int = 3
) -> Path:
    """CSL every second at ``url``, the digest every 2 s, mail to 127.0.0.1:``smtp_port``."""
    others = "".join(f"[sources.{name}]\nenabled = false\n" for name in REGISTRY if name != CSL)
    path.write_text(
        f'database = "{db}"\nmax_shrink = 0.25\n'
        "[http]\nretries = 0\nbackoff = 0.0\nconnect_timeout = 5\nread_timeout = 10\n"
        f'[sources.{CSL}]\nurl = "{url}"\nmin_records = 1\nschedule = "every 1s"\n{others}'
        "[daemon]\njitter_seconds = 0\nmisfire_grace_seconds = 60\n"
        f'failure_threshold = {threshold}\nheartbeat_url = "{heartbeat}"\n'
        '[digest]\ntime = "every 2s"\n'
        f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        'sender = "ecmon <daemon@ecmon.example>"\n'
        '[[email.recipients]]\naddress = "analyst@example.org"\n',
        encoding="utf-8",
    )
    return path


class Daemon:
    """An `ecmon daemon` subprocess with its stdout and stderr in files."""

    def __init__(self, config: Path, logs: Path, *args: str) -> None:
        self.out, self.err = logs.with_suffix(".out"), logs.with_suffix(".err")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "monitor", "--config", str(config), "daemon", *args],
                stdout=out, stderr=err, cwd=ROOT, env=env,
            )  # fmt: skip

    def stdout(self) -> str:
        return self.out.read_text(encoding="utf-8")

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send ``sig``; the exit code, which must come within STOP_WITHIN seconds."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"no exit within {STOP_WITHIN} s of {sig.name}:\n{self.stderr()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def daemons() -> Iterator[Callable[..., Daemon]]:
    """Start daemons; any still running at the end of the test is killed."""
    started: list[Daemon] = []

    def start(config: Path, logs: Path, *args: str) -> Daemon:
        started.append(Daemon(config, logs, *args))
        return started[-1]

    yield start
    for daemon in started:
        daemon.kill()


def wait_for(condition: Callable[[], bool], what: str, daemon: Daemon | None = None) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if daemon is not None and daemon.proc.poll() is not None:
            pytest.fail(
                f"daemon exited ({daemon.proc.returncode}) before {what}:\n{daemon.stderr()}"
            )
        if time.monotonic() > deadline:
            logs = daemon.stdout() + daemon.stderr() if daemon else ""
            pytest.fail(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.1)


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:  # SQLite values, untyped
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def csl_runs(db: Path) -> int:
    """Runs of the CSL source so far (0 while the daemon is still creating the database)."""
    if not db.exists():
        return 0
    try:
        return int(query(db, f"SELECT count(*) FROM runs WHERE source = '{CSL}'")[0][0])
    except sqlite3.OperationalError:  # no such table yet
        return 0


def ecmon(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=PATIENCE,
    )  # fmt: skip


# ----------------------------------------------------------------- the daemon


def test_daemon_runs_cycles_sends_one_digest_and_stops_cleanly(
    tmp_path: Path, fixture_server: FixtureServer, daemons: Callable[..., Daemon]
) -> None:
    db = tmp_path / "ecmon.db"
    fixture_server.set_route("/csl.csv", CSL_BEFORE.read_bytes())
    fixture_server.set_route("/ping", b"ok", content_type="text/plain")
    with smtp_server() as (inbox, port):
        config = daemon_config(
            tmp_path / "c.toml", db, fixture_server.url_for("/csl.csv"),
            smtp_port=port, heartbeat=fixture_server.url_for("/ping"),
        )  # fmt: skip
        # The baseline first, so the source is healthy when the daemon starts: the only
        # digest is then the one of the changes below.
        assert invoke_config(config, "run").exit_code == 0
        fixture_server.set_route("/csl.csv", CSL_AFTER.read_bytes())
        daemon = daemons(config, tmp_path / "daemon")

        def digest_sent_and_checked_again() -> bool:
            lines = daemon.stdout().splitlines()
            sent = [i for i, line in enumerate(lines) if "to analyst@example.org: sent" in line]
            again = [i for i, line in enumerate(lines) if line.endswith("digest: nothing new")]
            return bool(sent) and any(i > sent[0] for i in again) and csl_runs(db) >= 4

        wait_for(digest_sent_and_checked_again, "a digest, then a digest run with nothing new",
                 daemon)  # fmt: skip
        assert daemon.stop() == 0
        assert len(inbox.messages) == 1
    [message] = inbox.messages
    assert message["To"] == "analyst@example.org"
    assert message["Subject"].startswith("[ecmon] 11 new listings, 1 removed")
    out = daemon.stdout()
    assert "source:us_csl_entity_list: every 1s" in out and "digest: every 2s" in out
    assert out.rstrip().endswith("ecmon daemon: stopped")
    assert "SIGTERM: stopping after the runs in progress" in daemon.stderr()
    assert sum(1 for r in fixture_server.requests if r.path == "/ping") >= 3  # one per good run
    assert_consistent(db)


def assert_consistent(db: Path) -> None:
    """What a clean stop leaves: an intact database, every run finished and accounted
    for, nothing half-sent, and the daemon lock free."""
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    assert query(db, "SELECT count(*) FROM runs WHERE finished_at IS NULL") == [(0,)]
    assert query(db, f"SELECT last_run_id FROM source_state WHERE source = '{CSL}'") == query(
        db, f"SELECT max(id) FROM runs WHERE source = '{CSL}'"
    )
    assert query(db, "SELECT count(*) FROM digests WHERE delivered_at IS NULL") == [(0,)]
    assert query(db, "SELECT status, count(*) FROM outbox GROUP BY status") == [("sent", 1)]
    changes = query(db, "SELECT count(*) FROM changes")[0][0]
    covered = query(db, "SELECT max(last_change_id) FROM digests")[0][0]
    assert changes == covered == 12  # every change (11 added, 1 removed) is in the one digest
    assert_lock_free(db)


def test_a_second_daemon_refuses_and_status_works_beside_the_first(
    tmp_path: Path, fixture_server: FixtureServer, daemons: Callable[..., Daemon]
) -> None:
    db = tmp_path / "ecmon.db"
    fixture_server.set_route("/csl.csv", CSL_BEFORE.read_bytes())
    with smtp_server() as (_inbox, port):
        config = daemon_config(tmp_path / "c.toml", db, fixture_server.url_for("/csl.csv"),
                               smtp_port=port)  # fmt: skip
        first = daemons(config, tmp_path / "first")
        wait_for(lambda: csl_runs(db) >= 2, "two runs of the first daemon", first)

        second = ecmon(config, "daemon")
        assert second.returncode == 1
        assert f"another ecmon daemon (pid {first.proc.pid}) is already running" in second.stderr
        assert str(db) in second.stderr
        once = ecmon(config, "daemon", "--once")  # a one-shot is a second scheduler too
        assert once.returncode == 1 and "already running" in once.stderr

        status = ecmon(config, "status", "--json")
        assert status.returncode == 0, status.stderr
        [csl] = [s for s in json.loads(status.stdout)["sources"] if s["source"] == CSL]
        assert csl["record_count"] == 5
        assert ecmon(config, "status").returncode == 0
        assert ecmon(config, "diff", "--format", "json").returncode == 0
        assert first.proc.poll() is None  # still running
        assert first.stop(signal.SIGINT) == 0
    assert "SIGINT: stopping" in first.stderr()


def test_a_stop_signal_lets_the_run_in_progress_finish(
    tmp_path: Path, fixture_server: FixtureServer, daemons: Callable[..., Daemon]
) -> None:
    db = tmp_path / "ecmon.db"
    fixture_server.set_route("/csl.csv", CSL_BEFORE.read_bytes())
    with smtp_server() as (_inbox, port):
        config = daemon_config(tmp_path / "c.toml", db, fixture_server.url_for("/csl.csv"),
                               smtp_port=port)  # fmt: skip
        assert invoke_config(config, "run").exit_code == 0
        fixture_server.set_faults("/csl.csv", [Fault.slow(2.0)])  # within the 3 s grace
        daemon = daemons(config, tmp_path / "daemon")
        wait_for(lambda: len(fixture_server.requests) >= 2, "the slow fetch to start", daemon)
        before = csl_runs(db)
        assert daemon.stop() == 0
    # The slow run was not cut off: it finished and was recorded as a good run.
    assert csl_runs(db) == before + 1
    [(outcome,)] = query(
        db, f"SELECT outcome FROM runs WHERE source = '{CSL}' ORDER BY id DESC LIMIT 1"
    )
    assert outcome in ("not_modified", "unchanged")
    assert_lock_free(db)


def assert_lock_free(db: Path) -> None:
    """A clean stop removes the daemon's lock file, and no run lock is left behind."""
    assert not db.with_name(db.name + ".daemon.lock").exists()
    assert sorted(p.name for p in db.parent.glob("*.lock")) == []


# ----------------------------------------------------------------- health alerts


def test_a_failing_source_gives_one_broken_and_one_recovered_alert(
    tmp_path: Path, fixture_server: FixtureServer
) -> None:
    db = tmp_path / "ecmon.db"
    runner = CliRunner()
    with smtp_server() as (inbox, port):
        config = daemon_config(tmp_path / "c.toml", db, fixture_server.url_for("/csl.csv"),
                               smtp_port=port, threshold=2)  # fmt: skip

        def once() -> int:
            return runner.invoke(main, ["--config", str(config), "daemon", "--once"]).exit_code

        def health() -> list[tuple[str, str]]:
            result = runner.invoke(main, ["--config", str(config), "digest", "--format", "json"])
            problems = json.loads(result.output)["health"]["problems"]
            return [(p["source"], p["state"]) for p in problems]

        fixture_server.set_route("/csl.csv", CSL_BEFORE.read_bytes())
        assert once() == 0  # baseline
        fixture_server.set_route("/csl.csv", b"", status=503)
        assert [once() for _ in range(4)] == [3, 3, 3, 3]  # broken at the 2nd failure
        subjects = [m["Subject"] for m in inbox.messages]
        assert subjects == ["[ecmon] SOURCE BROKEN: us_csl_entity_list"]
        assert health() == [(CSL, "failing")]  # the digest says so too
        text = body(inbox.messages[0], "plain")
        assert "2 failed run(s) in a row" in text and "HTTP 503" in text

        fixture_server.set_route("/csl.csv", CSL_BEFORE.read_bytes())
        assert [once() for _ in range(3)] == [0, 0, 0]
        subjects = [m["Subject"] for m in inbox.messages]
        assert subjects == [
            "[ecmon] SOURCE BROKEN: us_csl_entity_list",
            "[ecmon] source recovered: us_csl_entity_list",
        ]
        assert health() == []
    result = runner.invoke(main, ["--config", str(config), "status", "--format", "prometheus"])
    assert f'ecmon_source_broken{{source="{CSL}"}} 0' in result.output
    assert 'ecmon_alert_messages{kind="broken",status="sent"} 1' in result.output


# ----------------------------------------------------------------- schedules


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("every 3h", 10800), ("every 90m", 5400), ("every 2s", 2), ("every 1d", 86400),
     ("Every 1.5H", 5400), ("daily", None), ("0 * * * mon-fri", None)],
)  # fmt: skip
def test_parse_every(text: str, seconds: int | None) -> None:
    found = scheduler.parse_every(text)
    assert (found.total_seconds() if found else None) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("every 0s", "longer than 0"),
        ("0 * * * 1-5", "weekdays as names"),
        ("0 * * mon-fri", "5-field crontab"),
        ("61 * * * *", "schedule '61 * * * *'"),
        ("hourly", "neither"),
    ],
)
def test_bad_schedules_are_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        scheduler.trigger_for(text, UTC_ZONE)


def test_digest_clock_time_is_daily_in_its_time_zone() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    trigger = scheduler.trigger_for("07:00", zone, clock=True)
    after = datetime(2025, 9, 13, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai: 07:00 has passed
    assert trigger.get_next_fire_time(None, after) == datetime(2025, 9, 14, 7, 0, tzinfo=zone)
    with pytest.raises(ConfigError):
        scheduler.trigger_for("25:00", zone, clock=True)
    with pytest.raises(ConfigError):
        scheduler.trigger_for("07:00", zone)  # a clock time is for the digest only


def test_plan_runs_overdue_sources_now_and_others_one_interval_after_their_last_run() -> None:
    settings = load_settings({"[daemon]": "jitter_seconds = 0"})
    now = datetime(2025, 9, 13, 6, 0, tzinfo=UTC)
    last = {CSL: now - timedelta(hours=1), "cn_mofcom_announcements": now - timedelta(hours=5)}
    plan = scheduler.plan(
        settings, list(settings.sources), run_source=lambda _n: None, send_digest=None,
        last_runs=last, now=now,
    )  # fmt: skip
    first = {job.id: job.first_run for job in plan.jobs}
    assert first == {
        f"source:{CSL}": now + timedelta(hours=2),  # every 3h, last run 1h ago
        "source:us_ecfr_entity_list": now,  # never ran
        "source:us_federal_register": None,  # crontab: the trigger decides
        "source:cn_mofcom_announcements": now,  # every 2h, overdue
        "source:cn_mfa_countermeasures": now,  # never ran
    }
    assert "digest" not in first  # no digest job without a sender
    fr = next(job for job in plan.jobs if job.id == "source:us_federal_register")
    saturday = datetime(2025, 9, 13, 6, 30, tzinfo=UTC)
    assert fr.trigger.get_next_fire_time(None, saturday) == datetime(2025, 9, 15, tzinfo=UTC)


def test_plan_rejects_an_unknown_time_zone() -> None:
    with pytest.raises(ConfigError, match="IANA"):
        scheduler.timezone_of(load_settings({"[digest]": 'timezone = "Mars/Olympus"'}))


def test_daemon_with_a_bad_schedule_exits_2_before_starting(tmp_path: Path) -> None:
    db = tmp_path / "ecmon.db"
    config = daemon_config(tmp_path / "c.toml", db, "http://127.0.0.1:9/c.csv", smtp_port=9)
    config.write_text(
        config.read_text(encoding="utf-8").replace('"every 1s"', '"0 * * * 1-5"'),
        encoding="utf-8",
    )
    result = invoke_config(config, "daemon")
    assert result.exit_code == 2
    assert "sources.us_csl_entity_list.schedule" in result.output
    assert "weekdays as names" in result.output
    # Refused when the settings load (issue 15): no database and no lock file are made.
    assert not db.exists()
    assert not Path(f"{db}.daemon.lock").exists()


UTC_ZONE = ZoneInfo("UTC")


def load_settings(tables: dict[str, str]) -> config.Settings:
    text = "".join(f"{table}\n{body}\n" for table, body in tables.items())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.toml"
        path.write_text(text, encoding="utf-8")
        return config.load(default_settings(), config_path=path, environ={})
