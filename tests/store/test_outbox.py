"""The outbox's claims (``monitor.store.outbox``): a ``sending`` row is taken back before its
lease ends only by ``ignore_backoff`` (``--retry-now``), and only from a sender that is gone."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from monitor.notify.outbox import LEASE
from monitor.store import Store
from monitor.store.outbox import NewDelivery, OutboxStore

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def queue_one(db: Path) -> int:
    message = NewDelivery(
        channel="email", recipient="a@example.org", sender="ecmon <e@example.org>",
        subject="s", text_body="t", html_body="h", message_id="<m@example.org>", kind="test",
    )  # fmt: skip
    with Store.open(db) as store:
        [row_id] = OutboxStore(store).queue_messages([message], NOW)
        assert OutboxStore(store).claim_next(NOW, NOW + LEASE, ignore_backoff=False, skip=[])
    return row_id


def owned_by(db: Path, owner: str | None) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE outbox SET lease_owner = ?", (owner,))


def claim(db: Path, *, ignore_backoff: bool) -> int | None:
    with Store.open(db) as store:
        box = OutboxStore(store)
        row = box.claim_next(NOW, NOW + LEASE, ignore_backoff=ignore_backoff, skip=[])
        return None if row is None else row.id


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid no longer names a process
    return child.pid


def test_a_live_lease_is_taken_back_only_from_a_sender_that_is_gone(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    row_id = queue_one(db)
    host, gone = socket.gethostname(), dead_pid()
    owned_by(db, f"{host}:{gone}")
    assert claim(db, ignore_backoff=False) is None  # the lease still holds without --retry-now
    assert claim(db, ignore_backoff=True) == row_id  # --retry-now: the sender is gone
    with sqlite3.connect(db) as conn:
        [(owner,)] = conn.execute("SELECT lease_owner FROM outbox").fetchall()
    assert owner == f"{host}:{os.getpid()}"  # now this process's claim


def test_a_live_or_foreign_sender_keeps_its_row_even_with_retry_now(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    row_id = queue_one(db)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as alive:
        try:
            owned_by(db, f"{socket.gethostname()}:{alive.pid}")
            assert claim(db, ignore_backoff=True) is None
        finally:
            alive.kill()
    owned_by(db, "another-host.example:1")  # cannot be checked from here: left alone
    assert claim(db, ignore_backoff=True) is None
    owned_by(db, None)  # a row claimed before migration 8 names no owner
    assert claim(db, ignore_backoff=True) == row_id
