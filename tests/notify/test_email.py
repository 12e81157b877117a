"""Email delivery against a real SMTP server on 127.0.0.1 (aiosmtpd): the message as it
arrives (both parts, headers), TLS and login, and the outbox: a digest stays pending
while the server is down and is delivered exactly once when it is back, across restarts."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from monitor.config import Recipient, Settings
from monitor.digest import outbox
from monitor.errors import ConfigError
from monitor.notify import Channel, DeliveryError, OutgoingMessage, channel, retry
from monitor.notify.email import EmailChannel
from monitor.store import Store
from monitor.store.outbox import OutboxStore
from tests.digest.support import (
    PASSWORD,
    USER,
    body,
    build_demo_db,
    copy_db,
    free_port,
    mail_settings,
    self_signed,
    smtp_server,
    starttls_server,
)

# The demo database's sources last ran when it was built (now): tests stay within days of
# that, so no source turns stale (a health change would itself send a digest).
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("demo") / "demo.db")


@pytest.fixture
def db(demo_db_file: Path, tmp_path: Path) -> Path:
    return copy_db(demo_db_file, tmp_path / "ecmon.db")


def send_all(
    db: Path,
    settings: Settings,
    now: datetime,
    *,
    heartbeat: bool = False,
    retry_now: bool = False,
) -> list[outbox.Attempt]:
    """One `ecmon digest --send` pass, in a fresh Store (as a new process would)."""
    with Store.open(db) as store:
        outbox.compose(store, settings, now=now, heartbeat=heartbeat)
        return outbox.deliver(
            store, lambda name: channel(name, settings), now=now, retry_now=retry_now
        )


def outbox_rows(db: Path) -> list[tuple[str, int, str | None]]:
    with Store.open(db) as store:
        return [(d.status, d.attempts, d.last_error) for d in OutboxStore(store).deliveries()]


# ------------------------------------------------------------- the message


def test_digest_arrives_as_multipart_alternative_with_both_parts_and_headers(db: Path) -> None:
    with smtp_server() as (inbox, port):
        attempts = send_all(db, mail_settings(db, port), NOW)
    assert [a.sent for a in attempts] == [True]
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "digest@ecmon.example"
    assert envelope.rcpt_tos == ["analyst@example.org"]
    [message] = inbox.messages
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["From"] == "ecmon <digest@ecmon.example>"
    assert message["To"] == "analyst@example.org"
    assert message["Subject"].startswith(
        "[ecmon] BIS +11 (9 semiconductors) -> MOFCOM anti-dumping + anti-discrimination next day;"
        " 12 new listings, 22 modified, 1 removed"
    )
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] and message["Message-ID"].endswith("@ecmon.example>")
    assert message["Message-ID"] == attempts[0].delivery.message_id
    raw_lines = envelope.content.split(b"\r\n")
    assert max(len(line) for line in raw_lines) <= 998  # RFC 5322's hard limit
    assert message["Content-Transfer-Encoding"] is None
    assert all(p["Content-Transfer-Encoding"] == "quoted-printable" for p in message.iter_parts())

    text = body(message, "plain")
    html = body(message, "html")
    # Same model, two renderings: the same entities and announcements in both parts.
    for needle in (
        "Sino IC Technology",
        "斯凯迪奥公司",
        "商务部公告2025年第27号",
        "start date: 2025-09-12",
    ):
        assert needle in text and needle in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find(id="new-listings") and soup.find(id="source-health")
    assert not soup.find_all(["script", "style", "img", "link", "iframe"])


def test_message_id_is_stable_per_digest_and_unique_per_recipient(db: Path) -> None:
    people = (Recipient("a@example.org"), Recipient("b@example.org"))
    port = free_port()
    settings = mail_settings(db, port, *people)
    send_all(db, settings, NOW)  # server down: queued, not sent
    with Store.open(db) as store:
        queued = {d.recipient: d.message_id for d in OutboxStore(store).deliveries()}
    with smtp_server(port) as (inbox, _):
        send_all(db, settings, NOW + timedelta(hours=1))
    arrived = {m["To"]: m["Message-ID"] for m in inbox.messages}
    assert arrived == queued  # a retry carries the id chosen when the digest was queued
    assert len(set(arrived.values())) == 2


def test_recipient_filters_by_list_and_country(db: Path) -> None:
    people = (
        Recipient("china-desk@example.org", lists=("ecl", "uel")),
        Recipient("hk-desk@example.org", countries=("HK",)),
    )
    with smtp_server() as (inbox, port):
        send_all(db, mail_settings(db, port, *people), NOW)
    bodies = {m["To"]: body(m, "plain") for m in inbox.messages}
    china, hk = bodies["china-desk@example.org"], bodies["hk-desk@example.org"]
    assert "斯凯迪奥公司" in china and "Sino IC Technology" not in china
    # The answer that moved the UEL entries comes along.
    assert "商务部新闻发言人就不可靠实体清单相关措施调整答记者问" in china
    assert "Hong Kong Suochen Information Technology" in hk and "Sino IC Technology" not in hk
    assert "斯凯迪奥公司" not in hk


def test_the_readme_china_desk_receives_the_chip_investigations(db: Path) -> None:
    """README's example recipient (lists ecl and uel, sector semiconductors): MOFCOM's two
    investigations of 13 September answer the BIS additions of the 12th, so they concern
    the Chinese lists although they list no one (issue 15)."""
    desk = Recipient("china-desk@example.org", lists=("ecl", "uel"), sectors=("semiconductors",))
    with smtp_server() as (inbox, port):
        send_all(db, mail_settings(db, port, desk), NOW)
    [message] = inbox.messages
    text = body(message, "plain")
    for act in ("商务部公告2025年第27号", "商务部公告2025年第50号"):
        assert act in text.split("GOVERNMENT ACTIONS")[1], act  # kept as acts, not only links
    assert "anti-dumping + anti-discrimination next day" in message["Subject"]
    # The filter still filters: no BIS entry, no ECL entry outside the sector.
    assert "Sino IC Technology" not in text and "美国光子公司" not in text


# ----------------------------------------------------------------- the outbox


def test_server_down_keeps_the_digest_pending_then_exactly_one_delivery(db: Path) -> None:
    port = free_port()  # nothing listens here yet
    settings = mail_settings(db, port)

    [failed] = send_all(db, settings, NOW)
    assert not failed.sent and failed.retry_at == NOW + retry.RETRY_FIRST
    [(status, attempts, error)] = outbox_rows(db)
    assert (status, attempts) == ("pending", 1) and error and "127.0.0.1" in error

    with smtp_server(port) as (inbox, _):
        # The server is back, but the backoff has not passed: nothing is tried yet.
        assert send_all(db, settings, NOW + timedelta(minutes=1)) == []
        assert inbox.envelopes == []
        # After the backoff, in a "restarted" process (a fresh Store): one delivery.
        [sent] = send_all(db, settings, NOW + timedelta(minutes=6))
        assert sent.sent and len(inbox.envelopes) == 1
        # Another restart, and another: nothing is sent again, nothing new is queued.
        assert send_all(db, settings, NOW + timedelta(hours=1)) == []
        assert send_all(db, settings, NOW + timedelta(days=1), retry_now=True) == []
        assert len(inbox.envelopes) == 1
    assert outbox_rows(db) == [("sent", 2, None)]
    with Store.open(db) as store:
        assert OutboxStore(store).undelivered_changes() == []


def test_backoff_doubles_up_to_a_cap_and_retry_now_skips_it(db: Path) -> None:
    assert [retry.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (5, 10, 20)]
    assert retry.backoff(50) == retry.RETRY_MAX
    settings = mail_settings(db, free_port())
    send_all(db, settings, NOW)
    [again] = send_all(db, settings, NOW + timedelta(seconds=1), retry_now=True)
    assert not again.sent and again.retry_at == NOW + timedelta(seconds=1) + timedelta(minutes=10)
    assert outbox_rows(db)[0][:2] == ("pending", 2)


def test_a_send_interrupted_after_the_claim_is_retried_once_the_lease_expires(db: Path) -> None:
    with Store.open(db) as store:
        outbox.compose(store, mail_settings(db, free_port()), now=NOW)
        box = OutboxStore(store)
        claimed = box.claim_next(NOW, NOW + outbox.LEASE, ignore_backoff=False, skip=[])
        assert claimed is not None
        # Another sender (or the same one after a crash) cannot take it while leased ...
        assert box.claim_next(NOW, NOW + outbox.LEASE, ignore_backoff=True, skip=[]) is None
    # ... and can once the lease has run out.
    later = NOW + outbox.LEASE + timedelta(seconds=1)
    with smtp_server() as (inbox, port):
        attempts = send_all(db, mail_settings(db, port), later)
    assert [a.sent for a in attempts] == [True] and len(inbox.envelopes) == 1


def test_two_composers_cannot_queue_the_same_changes(db: Path) -> None:
    settings = mail_settings(db, free_port())
    with Store.open(db) as first, Store.open(db) as second:
        box = OutboxStore(second)
        after, through = box.queued_through(), box.newest_change_id()  # read before ...
        assert outbox.compose(first, settings, now=NOW) is not None  # ... the other queues
        again = box.queue(
            after=after, through=through, change_count=1, health_key="", heartbeat=False,
            subject="late", created_at=NOW, deliveries=[],
        )  # fmt: skip
        assert again is None
        assert outbox.compose(second, settings, now=NOW) is None  # nothing left to queue
    assert len(outbox_rows(db)) == 1


def test_a_message_gives_up_after_max_attempts_until_retried_by_hand(db: Path) -> None:
    settings = mail_settings(db, free_port())
    moment = NOW
    for _ in range(retry.MAX_ATTEMPTS):
        [attempt] = send_all(db, settings, moment, retry_now=True)
        moment += timedelta(seconds=1)
    assert attempt.gave_up and outbox_rows(db)[0][:2] == ("failed", retry.MAX_ATTEMPTS)
    assert send_all(db, settings, moment + timedelta(days=1)) == []  # no longer retried alone
    with smtp_server(settings.email.port) as (inbox, _):
        [sent] = send_all(db, settings, moment, retry_now=True)
    assert sent.sent and len(inbox.envelopes) == 1


def test_a_configuration_error_releases_the_claim(db: Path) -> None:
    def broken(_name: str) -> Channel:
        raise ConfigError("no password")

    with Store.open(db) as store:
        outbox.compose(store, mail_settings(db, free_port()), now=NOW)
        with pytest.raises(ConfigError):
            outbox.deliver(store, broken, now=NOW)
    assert outbox_rows(db) == [("pending", 0, None)]


def test_an_empty_period_sends_nothing_unless_a_heartbeat_is_asked_for(db: Path) -> None:
    with smtp_server() as (inbox, port):
        settings = mail_settings(db, port)
        send_all(db, settings, NOW)
        assert send_all(db, settings, NOW + timedelta(days=1)) == []
        [beat] = send_all(db, settings, NOW + timedelta(days=2), heartbeat=True)
        assert beat.sent
        hb = replace(settings, email=replace(settings.email, heartbeat=True))
        assert [a.sent for a in send_all(db, hb, NOW + timedelta(days=3))] == [True]
    assert len(inbox.messages) == 3
    quiet = inbox.messages[1]
    assert "no changes" in quiet["Subject"]
    assert "No changes on the monitored lists" in body(quiet, "plain")


def test_the_cli_sends_once_across_process_restarts(db: Path, tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "ecmon.toml"
    config.write_text(
        f'database = "{db}"\n[email]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\n'
        'security = "none"\nsender = "digest@ecmon.example"\ntimeout = 5\n'
        '[[email.recipients]]\naddress = "analyst@example.org"\n',
        encoding="utf-8",
    )

    def ecmon_send(*extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "monitor", "--config", str(config), "digest", "--send"]
        return subprocess.run([*command, *extra], capture_output=True, text=True, timeout=60)

    down = ecmon_send()
    assert down.returncode == 7, down.stderr
    assert "NOT SENT" in down.stdout and "1 message(s) still in the outbox" in down.stdout
    with smtp_server(port) as (inbox, _):
        up = ecmon_send("--retry-now")
        assert up.returncode == 0, up.stderr
        again = ecmon_send("--retry-now")
        assert again.returncode == 0 and "nothing new to queue" in again.stdout
    assert len(inbox.envelopes) == 1


# -------------------------------------------------------------- TLS and login


def test_starttls_with_login(db: Path, tmp_path: Path) -> None:
    server_tls, client_tls = self_signed(tmp_path)
    with starttls_server(server_tls) as (inbox, port):
        settings = mail_settings(
            db, port, security="starttls", username=USER, password=PASSWORD
        ).email
        EmailChannel(settings, ssl_context=client_tls).send(_message())
    assert len(inbox.envelopes) == 1


def test_implicit_tls(db: Path, tmp_path: Path) -> None:
    server_tls, client_tls = self_signed(tmp_path)
    with smtp_server(ssl_context=server_tls) as (inbox, port):
        settings = mail_settings(db, port, security="tls").email
        EmailChannel(settings, ssl_context=client_tls).send(_message())
    assert inbox.messages[0]["Subject"] == "test"


def test_wrong_password_and_untrusted_certificate_are_delivery_errors(
    db: Path, tmp_path: Path
) -> None:
    server_tls, client_tls = self_signed(tmp_path)
    with starttls_server(server_tls) as (inbox, port):
        wrong = mail_settings(db, port, security="starttls", username=USER, password="nope").email
        with pytest.raises(DeliveryError, match="535"):
            EmailChannel(wrong, ssl_context=client_tls).send(_message())
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            EmailChannel(wrong).send(_message())  # the system store does not trust it
    assert inbox.envelopes == []


def test_password_rules(db: Path) -> None:
    settings = mail_settings(db, 25, username=USER).email
    with pytest.raises(ConfigError, match="ECMON_SMTP_PASSWORD"):
        EmailChannel(settings)
    with pytest.raises(ConfigError, match="unencrypted"):
        EmailChannel(replace(settings, password=PASSWORD, security="none"))


def _message() -> OutgoingMessage:
    return OutgoingMessage(
        sender="digest@ecmon.example",
        recipient="analyst@example.org",
        subject="test",
        text="plain",
        html="<p>html</p>",
        message_id="<test.1@ecmon.example>",
        date=NOW,
    )
