"""Apprise channels against a real HTTP receiver on 127.0.0.1 (``http.server`` in a thread):
a generic JSON webhook (``json://``) gets the digest's JSON document, stored in the outbox
before sending, retried through connection refused and HTTP 500 until accepted, then never
sent again; alerts and ``ecmon notify test`` take the same path; the URL (and the secret in
it) comes only from the environment and appears in no output and no database row."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import config
from monitor.cli import main
from monitor.config import ChannelSettings, Settings
from monitor.daemon import alerts
from monitor.digest import outbox
from monitor.errors import ConfigError
from monitor.notify import channel
from monitor.notify.apprise_channel import AppriseChannel
from monitor.sources import REGISTRY, default_settings
from monitor.store import Store
from monitor.store import alerts as store_alerts
from monitor.store.outbox import OutboxStore
from tests.digest.support import build_demo_db, copy_db, free_port
from tests.notify.support import (
    ENV,
    SECRET,
    Receiver,
    channel_settings,
    hook,
    hook_url,
    receiver,
)

NOW = datetime.now(UTC).replace(microsecond=0)  # the demo database's runs are from now


@pytest.fixture(scope="module")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("apprise") / "demo.db")


@pytest.fixture
def db(demo_db_file: Path, tmp_path: Path) -> Path:
    return copy_db(demo_db_file, tmp_path / "ecmon.db")


def send(
    db: Path, settings: Settings, at: datetime, *, retry_now: bool = False
) -> list[outbox.Attempt]:
    with Store.open(db) as store:
        outbox.compose(store, settings, now=at)
        return outbox.deliver(
            store, lambda name: channel(name, settings), now=at, retry_now=retry_now
        )


def database_text(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(
            repr(row) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"')
        )


# ----------------------------------------------------------------- the webhook


def test_a_webhook_gets_the_digest_json_once_after_refusals_and_a_500(db: Path) -> None:
    port = free_port()
    settings = channel_settings(db, hook(port))
    first = send(db, settings, NOW)  # nothing listens yet: connection refused
    assert [a.sent for a in first] == [False]
    assert "hook" in (first[0].error or "") and "Connection error" in (first[0].error or "")
    with Store.open(db) as store:
        [row] = OutboxStore(store).deliveries()
        stored = json.loads(row.text_body)  # stored before sending: the digest JSON document
    assert (row.channel, row.recipient, row.status, row.attempts) == ("hook", "hook", "pending", 1)
    with Store.open(db) as store:
        newest = OutboxStore(store).newest_change_id()
    assert stored["model_version"] and stored["period"]["last_change_id"] == newest > 0
    assert stored["headline"]["added"] and stored["groups"]  # the whole digest document
    box = Receiver(answers=["500"])
    with receiver(port, box):
        soon = NOW + timedelta(seconds=1)
        assert send(db, settings, soon) == []  # the backoff holds: nothing due yet
        later = NOW + timedelta(minutes=6)  # past the first backoff (5 min)
        [refused] = send(db, settings, later)
        assert not refused.sent and "500" in (refused.error or ""), refused.error
        [accepted] = send(db, settings, later + timedelta(minutes=11))
        assert accepted.sent
        assert send(db, settings, later + timedelta(days=1), retry_now=True) == []
    assert box.refused == 1 and len(box.accepted) == 1  # exactly once after acceptance
    [payload] = box.accepted
    assert json.loads(str(payload["message"])) == stored
    assert payload["title"] == row.subject and row.subject.startswith("[ecmon]")
    user_pass = base64.b64decode(box.auth[0].split()[1]).decode()
    assert user_pass == f"ecmon:{SECRET}"  # the secret reached the service, and only it
    with Store.open(db) as store:
        [row] = OutboxStore(store).deliveries()
    assert (row.status, row.attempts) == ("sent", 3)
    assert SECRET not in database_text(db)


def test_a_channel_filters_like_a_recipient_and_renders_its_format(db: Path) -> None:
    port = free_port()
    text = hook(port, name="desk", format="markdown", countries=("CN",))
    everything = hook(port, name="all", format="text")
    settings = channel_settings(db, text, everything)
    box = Receiver()
    with receiver(port, box):
        attempts = send(db, settings, NOW)
    assert [(a.delivery.channel, a.sent) for a in attempts] == [("desk", True), ("all", True)]
    bodies = {a.delivery.channel: a.delivery.text_body for a in attempts}
    assert bodies["desk"].startswith("#") and "\n## " in bodies["desk"]  # Markdown
    assert not bodies["all"].startswith("#")
    assert len(bodies["desk"]) < len(bodies["all"])  # CN only: a filter of the whole
    sent = [str(p["message"]).strip() for p in box.accepted]
    assert sent == [bodies["desk"].strip(), bodies["all"].strip()]  # Apprise trims the body


# ----------------------------------------------------------------- alerts and tests


def test_a_broken_source_alert_goes_to_the_channel_through_the_same_outbox(db: Path) -> None:
    port = free_port()
    settings = channel_settings(db, hook(port), hook(port, name="quiet", alerts=False))
    source = "us_federal_register"
    mails = alerts._mails(settings, "broken", f"broken:{source}:t", source, "down", "It broke.\n")
    with Store.open(db) as store:
        assert store_alerts.record_transition(store, source, "broken", "test", NOW, mails)
        assert alerts.send_due(store, lambda n: channel(n, settings), now=NOW)[0] == 0
        box = Receiver()
        with receiver(port, box):
            later = NOW + timedelta(minutes=6)
            assert alerts.send_due(store, lambda n: channel(n, settings), now=later) == (1, [])
            assert alerts.send_due(store, lambda n: channel(n, settings), now=later) == (0, [])
        [row] = store_alerts.messages(store)
    assert (row.kind, row.channel, row.status, row.attempts) == ("broken", "hook", "sent", 2)
    [payload] = box.accepted
    document = json.loads(str(payload["message"]))
    assert document["alert"] == "broken" and document["source"] == source
    assert document["text"] == "It broke.\n"


def write_config(path: Path, db: Path, *channels: str) -> Path:
    lines = [f'database = "{db}"', *channels]
    lines += [line for name in REGISTRY for line in (f"[sources.{name}]", "enabled = false")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HOOK = '[[channels]]\nname = "hook"\nformat = "json"\n'


def test_notify_test_sends_through_the_outbox_and_fails_loudly(db: Path, tmp_path: Path) -> None:
    port = free_port()
    cfg = write_config(tmp_path / "ecmon.toml", db, HOOK)
    runner = CliRunner()
    env = {ENV: hook_url(port)}
    box = Receiver(answers=["500"])
    with receiver(port, box):
        failed = runner.invoke(main, ["--config", str(cfg), "notify", "test", "hook"], env=env)
        ok = runner.invoke(main, ["--config", str(cfg), "notify", "test"], env=env)
        retried = runner.invoke(
            main, ["--config", str(cfg), "digest", "--send", "--retry-now"], env=env
        )
    assert failed.exit_code == 7 and "NOT SENT test message to channel hook" in failed.output
    assert "500" in failed.output
    assert ok.exit_code == 0 and "sent test message to channel hook" in ok.output, ok.output
    assert [json.loads(str(p["message"]))["test"] for p in box.accepted[:1]] == [True]
    assert retried.exit_code == 0, retried.output  # the failed test is not "still waiting"
    assert "sent test message" not in retried.output  # a failed test is never resent
    digests = [line for line in retried.output.splitlines() if line.startswith("sent digest")]
    assert len(digests) == 1 and len(box.accepted) == 2  # the test, then the digest
    for result in (failed, ok, retried):
        assert SECRET not in result.output
    with Store.open(db) as store:
        tests = [d for d in OutboxStore(store).deliveries() if d.kind == "test"]
    assert sorted(d.status for d in tests) == ["failed", "sent"]
    unknown = runner.invoke(main, ["--config", str(cfg), "notify", "test", "slack"], env=env)
    assert unknown.exit_code == 2 and "no channel named 'slack'" in unknown.output
    assert "configured: email, hook" in unknown.output
    unset = runner.invoke(main, ["--config", str(cfg), "notify", "test", "hook"], env={ENV: ""})
    assert unset.exit_code == 2 and f"{ENV} is not set" in unset.output, unset.output


# ----------------------------------------------------------------- configuration


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Settings:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return config.load(default_settings(), config_path=path, environ=env or {})


def test_a_channel_url_is_read_only_from_the_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as inline:
        load(tmp_path, f'[[channels]]\nname = "slack-desk"\nurl = "slack://{SECRET}"\n')
    message = inline.value.message
    assert "channels.slack-desk" in message and "url is not read from the file" in message
    assert 'url_env = "ECMON_CHANNEL_SLACK_DESK_URL"' in message and SECRET not in message
    settings = load(
        tmp_path,
        '[[channels]]\nname = "desk"\nurl_env = "DESK_HOOK"\nformat = "markdown"\n'
        'countries = ["cn"]\nalerts = false\n',
        {"DESK_HOOK": f"json://u:{SECRET}@127.0.0.1:9/x"},
    )
    [desk] = settings.channels
    assert (desk.name, desk.format, desk.countries, desk.alerts, desk.digests) == (
        "desk", "markdown", ("CN",), False, True,
    )  # fmt: skip
    assert desk.url == f"json://u:{SECRET}@127.0.0.1:9/x" and SECRET not in repr(desk)
    shown = {k: (v, o) for k, v, o in config.effective_items(settings)}
    assert shown["channels.desk.url"] == ("(set)", "env DESK_HOOK")
    assert all(SECRET not in v for v, _o in shown.values())
    [default] = load(tmp_path, '[[channels]]\nname = "ops-ntfy"\n').channels
    assert default.url_env == "ECMON_CHANNEL_OPS_NTFY_URL" and default.url is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[[channels]]\nformat = "json"\n', "needs a name"),
        ('[[channels]]\nname = "email"\n', "not 'email'"),
        ('[[channels]]\nname = "a"\nformat = "pdf"\n', "format 'pdf' is unknown"),
        ('[[channels]]\nname = "a"\ntoken = "x"\n', "unknown setting(s) token"),
        ('[[channels]]\nname = "a"\nurl_env = "not a name"\n', "must name an environment"),
        ('[[channels]]\nname = "a"\n[[channels]]\nname = "a"\n', "two channels are named"),
        ('[[channels]]\nname = "a"\nsectors = ["semis"]\n', "channels.a in"),
        ("[channels]\nname = 1\n", "must be a list of tables"),
    ],
)
def test_bad_channel_settings_are_refused_at_load(
    tmp_path: Path, text: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, text)
    assert fragment in error.value.message


def test_a_url_apprise_cannot_use_is_a_config_error_naming_the_variable() -> None:
    bad = ChannelSettings(name="x", url_env="X_URL", url="nosuchscheme://whatever")
    with pytest.raises(ConfigError) as error:
        AppriseChannel(bad)
    assert "X_URL does not hold an Apprise URL" in error.value.message
    assert "nosuchscheme" not in error.value.message


def test_an_error_quoting_the_url_names_the_variable_instead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from monitor.errors import DeliveryError
    from monitor.notify.base import OutgoingMessage

    url = hook_url(free_port())
    sender = AppriseChannel(hook(0, url=url))

    def broken(**_kw: object) -> object:
        raise RuntimeError(f"plugin failed for {url}")

    monkeypatch.setattr(sender._apprise, "notify", broken)
    message = OutgoingMessage("s", "hook", "subject", "text", "", "<id@x>", NOW)
    with pytest.raises(DeliveryError) as error:
        sender.send(message)
    assert SECRET not in error.value.message and f"${ENV}" in error.value.message


def test_the_daemon_sends_due_channel_messages_with_email_off(db: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    port = free_port()
    settings = channel_settings(db, hook(port))
    assert [a.sent for a in send(db, settings, NOW)] == [False]  # nothing listens yet
    with sqlite3.connect(db) as conn:  # the test's shortened backoff: due now
        conn.execute("UPDATE outbox SET next_attempt_at = ?", (NOW.isoformat(),))
    cfg = write_config(
        tmp_path / "ecmon.toml", db, "[daemon]\noutbox_interval_seconds = 1", HOOK,
        '[digest]\ntime = "every 1d"',
    )  # fmt: skip
    out = tmp_path / "daemon.out"
    box = Receiver()
    root = Path(__file__).resolve().parents[2]
    with receiver(port, box), out.open("w") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "monitor", "--config", str(cfg), "daemon"],
            stdout=handle, stderr=subprocess.STDOUT, cwd=root,
            env={**os.environ, ENV: hook_url(port)},
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not box.accepted and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
    log = out.read_text(encoding="utf-8")
    assert code == 0 and len(box.accepted) == 1, log
    assert "outbox: every 1s" in log and "outbox: digest 1 to hook: sent" in log
    assert SECRET not in log
