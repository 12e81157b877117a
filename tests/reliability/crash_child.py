"""Child process for test_crash_safety.py: one run of SOURCE against the ``after`` mirror at
MIRROR_URL, killing itself with SIGKILL at SQL statement N.

Usage: python -m tests.reliability.crash_child DB MIRROR_URL SOURCE N
(N = 0: never; prints the number of statements the run executed and its outcome)
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from monitor.store import Store
from tests.reliability.harness import Mirror, Sleeps, run_once, settings_for


def main() -> None:
    db, url, source, kill_at = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    count = 0

    def trace(_statement: str) -> None:
        nonlocal count
        count += 1
        if count == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    settings = settings_for(db, Mirror(url), source)
    with Store.open(db) as store:
        store.db.conn.set_trace_callback(trace)
        summary = run_once(store, settings, source, Sleeps())
    print(count, summary.outcome.value)


if __name__ == "__main__":
    main()
