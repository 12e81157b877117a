"""Delivery faults on an Apprise channel: a generic JSON webhook (``json://``) served by a real
HTTP receiver on 127.0.0.1 (``http.server`` in a thread) that answers as scripted. Through
the one outbox (``monitor.notify.outbox``): nothing queued is lost, nothing the receiver
accepted (answered 2xx) is sent again."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.digest import outbox
from monitor.notify import channel, retry
from monitor.store import Store
from monitor.store.outbox import OutboxStore
from tests.digest.support import build_demo_db, copy_db, free_port
from tests.notify.support import Receiver, channel_settings, hook, receiver
from tests.reliability import report

NOW = datetime.now(UTC).replace(microsecond=0)  # the demo database's runs are from now


@dataclass(frozen=True)
class Case:
    name: str
    injected: str
    expected: str
    answers: tuple[str, ...]  # the receiver's answers in turn ("refused": nothing listens)
    error: str  # in the row's last_error after the first failure


CASES = (
    Case(
        "webhook refused, 500, 503, then accepted",
        "nothing listening, then HTTP 500, then HTTP 503; then 200",
        "pending after each failure (attempts 1, 2, 3, backoff kept); sent once on the 4th",
        ("refused", "500", "503"),
        "Connection error",
    ),
    Case(
        "webhook 404 until the outbox gives up",
        f"HTTP 404 on every attempt ({retry.MAX_ATTEMPTS})",
        "kept as failed (never dropped); sent once by --retry-now when the receiver answers 200",
        ("404",) * retry.MAX_ATTEMPTS,
        "404",
    ),
)


@pytest.fixture(scope="module")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("channel") / "demo.db")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_webhook_delivery_fault(case: Case, demo_db_file: Path, tmp_path: Path) -> None:
    row = report.record(report.Row("delivery", "", case.name, case.injected, case.expected, "-"))
    db = copy_db(demo_db_file, tmp_path / "ecmon.db")
    port = free_port()
    settings = channel_settings(db, hook(port))
    channels = lambda name: channel(name, settings)  # noqa: E731
    box = Receiver()
    moment, states = NOW, []
    with Store.open(db) as store:
        outbox.compose(store, settings, now=moment)
        for answer in case.answers:
            box.answers = [] if answer == "refused" else [answer]
            if answer == "refused":
                attempts = outbox.deliver(store, channels, now=moment)
            else:
                with receiver(port, box):
                    attempts = outbox.deliver(store, channels, now=moment)
            [item] = OutboxStore(store).deliveries()
            states.append((item.status, item.attempts, item.last_error or ""))
            assert [a.sent for a in attempts] == [False], attempts
            moment += retry.RETRY_MAX + timedelta(minutes=1)  # past any backoff
        with receiver(port, box):
            box.answers = []
            gave_up = states[-1][0] == "failed"
            later = outbox.deliver(store, channels, now=moment, retry_now=gave_up)
            again = outbox.deliver(store, channels, now=moment + timedelta(days=1), retry_now=True)
        [final] = OutboxStore(store).deliveries()
    messages = Counter(str(p["message"]) for p in box.accepted)
    row.lost = 0 if box.accepted else 1
    row.duplicated = sum(n - 1 for n in messages.values())
    row.observed = (
        f"after the faults: {states[-1][0]} (attempts {states[-1][1]}); then sent"
        f" {sum(a.sent for a in later)}, then {len(again)}; receiver accepted"
        f" {len(box.accepted)}, refused {box.refused}"
    )
    assert case.error in states[0][2], states[0]
    assert [s[1] for s in states] == list(range(1, len(case.answers) + 1))
    assert {s[0] for s in states[:-1]} <= {"pending"}
    assert gave_up == (len(case.answers) == retry.MAX_ATTEMPTS)
    assert [a.sent for a in later] == [True] and again == []
    assert (final.status, final.attempts) == ("sent", len(case.answers) + 1)
    assert row.lost == 0 and row.duplicated == 0 and len(box.accepted) == 1
    row.passed = True
