"""What the daemon's jobs do: the composition of library calls the one-shot commands make.

``run_sources`` (as ``ecmon run``), then ``alerts.after_run`` (broken / recovered /
watchlist-hit mails) and the heartbeat ping; the digest job is ``outbox.compose`` then
``outbox.deliver`` (as ``ecmon digest --send``). Output goes through the ``say`` callback
the CLI passes in, so this package never imports click.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from monitor.config import Settings
from monitor.errors import ConfigError, EcmonError
from monitor.http import HttpClient
from monitor.models import RunOutcome, RunSummary, utc_iso, utc_now
from monitor.pipeline import RunContext, run_sources
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.notify import Channel

Say = Callable[[str, bool], None]  # (line, to stderr)
Describe = Callable[[RunSummary], str]

_BAD = (RunOutcome.FAILED, RunOutcome.SUSPECT)


class DaemonJobs:
    """What the daemon's jobs do; each opens its own store (and HTTP client) per run."""

    def __init__(self, settings: Settings, *, say: Say, describe: Describe) -> None:
        self.settings = settings
        self._say_line = say
        self._describe = describe
        self._clients: set[HttpClient] = set()
        self._lock = threading.Lock()
        self._sending = threading.Lock()  # one outbox check at a time
        self._stopping = False

    def cancel(self) -> None:
        """The daemon is stopping: end every request in flight, refuse new ones."""
        with self._lock:
            self._stopping = True
            for client in self._clients:
                client.cancel()

    @contextmanager
    def client(self) -> Iterator[HttpClient]:
        """An HTTP client that ``cancel`` reaches (jobs run in threads of their own)."""
        with HttpClient(self.settings.http) as client:
            with self._lock:
                self._clients.add(client)
                if self._stopping:
                    client.cancel()
            try:
                yield client
            finally:
                with self._lock:
                    self._clients.discard(client)

    def store(self) -> Store:
        return Store.open(self.settings.database, keep_raw=self.settings.raw_keep)

    def check_email(self) -> None:
        """Fail at start, not at the first digest, on a delivery setup that cannot work:
        mail with no recipient or no password, a channel whose URL variable is unset."""
        from monitor import notify

        if self.settings.email.enabled:
            if not self.settings.email.recipients:
                raise ConfigError(
                    "no digest recipients: add [[email.recipients]] to the config file"
                )
            notify.channel("email", self.settings)
        for configured in self.settings.channels:
            notify.channel(configured.name, self.settings)

    def channel_for(self, name: str) -> Channel:
        from monitor import notify

        return notify.channel(name, self.settings)

    def run_source(self, name: str) -> None:
        """The job of one source (errors are reported, never raised into the scheduler)."""
        try:
            for summary in self.run_sources([name]):
                self._say(self._describe(summary))
        except EcmonError as error:
            self._say(f"{name}: error: {error}", err=True)

    def run_sources(self, names: Sequence[str]) -> list[RunSummary]:
        """What `ecmon run` does, then the alerts and the heartbeat."""
        from monitor.daemon import alerts

        settings = self.settings
        with self.store() as store, self.client() as client:
            summaries = run_sources(RunContext(settings, store, client), names)
            report = alerts.after_run(store, settings, summaries, self.channel_for, now=utc_now())
            if settings.daemon.heartbeat_url and not any(s.outcome in _BAD for s in summaries):
                self._ping(client, settings.daemon.heartbeat_url)
        for change in report.transitions:
            self._say(f"alert: {change.source} {change.kind}: {change.reason}", err=True)
        if report.hits:
            self._say(f"alert: {report.hits} new watchlist hit(s) mailed", err=True)
        for error in report.not_sent:
            self._say(f"alert NOT SENT (retried later): {error}", err=True)
        return summaries

    def send_digest(self) -> None:
        """The digest job: queue what is pending, deliver the outbox."""
        from monitor.digest import outbox
        from monitor.notify.outbox import what

        try:
            with self.store() as store:
                now = utc_now()
                queued = outbox.compose(store, self.settings, now=now)
                attempts = outbox.deliver(store, self.channel_for, now=now)
        except EcmonError as error:
            self._say(f"digest: error: {error}", err=True)
            return
        if queued is not None:
            self._say(f"digest {queued.digest_id} queued ({queued.change_count} change(s))")
        for attempt in attempts:
            row = attempt.delivery
            state = "sent" if attempt.sent else f"NOT SENT ({attempt.error}); retried later"
            self._say(f"{what(row)} to {row.recipient}: {state}")
        if queued is None and not attempts:
            self._say("digest: nothing new")

    def send_due(self) -> None:
        """The outbox job: send every due outbox row (digests and alerts whose backoff
        ended, rows a crash left behind once their lease expired)."""
        from monitor.notify.outbox import deliver, what
        from monitor.store.outbox import OutboxStore

        if not self._sending.acquire(blocking=False):
            return  # the previous check is still sending (a slow server): it goes on
        try:
            with self.store() as store:
                now = utc_now()
                due = OutboxStore(store).next_due_at()
                if due is None or due > utc_iso(now):
                    return  # nothing due: no channel is built, nothing is logged
                attempts = deliver(store, self.channel_for, now=now)
        except EcmonError as error:
            self._say(f"outbox: error: {error}", err=True)
            return
        finally:
            self._sending.release()
        for attempt in attempts:
            row = attempt.delivery
            state = "sent" if attempt.sent else f"NOT SENT ({attempt.error}); retried later"
            self._say(f"outbox: {what(row)} to {row.recipient}: {state}")

    def _ping(self, client: HttpClient, url: str) -> None:
        try:
            client.get(url, source="heartbeat")
        except EcmonError as error:  # a dead-man switch that is down must not stop runs
            self._say(f"heartbeat: {error}", err=True)

    def _say(self, line: str, *, err: bool = False) -> None:
        self._say_line(line, err)
