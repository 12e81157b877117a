"""Delivery faults against a real SMTP server on 127.0.0.1 (aiosmtpd) that answers as scripted:
temporary 451, permanent 554, a connection dropped after the message data, a recipient refused,
nothing listening. Through ``monitor.digest.outbox``: nothing queued is lost (it stays pending or
failed until sent), and nothing the server accepted is sent again.

``tests/test_email.py`` covers the message itself, TLS and login, backoff, leases and the CLI;
these scenarios add the server's failure answers and count what it accepted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from monitor.config import Recipient, Settings
from monitor.digest import outbox
from monitor.notify import channel, retry
from monitor.store import Store
from monitor.store.outbox import OutboxStore
from tests.digest.support import build_demo_db, copy_db, free_port, mail_settings
from tests.reliability import report

NOW = datetime.now(UTC).replace(microsecond=0)  # the demo database's runs are from now
PEOPLE = (Recipient("analyst@example.org"), Recipient("china-desk@example.org"))


@dataclass
class ScriptedInbox:
    """An SMTP handler: ``data`` answers each DATA in turn ("451", "554", "drop", "ok"; then
    "ok"); ``refuse`` answers RCPT for these addresses with 451. ``accepted`` is what the
    server took responsibility for (answered 250 to)."""

    data: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    quit: list[str] = field(default_factory=list)  # QUIT answers in turn ("421"; then 221)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (recipient, Message-ID)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "451 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        action = self.data.pop(0) if self.data else "ok"
        if action == "drop":
            server.transport.abort()  # gone before any answer: not accepted
            return "421 gone"
        if action != "ok":
            return {"451": "451 4.3.0 Temporary failure", "554": "554 5.7.1 Rejected"}[action]
        message_id = _header(envelope.content, b"Message-ID")
        self.accepted.extend((rcpt, message_id) for rcpt in envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.quit and self.quit.pop(0) == "421":
            return "421 4.4.2 Service shutting down, closing channel"
        return "221 Bye"


def _header(content: bytes, name: bytes) -> str:
    for line in content.split(b"\r\n"):
        if line.lower().startswith(name.lower() + b":"):
            return line.split(b":", 1)[1].strip().decode()
    return ""


@contextmanager
def server(inbox: ScriptedInbox, port: int) -> Iterator[None]:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("delivery") / "demo.db")


def send(db: Path, settings: Settings, at: datetime, *, retry_now: bool = False) -> list[bool]:
    """One `ecmon digest --send` pass in a fresh Store (as a new process would)."""
    with Store.open(db) as store:
        outbox.compose(store, settings, now=at)
        attempts = outbox.deliver(
            store, lambda n: channel(n, settings), now=at, retry_now=retry_now
        )
    return [a.sent for a in attempts]


def rows(db: Path) -> list[tuple[str, str, int, str]]:
    with Store.open(db) as store:
        return [
            (d.recipient, d.status, d.attempts, d.last_error or "")
            for d in OutboxStore(store).deliveries()
        ]


@dataclass(frozen=True)
class Case:
    name: str
    injected: str
    expected: str
    data: tuple[str, ...] = ()  # DATA answers of the first pass (one per recipient)
    refuse: frozenset[str] = frozenset()  # RCPT refused in the first pass
    down: bool = False  # nothing listens in the first pass
    give_up: bool = False  # fail until the outbox gives up, then `--retry-now`
    error: str = ""  # in each failed row's last_error
    quit: tuple[str, ...] = ()  # QUIT answers of the first pass
    all_accepted: bool = False  # the fault comes after acceptance: nothing is left unsent


CASES = (
    Case(
        "connection refused",
        "no SMTP server listening (2 recipients)",
        "both pending with the error; both sent once when the server is back",
        down=True,
        error="Connection refused",
    ),
    Case(
        "temporary failure 451",
        "DATA answered 451 for both recipients",
        "both pending (retried after the backoff); then each sent once",
        data=("451", "451"),
        error="451",
    ),
    Case(
        "permanent failure 554",
        "DATA answered 554 on every attempt until the outbox gives up",
        f"kept as failed after {retry.MAX_ATTEMPTS} attempts (never dropped); sent once by "
        "--retry-now",
        data=("554",) * 2 * retry.MAX_ATTEMPTS,
        give_up=True,
        error="554",
    ),
    Case(
        "disconnect during DATA",
        "connection dropped after the message data, before the reply",
        "pending (not accepted); then each sent once",
        data=("drop", "drop"),
        error="unexpectedly closed",
    ),
    Case(
        "QUIT answered 421 after DATA 250",
        "the server accepts each message (DATA 250), then answers QUIT with 421",
        "both marked sent at once (acceptance is the DATA reply); never sent again",
        quit=("421", "421"),
        all_accepted=True,
    ),
    Case(
        "one recipient refused",
        "RCPT 451 for one recipient, the other accepted",
        "the accepted one marked sent and never resent; the other sent once later",
        refuse=frozenset({"china-desk@example.org"}),
        error="451",
    ),
)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_delivery_fault(case: Case, demo_db_file: Path, tmp_path: Path) -> None:
    row = report.record(report.Row("delivery", "", case.name, case.injected, case.expected, "-"))
    db = copy_db(demo_db_file, tmp_path / "ecmon.db")
    port = free_port()
    settings = mail_settings(db, port, *PEOPLE)
    inbox = ScriptedInbox(data=list(case.data), refuse=set(case.refuse), quit=list(case.quit))

    moment = NOW
    if case.down:
        first = send(db, settings, moment)
    else:
        with server(inbox, port):
            first = send(db, settings, moment)
            for _ in range(retry.MAX_ATTEMPTS + 1 if case.give_up else 0):
                if rows(db)[0][1] == "failed":
                    break
                moment += timedelta(seconds=1)
                send(db, settings, moment, retry_now=True)
            if case.give_up:
                assert rows(db)[0][1] == "failed", "the outbox never gave up"
    after_fault = rows(db)
    inbox.refuse.clear()
    inbox.data.clear()
    with server(inbox, port):
        later = moment + retry.RETRY_MAX + timedelta(minutes=1)
        second = send(db, settings, later, retry_now=case.give_up)
        third = send(db, settings, later + timedelta(days=1), retry_now=True)  # nothing left
    final = rows(db)

    queued = {(r, "") for r, *_ in after_fault}
    accepted = Counter(r for r, _mid in inbox.accepted)
    ids = Counter(inbox.accepted)
    row.lost = sum(1 for r, _ in queued if accepted[r] == 0)
    row.duplicated = sum(n - 1 for n in ids.values() if n > 1)
    failed_rows = [r for r in after_fault if r[1] != "sent"]
    states = Counter(r[1] for r in after_fault)
    row.observed = (
        f"after the fault: {', '.join(f'{n} {s}' for s, n in sorted(states.items()))} "
        f"(attempts {max(r[2] for r in after_fault)}); later passes sent {sum(second)}, then "
        f"{sum(third)}; server accepted {sum(accepted.values())} for {len(queued)} queued"
    )
    assert len(queued) == 2
    if case.all_accepted:
        assert not failed_rows and all(first), after_fault
        assert not inbox.quit, "QUIT was not answered as scripted"
    else:
        assert failed_rows, "the fault should have kept at least one message unsent"
    assert all(case.error in r[3] for r in failed_rows), failed_rows
    assert all(status in ("pending", "failed") for _r, status, *_ in failed_rows)
    if case.give_up:
        assert {r[1] for r in after_fault} == {"failed"}
        assert all(r[2] == retry.MAX_ATTEMPTS for r in after_fault)
    assert not any(third)
    assert {r[1] for r in final} == {"sent"}
    assert row.lost == 0 and row.duplicated == 0
    assert accepted == {p.address: 1 for p in PEOPLE}
    assert first.count(True) == len(queued) - len(failed_rows)
    row.passed = True
