"""Source health alerts: when a source is broken or recovered (pure), the alert state in
the store (one alert per transition, retried until sent, never twice), and agreement
with the digest's source-health section."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.analysis.watchlist import Hit
from monitor.config import AnalysisSettings, DaemonSettings, EmailSettings, Recipient, Settings
from monitor.daemon import alerts
from monitor.daemon.health import Thresholds, broken_reason, transitions
from monitor.digest.model import build_model
from monitor.digest.types import Health
from monitor.errors import DeliveryError, FetchError
from monitor.models import RunInfo, RunOutcome, RunSummary, SourceStatus
from monitor.notify import OutgoingMessage
from monitor.store import Store
from monitor.store import alerts as sh
from monitor.store import analysis as store_analysis
from monitor.store.analysis import save_hits
from monitor.testing.fixture_server import FixtureServer
from tests.support import CSL, CSL_AFTER, CSL_BEFORE, csl_settings, run_source

NOW = datetime(2025, 9, 13, 7, 0, tzinfo=UTC)
LIMITS = Thresholds(failures=3, stale_after=timedelta(hours=48))


def status(failures: int = 0, last_good: datetime | None = NOW, **kw: object) -> SourceStatus:
    fields: dict[str, object] = {
        "source": CSL,
        "enabled": True,
        "last_outcome": "failed" if failures else "unchanged",
        "last_run_at": NOW.isoformat(),
        "last_success_at": last_good.isoformat() if last_good else None,
        "consecutive_failures": failures,
        "last_error": "HTTP 503" if failures else None,
        "record_count": 5,
        **kw,
    }
    return SourceStatus(**fields)  # type: ignore[arg-type]  # built from a dict of fields


# ------------------------------------------------------------------ pure rules


@pytest.mark.parametrize(
    ("failures", "age_hours", "broken"),
    [
        (0, 0, False),
        (2, 1, False),  # below the threshold and fresh
        (3, 1, True),  # the threshold
        (7, 1, True),
        (1, 49, True),  # failing and no good fetch for longer than stale_after
        (0, 500, False),  # not run since its last good fetch: not judged stale
    ],
)
def test_broken_reason(failures: int, age_hours: int, broken: bool) -> None:
    found = broken_reason(status(failures, NOW - timedelta(hours=age_hours)), LIMITS, NOW)
    assert (found is not None) is broken


def test_never_good_source_is_judged_by_its_failure_streak_only() -> None:
    assert broken_reason(status(2, None), LIMITS, NOW) is None
    assert broken_reason(status(3, None), LIMITS, NOW) == (
        "3 failed run(s) in a row (alert threshold 3)"
    )


def test_one_broken_transition_per_breakage_and_one_recovery() -> None:
    kinds = []
    alerted: set[str] = set()
    for failures in (0, 1, 2, 3, 4, 5, 0, 0, 1):  # consecutive_failures after each run
        for change in transitions([status(failures)], LIMITS, alerted, NOW):
            kinds.append((failures, change.kind))
            (alerted.add if change.kind == "broken" else alerted.discard)(change.source)
    assert kinds == [(3, "broken"), (0, "recovered")]


def test_raised_threshold_does_not_fake_a_recovery() -> None:
    """Still failing, now below a raised threshold: broken until a good run."""
    raised = replace(LIMITS, failures=10)
    assert transitions([status(4)], raised, {CSL}, NOW) == []
    [recovered] = transitions([status(0)], raised, {CSL}, NOW)
    assert recovered.kind == "recovered"


def test_thresholds_from_settings() -> None:
    limits = Thresholds.from_settings(DaemonSettings(failure_threshold=0, stale_after_hours=6))
    assert limits == Thresholds(1, timedelta(hours=6))


@pytest.mark.parametrize("failures", [3, 1])
def test_a_broken_source_is_a_problem_in_the_digest_and_a_recovered_one_is_healthy(
    failures: int,
) -> None:
    """Whatever made it broken (streak or staleness), the digest lists it as failing."""
    broken = status(failures, NOW - timedelta(hours=60))
    assert transitions([broken], LIMITS, set(), NOW)[0].kind == "broken"
    health = _digest_health(broken)
    assert [(p["source"], p["state"]) for p in health["problems"]] == [(CSL, "failing")]
    good = status(0, NOW)
    assert transitions([good], LIMITS, {CSL}, NOW)[0].kind == "recovered"
    health = _digest_health(good)
    assert health["problems"] == [] and [h["source"] for h in health["healthy"]] == [CSL]


def _digest_health(found: SourceStatus) -> Health:
    empty = {"schema_version": "1", "generated_at": "", "query": {}, "summary": {},
             "sources": [], "changes": []}  # fmt: skip
    model = build_model(
        empty,  # type: ignore[arg-type]
        actions={},
        statuses=[found],
        source_titles={CSL: "CSL"},
        period={"label": "health", "first_change_id": None, "last_change_id": None},
        generated_at=NOW,
    )
    return model["health"]


# ------------------------------------------------------------------ store + mail


class Mailbox:
    """A channel that accepts (or, while ``down``, refuses) every message."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.down = False

    def send(self, message: OutgoingMessage) -> None:
        if self.down:
            raise DeliveryError("connection refused")
        self.sent.append(message)


def mail_settings(db: Path, threshold: int = 2) -> Settings:
    base = csl_settings(db, "http://127.0.0.1:9/c.csv")
    email = EmailSettings(
        enabled=True, security="none", sender="ecmon <alerts@ecmon.example>",
        recipients=(Recipient("a@example.org"), Recipient("b@example.org")),
    )  # fmt: skip
    return replace(base, email=email, daemon=DaemonSettings(failure_threshold=threshold))


def fail(store: Store, at: datetime) -> RunSummary:
    info = RunInfo(CSL, "http://127.0.0.1:9/c.csv", at, at)
    run_id = store.record_failure(info, FetchError("HTTP 503", source=CSL))
    return RunSummary(CSL, RunOutcome.FAILED, run_id)


def succeed(store: Store, at: datetime) -> RunSummary:
    info = RunInfo(CSL, "http://127.0.0.1:9/c.csv", at, at)
    run_id = store.record_unchanged(info, RunOutcome.NOT_MODIFIED)
    return RunSummary(CSL, RunOutcome.NOT_MODIFIED, run_id)


def test_alerts_are_recorded_once_mailed_to_everyone_and_retried_until_sent(
    tmp_path: Path,
) -> None:
    settings = mail_settings(tmp_path / "h.db")
    box = Mailbox()

    def after(store: Store, summary: RunSummary, at: datetime) -> alerts.AlertReport:
        return alerts.after_run(store, settings, [summary], lambda _name: box, now=at)

    with Store.open(settings.database) as store:
        at = datetime.now(UTC).replace(microsecond=0)
        assert after(store, succeed(store, at), at).transitions == ()
        assert after(store, fail(store, at), at).transitions == ()
        box.down = True  # the breakage is recorded while mail is down
        report = after(store, fail(store, at), at)
        assert [t.kind for t in report.transitions] == ["broken"]
        assert report.sent == 0 and len(report.not_sent) == 2
        assert sh.broken_sources(store) == {CSL}
        box.down = False
        later = at + timedelta(hours=1)  # past the first backoff (5 min)
        report = after(store, fail(store, later), later)
        assert report.transitions == () and report.sent == 2  # the retry, not a new alert
        assert after(store, fail(store, later), later).sent == 0
        report = after(store, succeed(store, later), later)
        assert [t.kind for t in report.transitions] == ["recovered"] and report.sent == 2
        assert after(store, succeed(store, later), later).transitions == ()
        rows = sh.messages(store)
    subjects = [m.subject for m in box.sent]
    assert (
        subjects
        == ["[ecmon] SOURCE BROKEN: us_csl_entity_list"] * 2
        + ["[ecmon] source recovered: us_csl_entity_list"] * 2
    )
    assert sorted(m.recipient for m in box.sent[:2]) == ["a@example.org", "b@example.org"]
    assert "2 failed run(s) in a row" in box.sent[0].text and "HTTP 503" in box.sent[0].text
    assert [(r.kind, r.status, r.attempts) for r in rows] == [
        ("broken", "sent", 2), ("broken", "sent", 2),
        ("recovered", "sent", 1), ("recovered", "sent", 1),
    ]  # fmt: skip
    assert len({m.message_id for m in box.sent}) == 4


def test_a_transition_is_recorded_once_even_if_two_checks_race(tmp_path: Path) -> None:
    settings = mail_settings(tmp_path / "h.db", threshold=1)
    with Store.open(settings.database) as first, Store.open(settings.database) as second:
        at = datetime.now(UTC).replace(microsecond=0)
        fail(first, at)
        # Both judged the source from the same state; only one records the transition.
        assert sh.record_transition(first, CSL, "broken", "x", at)
        assert not sh.record_transition(second, CSL, "broken", "x", at)
        assert alerts.check_sources(second, settings, [CSL], now=at) == []


def test_with_email_off_the_state_is_kept_and_nothing_is_mailed(tmp_path: Path) -> None:
    settings = replace(mail_settings(tmp_path / "h.db", threshold=1), email=EmailSettings())
    with Store.open(settings.database) as store:
        at = datetime.now(UTC).replace(microsecond=0)
        fail(store, at)
        [change] = alerts.check_sources(store, settings, [CSL], now=at)
        assert change.kind == "broken" and sh.broken_sources(store) == {CSL}
        assert sh.messages(store) == []


def test_statuses_with_alerts_carry_the_alert_for_the_digest(tmp_path: Path) -> None:
    settings = mail_settings(tmp_path / "h.db", threshold=1)
    with Store.open(settings.database) as store:
        at = datetime.now(UTC).replace(microsecond=0)
        fail(store, at)
        alerts.check_sources(store, settings, [CSL], now=at)
        [found] = sh.statuses_with_alerts(store, [(CSL, True)])
        assert (
            found.details["alert"] == "broken" and "1 failed run" in found.details["alert_reason"]
        )
        succeed(store, at)
        alerts.check_sources(store, settings, [CSL], now=at + timedelta(minutes=1))
        [found] = sh.statuses_with_alerts(store, [(CSL, True)])
        assert found.details["alert"] == "recovered"


def test_hit_pairs_are_alerted_once(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.db") as store:
        hit = Hit("W1", "Example Co", CSL, "k|CN", "el", "Example Co", "CN", 0.97, "same", "h1")
        [stored] = save_hits(store, [hit], NOW, full=False)
        pair = (stored.id, "h1")
        assert sh.unalerted_hits(store, [pair]) == [pair]
        assert sh.record_hit_alert(store, [pair], NOW, [])
        assert sh.unalerted_hits(store, [pair]) == []
        assert not sh.record_hit_alert(store, [pair], NOW, [])


def test_new_watchlist_hits_of_a_run_are_mailed_once(
    tmp_path: Path, fixture_server: FixtureServer
) -> None:
    watchlist = tmp_path / "watch.toml"
    watchlist.write_text(
        '[[entry]]\nref = "EX-001"\nname = "Fudan Microelectronics Grp"\ncountry = "CN"\n',
        encoding="utf-8",
    )
    settings = mail_settings(tmp_path / "h.db")
    settings = replace(settings, analysis=AnalysisSettings(watchlist=str(watchlist)))
    settings = replace(
        settings, sources={CSL: replace(settings.source(CSL), url=fixture_server.url_for("/c.csv"))}
    )
    box = Mailbox()
    with Store.open(settings.database) as store:
        fixture_server.set_route("/c.csv", CSL_BEFORE.read_bytes())
        baseline = run_source(store, settings)
        assert (
            alerts.alert_hits(store, settings, [baseline], now=NOW) == 0
        )  # a baseline is not news
        fixture_server.set_route("/c.csv", CSL_AFTER.read_bytes())
        changed = run_source(store, settings)
        assert changed.outcome == RunOutcome.CHANGED
        found = alerts.alert_hits(store, settings, [changed], now=NOW)
        assert found >= 1
        assert alerts.alert_hits(store, settings, [changed], now=NOW) == 0  # already alerted
        assert alerts.send_due(store, lambda _name: box, now=NOW) == (2, [])
        assert len(store_analysis.stored_hits(store)) == found  # `ecmon hits` shows them
    assert [m.recipient for m in box.sent] == ["a@example.org", "b@example.org"]
    [message] = {m.subject: m for m in box.sent}.values()
    assert message.subject.startswith("[ecmon] WATCHLIST HIT")
    assert "Fudan Microelectronics" in message.text and "ecmon hits confirm" in message.text
