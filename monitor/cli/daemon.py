"""``ecmon daemon``: every source on its own schedule, the digest on time, health alerts.

The jobs here are the composition of library calls the one-shot commands make:
``run_sources`` (as ``ecmon run``), then ``alerts.after_run`` (broken / recovered /
watchlist-hit mails) and the heartbeat ping; the digest job is ``outbox.compose`` then
``outbox.deliver`` (as ``ecmon digest --send``). ``monitor.daemon.scheduler`` only decides when.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import click

from monitor.cli import console
from monitor.cli.common import App, handle_errors, pass_app, report_summaries
from monitor.config import Settings
from monitor.daemon.jobs import DaemonJobs
from monitor.locks import DaemonLock
from monitor.models import utc_now
from monitor.pipeline import selected_sources

if TYPE_CHECKING:
    pass


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
      daemon.outbox_interval_seconds  how often due messages are looked for (default 60):
                                a failed digest or alert is retried when its backoff
                                (5 min, doubling, at most 6 h) ends
    Defaults: CSL every 3h, Federal Register hourly on weekdays, MOFCOM every 2h,
    eCFR daily. The digest job runs with [email] enabled = true or a [[channels]]
    channel that takes digests; the outbox job with either.

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
    SIGTERM or SIGINT: fetches in flight are cancelled, the runs in progress record
    that and finish (4 s at most), then the daemon exits 0. Each job has its own
    thread: a stalled source never delays another source or the digest.
    One daemon per database: it holds an flock on <database>.daemon.lock (the file
    holds its PID) and a second one exits 1 naming that PID. `ecmon status`, `diff`,
    `digest` and the rest work beside it.
    """
    settings = app.settings()
    jobs = DaemonJobs(settings, say=_stamped if not once else _plain, describe=console.summary_line)
    names = selected_sources(settings)
    with DaemonLock(settings.database):
        if once:
            sys.exit(report_summaries(jobs.run_sources(names)))
        _serve(settings, jobs, names)


def _serve(settings: Settings, jobs: DaemonJobs, names: Sequence[str]) -> None:
    from monitor.daemon import scheduler

    mail = settings.email.enabled or bool(settings.channels)
    digests = settings.email.enabled or any(c.digests for c in settings.channels)
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
        send_digest=jobs.send_digest if digests else None,
        last_runs=last,
        now=now,
        send_due=jobs.send_due if mail else None,
    )
    click.echo(f"ecmon daemon: database {settings.database}, {len(schedule.jobs)} job(s)")
    for line in schedule.describe(now):
        click.echo(f"  {line}")
    if not mail:
        click.echo(
            "  digest: off ([email] enabled = false, no [[channels]]); alerts are recorded,"
            " not sent"
        )
    scheduler.run(schedule, on_stop=jobs.cancel)
    click.echo("ecmon daemon: stopped")


def _plain(line: str, err: bool) -> None:
    click.echo(line, err=err)


def _stamped(line: str, err: bool) -> None:
    # The daemon prefixes lines with the time; --once does not.
    click.echo(f"{utc_now().isoformat()} {line}", err=err)
