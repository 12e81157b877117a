"""``ecmon daemon``: every source on its own schedule, the digest on time, health alerts.

The jobs here are the composition of library calls the one-shot commands make:
``run_sources`` (as ``ecmon run``), then ``alerts.after_run`` (broken / recovered /
watchlist-hit mails) and the heartbeat ping; the digest job is ``outbox.compose`` then
``outbox.deliver`` (as ``ecmon digest --send``). ``monitor.scheduler`` only decides when.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import click

from monitor import console
from monitor.cli_common import App, handle_errors, pass_app, report_summaries
from monitor.config import Settings
from monitor.errors import ConfigError, EcmonError
from monitor.http import HttpClient
from monitor.models import RunOutcome, RunSummary
from monitor.pipeline import RunContext, run_sources, selected_sources, utc_now
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.notify import Channel

_BAD = (RunOutcome.FAILED, RunOutcome.SUSPECT)


@click.command("daemon")
@click.option(
    "--once",
    is_flag=True,
    help="Run every enabled source once (with alerts and heartbeat) and exit; exit codes as"
    " `ecmon run`. For a systemd timer or a Kubernetes CronJob instead of the daemon.",
)
@pass_app
@handle_errors
def daemon(app: App, once: bool) -> None:
    """Run each source on its schedule and send the digest on time, until stopped.

    \b
    Schedules come from the config and are rebuilt at every start:
      sources.<name>.schedule   "every 3h" (s, m, h, d) or a crontab line such as
                                "0 * * * mon-fri" (weekdays by name), in digest.timezone
      digest.time               "07:00" daily in digest.timezone (or "every 12h")
      daemon.jitter_seconds     random delay per source run (default 120)
      daemon.misfire_grace_seconds  a run this late still runs (default 900)
    Defaults: CSL every 3h, Federal Register hourly on weekdays, MOFCOM every 2h,
    eCFR daily. The digest job runs only with [email] enabled = true.

    \b
    After each source run:
      - a source failing daemon.failure_threshold runs in a row (default 3), or
        failing with no good fetch for daemon.stale_after_hours (default 48), is
        mailed once as BROKEN to every recipient, and once as recovered when a good
        run follows; the digest's source-health section shows it meanwhile;
      - with daemon.alert_on_hit and analysis.watchlist, new watchlist hits in what
        the run added or modified are mailed at once;
      - daemon.heartbeat_url, if set, gets a GET when the run did not fail.

    \b
    SIGTERM or SIGINT: the run in progress finishes, then the daemon exits 0.
    One daemon per database: it holds an flock on <database>.daemon.lock (the file
    holds its PID) and a second one exits 1 naming that PID. `ecmon status`, `diff`,
    `digest` and the rest work beside it.
    """
    settings = app.settings()
    jobs = DaemonJobs(settings, stamp=not once)
    names = selected_sources(settings)
    with DaemonLock(settings.database):
        if once:
            sys.exit(report_summaries(jobs.run_sources(names)))
        _serve(settings, jobs, names)


def _serve(settings: Settings, jobs: DaemonJobs, names: Sequence[str]) -> None:
    from monitor import scheduler

    mail = settings.email.enabled
    if mail:
        jobs.check_email()
    with jobs.store() as store:
        statuses = store.statuses([(n, True) for n in names])
    last = {s.source: datetime.fromisoformat(s.last_run_at) for s in statuses if s.last_run_at}
    now = utc_now()
    schedule = scheduler.plan(
        settings,
        names,
        run_source=jobs.run_source,
        send_digest=jobs.send_digest if mail else None,
        last_runs=last,
        now=now,
    )
    click.echo(f"ecmon daemon: database {settings.database}, {len(schedule.jobs)} job(s)")
    for line in schedule.describe(now):
        click.echo(f"  {line}")
    if not mail:
        click.echo("  digest: off ([email] enabled = false); alerts are recorded, not mailed")
    scheduler.run(schedule)
    click.echo("ecmon daemon: stopped")


class DaemonJobs:
    """What the daemon's jobs do; each opens its own store (and HTTP client) per run."""

    def __init__(self, settings: Settings, *, stamp: bool) -> None:
        self.settings = settings
        self._stamp = stamp  # the daemon prefixes lines with the time; --once does not

    def store(self) -> Store:
        return Store.open(self.settings.database, keep_raw=self.settings.raw_keep)

    def check_email(self) -> None:
        """Fail at start, not at the first digest, on a mail setup that cannot work."""
        from monitor import notify

        if not self.settings.email.recipients:
            raise ConfigError("no digest recipients: add [[email.recipients]] to the config file")
        notify.channel("email", self.settings)

    def channel_for(self, name: str) -> Channel:
        from monitor import notify

        return notify.channel(name, self.settings)

    def run_source(self, name: str) -> None:
        """The job of one source (errors are reported, never raised into the scheduler)."""
        try:
            for summary in self.run_sources([name]):
                self._say(console.summary_line(summary))
        except EcmonError as error:
            self._say(f"{name}: error: {error}", err=True)

    def run_sources(self, names: Sequence[str]) -> list[RunSummary]:
        """What `ecmon run` does, then the alerts and the heartbeat."""
        from monitor import alerts

        settings = self.settings
        with self.store() as store, HttpClient(settings.http) as client:
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
        from monitor import outbox

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
            self._say(f"digest {row.digest_id} to {row.recipient}: {state}")
        if queued is None and not attempts:
            self._say("digest: nothing new")

    def _ping(self, client: HttpClient, url: str) -> None:
        try:
            client.get(url, source="heartbeat")
        except EcmonError as error:  # a dead-man switch that is down must not stop runs
            self._say(f"heartbeat: {error}", err=True)

    def _say(self, line: str, *, err: bool = False) -> None:
        prefix = f"{utc_now().isoformat()} " if self._stamp else ""
        click.echo(f"{prefix}{line}", err=err)


class DaemonLock:
    """``fcntl.flock`` on ``<database>.daemon.lock``, held while the daemon lives.

    The file holds the daemon's PID, so a second daemon (or ``--once``) refuses to start
    naming it. The OS drops the lock when the process ends, however it ends, so a crash
    leaves no stale lock. Other commands do not take it: SQLite (WAL) lets them read and
    write beside the daemon.
    """

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".daemon.lock")
        self._fd: int | None = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock or raise EcmonError naming the daemon that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise EcmonError(
                f"another ecmon daemon (pid {holder}) is already running on {self.database}"
                f" (it holds {self.path}); stop it first. Other commands such as"
                " `ecmon status` work beside it."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)  # no stale PID for the next reader
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
