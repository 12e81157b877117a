"""The daemon's timing: schedules parsed into APScheduler 3.x triggers, one job per
source plus the digest, run by a ``BlockingScheduler`` until SIGTERM or SIGINT.

The only module that imports APScheduler. It adds timing and nothing else: what a job
does is a plain callable from the caller (``monitor.cli.daemon``), the same code that
``ecmon run`` and ``ecmon digest --send`` call.

Schedules (``sources.<name>.schedule``, ``digest.time``):

- ``every 3h`` / ``every 90m`` / ``every 2s`` / ``every 1d``: an interval. A source whose
  last run is older than its interval (or that never ran) runs right after start;
  otherwise one interval after its last run, so a restart does not poll everything.
- a crontab line ``0 * * * mon-fri`` (minute hour day month weekday), read in
  ``digest.timezone``. Weekdays must be names: APScheduler 3 numbers Monday 0 where
  crontab numbers Sunday 0, so a number would silently shift the day.
- ``HH:MM`` (digest only): daily at that time in ``digest.timezone``.

The outbox job (``outbox``, every ``daemon.outbox_interval_seconds``, first right after
start) sends whatever outbox row is due: a digest or alert that failed is retried when its
backoff (5 min, doubling, at most 6 h) ends, not at the next digest time. It may start
while its previous run still sends (``max_instances=2``); that second run returns at once
(``DaemonJobs.send_due`` holds a lock), so a slow server is never logged as a skipped job.

Every job gets an explicit id (``source:<name>``, ``digest``, ``outbox``), ``coalesce=True``,
``max_instances=1`` and ``misfire_grace_time`` from ``daemon.misfire_grace_seconds``
(set through ``job_defaults``: APScheduler 3 ignores it elsewhere, and its 1 s default
drops runs after a suspend). Interval and cron jobs of sources are delayed by up to
``daemon.jitter_seconds``. Jobs live in memory and are rebuilt from the config at each
start: nothing is pickled. Each job has a worker thread of its own (``max_instances=1``
keeps a job from overlapping itself), so a source whose server stalls delays neither the
other sources nor the digest; each job opens its own database connection in its thread
(SQLite's busy timeout and the per-source run lock serialise what must be).

Stopping: SIGTERM or SIGINT stops the scheduler and gives the runs in progress
``FINISH_GRACE`` seconds to finish; then it calls ``on_stop`` (the jobs cancel their HTTP
requests in flight, which end within a second and are recorded as failed runs, one
transaction each) and waits ``CANCEL_GRACE`` seconds more, so the daemon exits within about
5 s whatever a server does. A job that was due but not started is skipped. A second
signal only says it is still finishing; SIGKILL rolls the open transaction back.

One daemon per database is the caller's lock (``monitor.locks.DaemonLock``).
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import Settings
from monitor.errors import ConfigError

log = logging.getLogger(__name__)

_EVERY = re.compile(r"every\s+(\d+(?:\.\d+)?)\s*([smhd])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


# ----------------------------------------------------------------- schedules


def parse_every(text: str) -> timedelta | None:
    """``every 3h`` -> 3 hours; None when ``text`` is not an interval."""
    found = _EVERY.fullmatch(text.strip())
    if found is None:
        return None
    span = timedelta(seconds=float(found[1]) * _UNIT_SECONDS[found[2].lower()])
    if span <= timedelta(0):
        raise ConfigError(f"schedule {text!r}: the interval must be longer than 0")
    return span


def timezone_of(settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.digest.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"digest.timezone {settings.digest.timezone!r} is not an IANA time zone"
        ) from None


class Trigger(Protocol):
    """What the daemon asks of an APScheduler 3 trigger (APScheduler ships no type hints)."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...


def trigger_for(text: str, tz: ZoneInfo, *, jitter: int = 0, clock: bool = False) -> Trigger:
    """The trigger of a schedule: interval, crontab line or (``clock``) ``HH:MM``."""
    every = parse_every(text)
    if every is not None:
        interval: Trigger = IntervalTrigger(
            seconds=every.total_seconds(), timezone=tz, jitter=jitter or None
        )
        return interval
    at = _CLOCK.fullmatch(text.strip()) if clock else None
    if at is not None:
        daily: Trigger = CronTrigger(hour=int(at[1]), minute=int(at[2]), timezone=tz)
        return daily
    fields = text.split()
    if len(fields) != 5:
        raise ConfigError(
            f"schedule {text!r} is neither 'every <n>s|m|h|d'"
            f"{', HH:MM' if clock else ''} nor a 5-field crontab line"
        )
    if any(ch.isdigit() for ch in fields[4]):
        raise ConfigError(
            f"schedule {text!r}: write weekdays as names (mon-fri), not numbers"
            " (crontab and APScheduler 3 number them differently)"
        )
    minute, hour, day, month, weekday = fields
    try:
        cron: Trigger = CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekday,
            timezone=tz,
            jitter=jitter or None,
        )
        return cron
    except ValueError as exc:
        raise ConfigError(f"schedule {text!r}: {exc}") from None


# ----------------------------------------------------------------- the plan


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: an id, what it runs, when, and (maybe) its first run."""

    id: str
    func: Callable[[], object]
    schedule: str
    trigger: Trigger
    first_run: datetime | None = None
    # More than 1 only for a job that returns at once while its previous run goes on (the
    # outbox job): APScheduler then never logs it as "skipped" every interval.
    instances: int = 1


@dataclass(frozen=True)
class Plan:
    """Every job of the daemon, built from the settings before anything starts."""

    timezone: ZoneInfo
    misfire_grace_seconds: int
    jobs: tuple[JobSpec, ...]

    def describe(self, now: datetime) -> list[str]:
        """One line per job: id, schedule, next run (for the start-up banner)."""
        lines = []
        for job in self.jobs:
            when = job.first_run or job.trigger.get_next_fire_time(None, now)
            at = when.astimezone(self.timezone).isoformat(timespec="seconds") if when else "never"
            lines.append(f"{job.id}: {job.schedule} (next {at})")
        return lines


def plan(
    settings: Settings,
    names: Sequence[str],
    *,
    run_source: Callable[[str], object],
    send_digest: Callable[[], object] | None,
    last_runs: Mapping[str, datetime | None],
    now: datetime,
    send_due: Callable[[], object] | None = None,
) -> Plan:
    """A job per source in ``names`` on its schedule, plus the digest when ``send_digest``
    is given and the outbox job when ``send_due`` is. Raises ConfigError for a schedule that
    does not parse, before any job runs."""
    tz = timezone_of(settings)
    jitter = max(0, settings.daemon.jitter_seconds)
    jobs = []
    for name in names:
        text = settings.source(name).schedule
        if not text:
            raise ConfigError(f"sources.{name}.schedule is empty")
        try:
            trigger = trigger_for(text, tz, jitter=jitter)
        except ConfigError as error:
            raise ConfigError(f"sources.{name}.schedule: {error}") from None
        every = parse_every(text)
        first = _first_run(every, last_runs.get(name), now) if every else None
        jobs.append(JobSpec(f"source:{name}", _bind(run_source, name), text, trigger, first))
    if send_digest is not None:
        text = settings.digest.time
        try:
            trigger = trigger_for(text, tz, clock=True)
        except ConfigError as error:
            raise ConfigError(f"digest.time: {error}") from None
        jobs.append(JobSpec("digest", send_digest, text, trigger))
    if send_due is not None:
        seconds = max(1, settings.daemon.outbox_interval_seconds)
        trigger = IntervalTrigger(seconds=seconds, timezone=tz)
        jobs.append(JobSpec("outbox", send_due, f"every {seconds}s", trigger, now, instances=2))
    return Plan(tz, max(1, settings.daemon.misfire_grace_seconds), tuple(jobs))


def _first_run(every: timedelta, last: datetime | None, now: datetime) -> datetime:
    return now if last is None else max(now, last + every)


def _bind(func: Callable[[str], object], name: str) -> Callable[[], object]:
    return lambda: func(name)


# ----------------------------------------------------------------- running


FINISH_GRACE = 3.0  # seconds the runs in progress get to finish after a stop signal
CANCEL_GRACE = 1.5  # then, seconds the cancelled ones get to record their failure


def run(schedule: Plan, on_stop: Callable[[], None] = lambda: None) -> None:
    """Run ``schedule`` until SIGTERM/SIGINT; return once the runs in progress finished
    (or were cancelled: module docstring)."""
    scheduler = BlockingScheduler(
        timezone=schedule.timezone,
        executors={"default": ThreadPoolExecutor(max_workers=max(1, len(schedule.jobs)))},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": schedule.misfire_grace_seconds,
        },
    )
    guard = _Guard(scheduler, on_stop)
    for job in schedule.jobs:
        first = {"next_run_time": job.first_run} if job.first_run else {}
        scheduler.add_job(
            guard.wrap(job),
            trigger=job.trigger,
            id=job.id,
            name=job.id,
            replace_existing=True,
            max_instances=job.instances,
            **first,
        )
    scheduler.add_listener(_report, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
    scheduler.add_listener(guard.on_started, EVENT_SCHEDULER_STARTED)
    with guard.signals():
        scheduler.start()  # blocks until a signal shuts it down
    guard.wait_idle()


class _Stoppable(Protocol):
    """What ``_Guard`` asks of the APScheduler scheduler."""

    def shutdown(self, wait: bool = True) -> None: ...


class _JobEvent(Protocol):
    """What ``_report`` reads of an APScheduler ``JobExecutionEvent``."""

    @property
    def code(self) -> int: ...

    @property
    def job_id(self) -> str: ...

    @property
    def scheduled_run_time(self) -> datetime | None: ...

    @property
    def exception(self) -> BaseException | None: ...


class _Guard:
    """Stops the scheduler on a signal and lets the runs in progress finish."""

    def __init__(self, scheduler: _Stoppable, on_stop: Callable[[], None]) -> None:
        self._scheduler = scheduler
        self._on_stop = on_stop
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._running = 0

    def wrap(self, job: JobSpec) -> Callable[[], None]:
        def guarded() -> None:
            with self._idle:
                if self._stopping.is_set():
                    log.info("%s skipped: the daemon is stopping", job.id)
                    return
                self._running += 1
            try:
                job.func()
            finally:
                with self._idle:
                    self._running -= 1
                    self._idle.notify_all()

        return guarded

    def request_stop(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self._stopping.is_set():
            log.warning("%s: still finishing the run in progress", name)
            return
        self._stopping.set()
        log.warning("%s: stopping after the runs in progress", name)
        self._shutdown()

    def on_started(self, _event: object) -> None:
        if self._stopping.is_set():  # a signal came before the scheduler was running
            self._shutdown()

    def _shutdown(self) -> None:
        # Not running yet: ``on_started`` stops it as soon as it is. wait=False: this runs
        # in the signal handler; ``wait_idle`` does the waiting.
        with suppress(SchedulerNotRunningError):
            self._scheduler.shutdown(wait=False)

    @contextmanager
    def signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.request_stop) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def wait_idle(self) -> None:
        idle = lambda: self._running == 0  # noqa: E731
        with self._idle:
            if self._idle.wait_for(idle, timeout=FINISH_GRACE):
                return
            log.warning("%d job(s) still running; cancelling their fetches", self._running)
        self._on_stop()
        with self._idle:
            if not self._idle.wait_for(idle, timeout=CANCEL_GRACE):
                log.warning("%d job(s) still running; exiting anyway", self._running)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _report(event: _JobEvent) -> None:
    """Surface what APScheduler would otherwise only log at debug level or swallow."""
    if event.code == EVENT_JOB_MISSED:
        log.warning(
            "job %s missed its run at %s (beyond misfire grace)",
            event.job_id,
            event.scheduled_run_time,
        )
    elif event.code == EVENT_JOB_MAX_INSTANCES:
        log.warning("job %s skipped: its previous run is still going", event.job_id)
    else:
        log.error("job %s failed: %r", event.job_id, event.exception)
