"""The daemon beside a source whose server floods ``102 Processing`` for ever: the other source
and the digest keep their schedule, the stalled source is mailed as BROKEN after the threshold,
and SIGTERM ends the daemon within 5 s even with a fetch in flight (durations shortened by
the test's settings: 1 s deadline and schedules, instead of 900 s and hours)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from monitor.testing.fixture_server import FixtureServer
from tests.digest.support import smtp_server
from tests.reliability import report
from tests.reliability.harness import settings_for, write_mirror_config
from tests.reliability.rogue import RogueServer, flood_1xx
from tests.reliability.scenarios import CSL, FR

ROOT = Path(__file__).resolve().parents[2]
WATCH = 12.0  # seconds of flood watched
STOP_WITHIN = 5.0


def _config(
    path: Path, db: Path, mirror: FixtureServer, rogue: str, smtp: int, deadline: int
) -> Path:
    write_mirror_config(path, db, mirror, sources=(CSL, FR))
    text = path.read_text(encoding="utf-8")
    text = text.replace(settings_for(db, mirror, CSL).source(CSL).url, rogue)
    text = text.replace("[http]\n", f"[http]\ntotal_timeout = {deadline}\nread_timeout = 5\n")
    text = text.replace("retries = 1", "retries = 0")
    text = text.replace("[daemon]\n", "[daemon]\nfailure_threshold = 2\n")
    text += (
        '[digest]\ntime = "every 2s"\n'
        f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {smtp}\nsecurity = "none"\n'
        'sender = "ecmon <daemon@ecmon.example>"\n'
        '[[email.recipients]]\naddress = "analyst@example.org"\n'
    )
    path.write_text(text, encoding="utf-8")
    return path


def _start(config: Path, logs: Path) -> tuple[subprocess.Popen[bytes], Path]:
    out = logs.with_suffix(".out")
    with out.open("w") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "monitor", "--config", str(config), "daemon"],
            stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    return proc, out


def _stop(proc: subprocess.Popen[bytes]) -> float:
    """SIGTERM; the seconds until exit (the process is killed past STOP_WITHIN + 5)."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_WITHIN + 5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return time.monotonic() - started


def _runs(db: Path, source: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT outcome FROM runs WHERE source = ?", (source,))]


def test_a_flooding_source_delays_nothing_else(mirror: FixtureServer, tmp_path: Path) -> None:
    row = report.record(
        report.Row(
            "daemon",
            CSL,
            "102 Processing flood beside a healthy source",
            f"CSL's server sends 102 Processing for ever ({WATCH:g} s watched); Federal Register"
            " healthy; schedules every 1 s, digest every 2 s, http.total_timeout 1 s,"
            " failure_threshold 2",
            "FR runs and the digest keep their schedule; SOURCE BROKEN mailed for CSL;"
            f" SIGTERM exit within {STOP_WITHIN:g} s",
            "-",
        )
    )
    mirror.clear()
    db = tmp_path / "ecmon.db"
    with smtp_server() as (inbox, port), RogueServer(flood_1xx()) as rogue:
        config = _config(tmp_path / "c.toml", db, mirror, rogue.url, port, deadline=1)
        proc, out = _start(config, tmp_path / "daemon")
        time.sleep(WATCH)
        took = _stop(proc)
        subjects = [str(m["Subject"]) for m in inbox.messages]
    log = out.read_text(encoding="utf-8")
    fr, csl = _runs(db, FR), _runs(db, CSL)
    digests = sum(1 for line in log.splitlines() if " digest" in line)
    broken = [s for s in subjects if f"SOURCE BROKEN: {CSL}" in s]
    # Counts that depend on timing are asserted, not printed (the report must be stable).
    row.observed = (
        f"FR ran {'at least' if len(fr) >= WATCH / 3 else 'LESS than'} every 3 s; the digest"
        f" job {'at least' if digests >= WATCH / 6 else 'LESS than'} every 6 s; CSL runs"
        f" {'all failed' if set(csl) == {'failed'} else 'not all failed'}; BROKEN mails:"
        f" {len(broken)}; SIGTERM exit {'within' if took < STOP_WITHIN else 'NOT within'}"
        f" {STOP_WITHIN:g} s"
    )
    assert proc.returncode == 0, log
    assert len(fr) >= WATCH / 3, log  # every 1 s, with room for a busy machine
    assert digests >= WATCH / 6, log  # every 2 s
    assert csl and set(csl) == {"failed"}, csl
    assert len(broken) == 1, subjects
    assert took < STOP_WITHIN, log
    row.passed = True


def test_sigterm_cancels_a_fetch_in_flight(mirror: FixtureServer, tmp_path: Path) -> None:
    row = report.record(
        report.Row(
            "daemon",
            CSL,
            "SIGTERM during an endless fetch",
            "CSL's server sends 102 Processing for ever; http.total_timeout 60 s; SIGTERM"
            " while the fetch is in flight",
            f"the fetch is cancelled, the run recorded as failed, exit 0 within {STOP_WITHIN:g} s",
            "-",
        )
    )
    mirror.clear()
    db = tmp_path / "ecmon.db"
    with smtp_server() as (_inbox, port), RogueServer(flood_1xx()) as rogue:
        config = _config(tmp_path / "c.toml", db, mirror, rogue.url, port, deadline=60)
        proc, out = _start(config, tmp_path / "daemon")
        end = time.monotonic() + 30
        while rogue.connections == 0 and time.monotonic() < end:
            time.sleep(0.1)
        time.sleep(1.0)
        took = _stop(proc)
    log = out.read_text(encoding="utf-8")
    csl = _runs(db, CSL)
    row.observed = (
        f"exit {proc.returncode} {'within' if took < STOP_WITHIN else 'NOT within'}"
        f" {STOP_WITHIN:g} s; CSL runs: {', '.join(csl)}"
    )
    assert rogue.connections >= 1
    assert proc.returncode == 0, log
    assert took < STOP_WITHIN, log
    assert csl == ["failed"], log
    assert "cancelled" in log, log
    row.passed = True
