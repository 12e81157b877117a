"""Locks: one run of a source at a time, and one daemon per database.

Runs of one source never overlap, even from two processes (the daemon beside an
``ecmon run``): ``source_lock`` is an exclusive ``flock`` on ``<database>.<source>.lock``
held from before the run reads the accepted state until its write committed. The
daemon holds ``DaemonLock``. The OS drops an flock when its process ends, however it
ends, so a crash leaves no stale lock.

Both lock files are named after the database's real path (symlinks resolved,
``lock_base``): two paths to one database (a symlink, ``./x.db`` beside ``/abs/x.db``)
take one lock, not two.

A lock file exists only while it is held: the holder removes it before releasing, so
the database's folder is not left littered with ``*.lock`` files. A waiter that then
wins the flock on the removed file sees that its path no longer names that file and
takes the lock again on a fresh one (``_take``), so two holders can never coexist.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from monitor.errors import EcmonError

Progress = Callable[[str, str], None]


def quiet(_source: str, _step: str) -> None:
    """The default progress callback: say nothing."""


def lock_base(database: Path) -> Path:
    """The database's real path: what every lock file is named after."""
    return Path(os.path.realpath(database.expanduser()))


def _take(path: Path, *, wait: Callable[[], None] | None) -> int:
    """Open and flock ``path``; returns the descriptor. Without ``wait`` a held lock raises
    BlockingIOError; with it, ``wait`` is called once and the call blocks until free."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if wait is None:
                    raise
                wait()
                wait = _nothing  # say "waiting" once, however often the file is renewed
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        if _still_named(path, fd):
            return fd
        os.close(fd)  # the holder removed it while we waited: lock the new file


def _nothing() -> None:
    """A wait callback that says nothing."""


def _still_named(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the open file ``fd`` (it was not removed meanwhile)."""
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _drop(path: Path, fd: int) -> None:
    """Remove the lock file, then release: a waiter on the old file retries on a new one."""
    try:
        path.unlink(missing_ok=True)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def source_lock(database: Path, name: str, progress: Progress = quiet) -> Iterator[None]:
    """Hold the exclusive run lock of source ``name`` on ``database`` (module docstring)."""
    if sys.platform == "win32":  # no flock there: runs of one source are not serialised
        yield
        return
    real = lock_base(database)
    path = real.with_name(f"{real.name}.{name}.lock")
    fd = _take(path, wait=lambda: progress(name, "waiting for another run of this source"))
    try:
        yield
    finally:
        _drop(path, fd)


class DaemonLock:
    """``fcntl.flock`` on ``<database>.daemon.lock``, held while the daemon lives.

    The file holds the daemon's PID, so a second daemon (or ``--once``) refuses to start
    naming it. The OS drops the lock when the process ends, however it ends, so a crash
    leaves no stale lock. Other commands do not take it: SQLite (WAL) lets them read and
    write beside the daemon.
    """

    def __init__(self, database: Path) -> None:
        self.database = database
        real = lock_base(database)
        self.path = real.with_name(real.name + ".daemon.lock")
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
        try:
            fd = _take(self.path, wait=None)
        except BlockingIOError:
            holder = self._holder()
            raise EcmonError(
                f"another ecmon daemon (pid {holder}) is already running on {self.database}"
                f" (it holds {self.path}); stop it first. Other commands such as"
                " `ecmon status` work beside it."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd

    def _holder(self) -> str:
        """The PID written by the daemon that holds the lock, as far as it can be read."""
        try:
            return self.path.read_text("ascii", "replace").strip() or "unknown"
        except OSError:
            return "unknown"

    def release(self) -> None:
        if self._fd is None:
            return
        _drop(self.path, self._fd)
        self._fd = None
