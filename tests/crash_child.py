"""Child process for test_crash.py: one CSL run that SIGKILLs itself at SQL statement N.

Usage: python -m tests.crash_child DB URL N   (N = 0: never; prints the statement count)
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from monitor.store import Store
from tests.support import csl_settings, run_csl


def main() -> None:
    db, url, kill_at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    count = 0

    def trace(_statement: str) -> None:
        nonlocal count
        count += 1
        if count == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    with Store.open(db) as store:
        store._conn.set_trace_callback(trace)
        summary = run_csl(store, csl_settings(db, url))
    print(count, summary.outcome.value)


if __name__ == "__main__":
    main()
