"""Outbox timing (issue 16, defect 14), against a real SMTP server on 127.0.0.1 (aiosmtpd):

* a row left ``sending`` by a sender that crashed is sent at once by ``--retry-now`` (once its
  process is gone), not skipped until the 15-minute lease expires; a live sender's row is
  never taken from it;
* in the daemon, a digest and an alert that failed are retried by the outbox job of their
  own when their backoff ends, not at the next digest time.

What the server accepted is counted by Message-ID: nothing queued is lost, nothing is sent
twice."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import Recipient
from monitor.daemon import alerts
from monitor.digest import outbox
from monitor.notify import channel
from monitor.sources import REGISTRY
from monitor.store import Store
from monitor.store import alerts as store_alerts
from tests.digest.support import build_demo_db, copy_db, free_port, mail_settings, smtp_server
from tests.reliability import report

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = (Recipient("analyst@example.org"), Recipient("china-desk@example.org"))
PATIENCE = 60.0  # seconds to wait for a condition on the shared machine before failing

# A sender that queues the digest, claims the first row ("sending", lease and owner stored)
# and then hangs as if inside the SMTP conversation; the test kills it there.
CRASHING_SENDER = """
import sys, time
from datetime import datetime
from pathlib import Path
from monitor.config import Recipient
from monitor.digest import outbox
from monitor.store import Store
from monitor.store.outbox import OutboxStore
from tests.digest.support import mail_settings

db, port, at = Path(sys.argv[1]), int(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
people = (Recipient("analyst@example.org"), Recipient("china-desk@example.org"))
with Store.open(db) as store:
    outbox.compose(store, mail_settings(db, port, *people), now=at)
    row = OutboxStore(store).claim_next(at, at + outbox.LEASE, ignore_backoff=False, skip=[])
    print(row.id, row.recipient, flush=True)
    time.sleep(600)
"""


@pytest.fixture(scope="module")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("outbox-timing") / "demo.db")


def mail_config(path: Path, db: Path, port: int, **daemon: object) -> Path:
    """A config file for the CLI and the daemon: mail to 127.0.0.1, no source enabled."""
    lines = [f'database = "{db}"', "[daemon]", "jitter_seconds = 0"]
    lines += [f"{key} = {value}" for key, value in daemon.items() if key != "digest_time"]
    lines += ["[digest]", f'time = "{daemon.get("digest_time", "07:00")}"', 'timezone = "UTC"']
    lines += [
        "[email]", "enabled = true", 'host = "127.0.0.1"', f"port = {port}",
        'security = "none"', 'sender = "ecmon <digest@ecmon.example>"', "timeout = 5",
    ]  # fmt: skip
    for person in PEOPLE:
        lines += ["[[email.recipients]]", f'address = "{person.address}"']
    for name in REGISTRY:
        lines += [f"[sources.{name}]", "enabled = false"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def outbox_rows(db: Path) -> list[tuple[str, str, str, str, str | None, str]]:
    """(kind, recipient, status, next_attempt_at, sent_at, message_id) by id."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT kind, recipient, status, next_attempt_at, sent_at, message_id FROM outbox"
            " ORDER BY id"
        ).fetchall()


def accepted_ids(envelopes: list[object]) -> Counter[str]:
    found: Counter[str] = Counter()
    for envelope in envelopes:
        content: bytes = getattr(envelope, "content", b"")
        for line in content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                found[line.split(b":", 1)[1].strip().decode()] += 1
    return found


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_row_left_sending_by_a_crash_is_sent_at_once_by_retry_now(
    demo_db_file: Path, tmp_path: Path
) -> None:
    row = report.record(
        report.Row(
            "delivery",
            "",
            "sender killed while sending, then --retry-now",
            "a sender claims one of 2 digest messages (status sending, 15-min lease) and is"
            " SIGKILLed before the SMTP reply; `digest --send` and `digest --send --retry-now`"
            " run at once, within the lease",
            "while the sender lives, nothing takes its row; once it is gone, --send leaves it"
            " to the lease (exit 7) and --send --retry-now sends it at once; each sent once",
            "-",
        )
    )
    db = copy_db(demo_db_file, tmp_path / "ecmon.db")
    at = datetime.now(UTC).replace(microsecond=0)
    with smtp_server() as (inbox, port):
        config = mail_config(tmp_path / "ecmon.toml", db, port)
        child = subprocess.Popen(
            [sys.executable, "-c", CRASHING_SENDER, str(db), str(port), at.isoformat()],
            stdout=subprocess.PIPE, cwd=ROOT, text=True,
        )  # fmt: skip
        try:
            assert child.stdout is not None
            _claimed_id, claimed_to = child.stdout.readline().split()
            settings = mail_settings(db, port, *PEOPLE)
            with Store.open(db) as store:  # the sender is alive: its row is not taken
                alive = outbox.deliver(
                    store, lambda n: channel(n, settings), now=at, retry_now=True
                )
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
            if child.stdout is not None:
                child.stdout.close()
        claimed = {r[1]: r[2] for r in outbox_rows(db)}[claimed_to]
        runner = CliRunner()
        plain = runner.invoke(main, ["--config", str(config), "digest", "--send"])
        left = {r[1]: r[2] for r in outbox_rows(db)}[claimed_to]
        forced = runner.invoke(main, ["--config", str(config), "digest", "--send", "--retry-now"])
        again = runner.invoke(main, ["--config", str(config), "digest", "--send", "--retry-now"])
        ids = accepted_ids(inbox.envelopes)
    final = outbox_rows(db)
    row.lost = sum(1 for r in final if ids[r[5]] == 0)
    row.duplicated = sum(n - 1 for n in ids.values() if n > 1)
    row.observed = (
        f"sender alive: its row {claimed}, --retry-now sent {sum(a.sent for a in alive)} (the"
        f" other); sender killed: --send exit {plain.exit_code}, row {left}; --retry-now exit"
        f" {forced.exit_code}; then exit {again.exit_code}; server accepted"
        f" {sum(ids.values())} for {len(final)} queued"
    )
    assert claimed == "sending" and [a.delivery.recipient for a in alive if a.sent] == [
        p.address for p in PEOPLE if p.address != claimed_to
    ], alive
    assert plain.exit_code == 7 and left == "sending", plain.output
    assert forced.exit_code == 0, forced.output
    assert f"to {claimed_to}" in forced.output and forced.output.count("\nsent digest") == 1
    assert again.exit_code == 0, again.output
    assert not [line for line in again.output.splitlines() if line.startswith("sent ")]
    assert [r[2] for r in final] == ["sent", "sent"]
    assert row.lost == 0 and row.duplicated == 0 and len(ids) == 2
    row.passed = True


def test_the_daemon_retries_due_messages_on_the_backoff_not_at_the_next_digest(
    demo_db_file: Path, tmp_path: Path
) -> None:
    row = report.record(
        report.Row(
            "delivery",
            "",
            "daemon retries a failed digest and alert on the backoff",
            "SMTP down: a digest (2 recipients) and a 'source broken' alert fail once (backoff"
            " 5 min, shortened by the test to 3 s in the stored retry time); the server comes"
            " back; the daemon runs with the next digest 12 h away, outbox checked every 1 s",
            "the outbox job sends all 4 once their retry time has passed, hours before the"
            " next digest time; each accepted once",
            "-",
        )
    )
    db = copy_db(demo_db_file, tmp_path / "ecmon.db")
    port = free_port()
    now = datetime.now(UTC).replace(microsecond=0)
    settings = mail_settings(db, port, *PEOPLE)
    with Store.open(db) as store:  # nothing listens on the port yet
        assert outbox.compose(store, settings, now=now) is not None
        source = "us_federal_register"
        mails = alerts._mails(settings, "broken", f"broken:{source}:t", source, "down", "Down.\n")
        assert store_alerts.record_transition(store, source, "broken", "test", now, mails)
        failed = outbox.deliver(store, lambda n: channel(n, settings), now=now)
    assert len(failed) == 4 and not any(a.sent for a in failed)
    retry_at = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    with sqlite3.connect(db) as conn:  # the test's shortened backoff
        conn.execute("UPDATE outbox SET next_attempt_at = ?", (retry_at.isoformat(),))
    digest_at = datetime.now(UTC) + timedelta(hours=12)
    config = mail_config(
        tmp_path / "ecmon.toml", db, port,
        outbox_interval_seconds=1, digest_time=digest_at.strftime("%H:%M"),
    )  # fmt: skip
    out = tmp_path / "daemon.out"
    with smtp_server(port) as (inbox, _port), out.open("w") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "monitor", "--config", str(config), "daemon"],
            stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
        try:
            wait_for(lambda: all(r[2] == "sent" for r in outbox_rows(db)), "the retries")
            time.sleep(1.5)  # a few more outbox checks: nothing more may go out
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
        ids = accepted_ids(inbox.envelopes)
    final = outbox_rows(db)
    log = out.read_text(encoding="utf-8")
    row.lost = sum(1 for r in final if ids[r[5]] == 0)
    row.duplicated = sum(n - 1 for n in ids.values() if n > 1)
    sent_at = sorted(str(r[4]) for r in final)
    on_time = bool(sent_at) and retry_at.isoformat() <= sent_at[0] < digest_at.isoformat()
    # No clock times in the report: it must read the same on every run.
    row.observed = (
        f"{len(final)} rows ({', '.join(sorted({r[0] for r in final}))}) sent by the outbox job"
        + (" after their retry time, hours before the next digest" if on_time else " OFF TIME")
        + f"; server accepted {sum(ids.values())}; daemon exit {code}"
    )
    assert code == 0, log
    assert len(final) == 4 and {r[0] for r in final} == {"digest", "broken"}
    assert all(r[2] == "sent" and str(r[4]) >= r[3] for r in final), final  # not before due
    assert "digest 1 queued" not in log and log.count("+00:00 outbox: ") == 4, log
    assert row.lost == 0 and row.duplicated == 0 and len(ids) == 4
    assert on_time, (retry_at, sent_at, digest_at)
    row.passed = True
