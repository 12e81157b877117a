"""Locks: exclusive, keyed on the real path, and leaving no lock file once released."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from monitor.errors import EcmonError
from monitor.locks import DaemonLock, source_lock


def test_a_released_source_lock_leaves_no_file(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with source_lock(db, "csl"):
        assert (tmp_path / "x.db.csl.lock").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_waiter_behind_a_removed_file_never_shares_the_lock(tmp_path: Path) -> None:
    """Many threads contend; the file is removed at every release, yet at most one
    holder exists at any moment (a waiter re-takes the lock on the renewed file)."""
    db = tmp_path / "x.db"
    holders: list[int] = []
    most = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal most
        for _ in range(20):
            with source_lock(db, "csl"):
                with guard:
                    holders.append(1)
                    most = max(most, len(holders))
                time.sleep(0.001)  # widen the window in which a second holder would show
                with guard:
                    holders.pop()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert list(tmp_path.iterdir()) == []


def test_a_symlinked_path_takes_the_same_daemon_lock(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    db.touch()
    link = tmp_path / "link.db"
    link.symlink_to(db)
    with DaemonLock(db), pytest.raises(EcmonError, match=r"another ecmon daemon \(pid \d+\)"):
        DaemonLock(link).acquire()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.db", "x.db"]
