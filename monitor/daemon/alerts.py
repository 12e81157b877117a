"""Alerts by email: a source broke, a source recovered, a watchlist hit appeared.

After each run (``after_run``, called by the daemon for every job and by
``ecmon daemon --once``) three steps follow, each safe to repeat:

1. ``check_sources``: the statuses of the sources that just ran are judged by
   ``monitor.daemon.health`` against the alert state in the store; each transition is recorded
   with its mails in one transaction that re-checks the state (``store_health``), so a
   breakage is announced once, and its recovery once, whoever runs the check.
2. ``alert_hits`` (when ``daemon.alert_on_hit`` and a watchlist is configured): the
   records a run added or modified are screened; hits not dismissed and not alerted
   before at that record version are saved (``ecmon hits`` shows them) and mailed in
   one message.
3. ``send_due``: every due outbox row is sent (``monitor.notify.outbox.deliver``, the one
   send path of digests and alerts) and marked sent only once the channel accepted it; a
   refused one is retried with the outbox's backoff (the daemon's outbox timer retries
   it when due). Alerts go to every ``[[email.recipients]]`` address, without the
   recipients' list filters: a broken source or a hit concerns everyone who reads the
   digest.

With email off (or no recipients) the state is still recorded, so ``ecmon status`` and
the digest agree with what would have been sent, and nothing is mailed later in bulk.
Messages are plain text composed here (one paragraph each; the digest's Jinja templates
are for digests), with an HTML part that is the same text, escaped.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from monitor.config import Settings
from monitor.daemon.health import BROKEN, Thresholds, Transition, transitions
from monitor.models import RunOutcome, RunSummary
from monitor.notify import Channel
from monitor.notify.outbox import deliver, what
from monitor.sources import INFOS
from monitor.store import Store
from monitor.store import alerts as sh
from monitor.store.analysis import StoredHit
from monitor.store.outbox import NewDelivery
from monitor.text import inline

log = logging.getLogger(__name__)
ChannelFor = Callable[[str], Channel]


@dataclass(frozen=True)
class AlertReport:
    """What one ``after_run`` did."""

    transitions: tuple[Transition, ...] = ()
    hits: int = 0
    sent: int = 0
    not_sent: tuple[str, ...] = ()  # the errors of mails left pending


def after_run(
    store: Store,
    settings: Settings,
    summaries: Sequence[RunSummary],
    channel_for: ChannelFor,
    *,
    now: datetime,
) -> AlertReport:
    """Judge, record and send the alerts that the runs in ``summaries`` call for."""
    changed = check_sources(store, settings, [s.source for s in summaries], now=now)
    hits = alert_hits(store, settings, summaries, now=now) if settings.daemon.alert_on_hit else 0
    sent, errors = send_due(store, channel_for, now=now)
    return AlertReport(tuple(changed), hits, sent, tuple(errors))


def check_sources(
    store: Store, settings: Settings, names: Sequence[str], *, now: datetime
) -> list[Transition]:
    """Record (and queue the mails of) each broken/recovered transition of ``names``."""
    statuses = store.statuses([(name, True) for name in dict.fromkeys(names)])
    limits = Thresholds.from_settings(settings.daemon)
    recorded = []
    states = sh.alert_states(store)
    broken = {name for name, alert in states.items() if alert.state == "broken"}
    for change in transitions(statuses, limits, broken, now):
        state = "broken" if change.kind == BROKEN else "ok"
        event = f"{change.kind}:{change.source}:{now.isoformat()}"
        text = _health_text(change, states.get(change.source))
        mails = _mails(settings, change.kind, event, change.source, *text)
        if sh.record_transition(store, change.source, state, change.reason, now, mails):
            recorded.append(change)
            log.warning("source %s: %s (%s)", change.source, change.kind, change.reason)
    return recorded


def alert_hits(
    store: Store, settings: Settings, summaries: Sequence[RunSummary], *, now: datetime
) -> int:
    """Screen what ``summaries``' runs added or modified; queue one mail for new hits."""
    runs = [s for s in summaries if s.outcome == RunOutcome.CHANGED and s.run_id is not None]
    if not settings.analysis.watchlist or not runs:
        return 0
    # Screening needs the watchlist, the bilingual lexicon and the name matcher: loaded
    # only when a run changed something and a watchlist is set.
    from monitor.enrich import load_analysis
    from monitor.store import analysis as store_analysis

    context = load_analysis(store, settings.analysis)
    records = [
        (stored.provenance.source, stored.change.record)
        for s in runs
        for stored in store.changes(source=s.source, from_run=(s.run_id or 1) - 1, to_run=s.run_id)
        if stored.change.kind != "removed"
    ]
    found = context.screen(records)
    if not found:
        return 0
    saved = store_analysis.save_hits(store, found, now, full=False)
    open_hits = {(h.id, h.hit.content_hash): h for h in saved if h.status != "dismissed"}
    fresh = sh.unalerted_hits(store, open_hits)
    if not fresh:
        return 0
    chosen = [open_hits[pair] for pair in fresh]
    key = "hits:" + ",".join(f"{i}@{h[:12]}" for i, h in fresh)
    mails = _mails(settings, "watchlist_hit", key, chosen[0].hit.source, *_hits_text(chosen))
    return len(fresh) if sh.record_hit_alert(store, fresh, now, mails) else 0


def send_due(store: Store, channel_for: ChannelFor, *, now: datetime) -> tuple[int, list[str]]:
    """Send every due outbox row once: (how many were accepted, the errors of the rest).

    Two jobs ending together cannot send one row twice: each row is claimed in a write
    transaction of its own before it is sent (``OutboxStore.claim_next``)."""
    attempts = deliver(store, channel_for, now=now)
    errors = [
        f"{what(a.delivery)} to {a.delivery.recipient}: {a.error}" for a in attempts if not a.sent
    ]
    return sum(a.sent for a in attempts), errors


# ----------------------------------------------------------------- compose


def _mails(
    settings: Settings, kind: str, event_key: str, source: str, subject: str, text: str
) -> list[NewDelivery]:
    """One stored message per email recipient (with email on) and per channel taking
    alerts; none when there is nobody."""
    email = settings.email
    channels = [c for c in settings.channels if c.alerts]
    people = email.recipients if email.enabled else ()
    if not (people or channels):
        log.warning("%s alert not sent: email is off (or has no recipients), no channel", kind)
        return []
    full_subject = f"{settings.digest.subject_prefix} {subject}".strip()
    body = f'<html><body><pre style="white-space:pre-wrap">{html.escape(text)}</pre></body></html>'
    domain = parseaddr(email.sender)[1].rpartition("@")[2] or "ecmon.invalid"
    common = {"kind": kind, "event_key": event_key, "source": source, "sender": email.sender}
    found = []
    for r in people:
        found.append(
            NewDelivery(
                channel="email",
                recipient=r.address,
                subject=full_subject,
                text_body=text,
                html_body=body,
                message_id=_message_id(kind, event_key, r.address, domain),
                **common,
            )
        )
    for channel in channels:
        as_json = channel.format == "json"
        found.append(
            NewDelivery(
                channel=channel.name,
                recipient=channel.name,
                subject=full_subject,
                text_body=_alert_json(kind, event_key, source, full_subject, text)
                if as_json
                else text,
                html_body=body if channel.format == "html" else "",
                message_id=_message_id(kind, event_key, channel.name, domain),
                **common,
            )
        )
    return found


def _alert_json(kind: str, event_key: str, source: str, subject: str, text: str) -> str:
    """What a JSON webhook channel gets for an alert (the digest JSON is for digests)."""
    document = {"alert": kind, "event": event_key, "source": source, "subject": subject}
    return json.dumps({**document, "text": text}, ensure_ascii=False, indent=2)


def _message_id(kind: str, event_key: str, address: str, domain: str) -> str:
    """Fixed when queued, so a retried alert carries the id of the first attempt."""
    digest = hashlib.sha256(f"{event_key}\n{address}".encode()).hexdigest()[:24]
    return f"<ecmon.alert.{kind}.{digest}@{domain}>"


def _title(source: str) -> str:
    found = INFOS.get(source)
    return f"{source} ({found.title})" if found else source


def _health_text(change: Transition, before: sh.SourceAlert | None) -> tuple[str, str]:
    """(subject, body) of a broken or recovered alert. The subject names only our own
    source id: text from a publisher never goes into a mail header."""
    last_good = change.last_success_at or "never"
    if change.kind == BROKEN:
        lines = [
            f"Source broken: {_title(change.source)}",
            "",
            f"Why: {inline(change.reason)}.",
            f"Last error: {inline(change.last_error or '(none recorded)')}",
            f"Last good fetch: {last_good}",
            "",
            "Until it recovers, changes on this source are not seen. Stored data stays as",
            "it was at the last good fetch. You get one more mail when it recovers;",
            "`ecmon status` and the digest's source-health section show it meanwhile.",
        ]
        return f"SOURCE BROKEN: {change.source}", "\n".join(lines) + "\n"
    lines = [
        f"Source recovered: {_title(change.source)}",
        "",
        f"What: {inline(change.reason)}.",
        f"Broken since {before.changed_at}: {inline(before.reason)}." if before else "",
        "Changes missed while it was broken are in the next diff and digest, since the",
        "diff is always against the last accepted snapshot.",
    ]
    return f"source recovered: {change.source}", "\n".join(lines) + "\n"


def _hits_text(hits: Sequence[StoredHit]) -> tuple[str, str]:
    lines = [f"{len(hits)} new watchlist hit(s) in the latest run:", ""]
    for stored in hits:
        hit = stored.hit
        lines += [
            inline(f"- {hit.watch_name or hit.ref} ~ {hit.record_name}")
            + f" ({inline(hit.country or 'no country')})",
            f"  score {hit.score:.2f}: {inline(hit.reason)}",
            inline(f"  list {hit.list_name}, source {hit.source}, key {hit.key}"),
            f"  decide: ecmon hits confirm {stored.id} | ecmon hits dismiss {stored.id}",
        ]
    lines += ["", "The next digest lists these hits first."]
    count = len(hits)
    return f"WATCHLIST HIT{'S' if count != 1 else ''} ({count})", "\n".join(lines) + "\n"
