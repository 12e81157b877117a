"""Run a command in a child process and measure it: wall time, CPU time, peak memory.

``os.wait4`` gives the resource usage of that one child, so the peak RSS and the
CPU seconds are the child's own, not the maximum over every child this process
ever had. On a shared machine wall time moves with other people's load; CPU time
(user + system) moves much less, so both are reported, with the load average.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


def tool(name: str) -> str:
    """The ``name`` command (``ecmon``, ``urlwatch``) a whole-process figure runs.

    ``$ECMON_BENCH_<NAME>`` when set (``make bench`` sets both to runtime-only virtual
    environments, one per tool, so neither pays for the other's or the test extras'
    packages: httpx imports trio and rich whenever they are installed), else the command
    beside this Python (the project's own venv: ``--smoke`` in CI).
    """
    given = os.environ.get(f"ECMON_BENCH_{name.upper()}")
    return str(Path(given).resolve()) if given else str(Path(sys.executable).with_name(name))


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    cpu_seconds: float = 0.0


def run(
    argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None
) -> Measured:
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(seconds, usage.ru_maxrss / 1024, proc.returncode, text, cpu)


def load() -> str:
    """The 1/5/15-minute load average, as text for a results table."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


@dataclass(frozen=True)
class Stat:
    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        return cls(statistics.median(values), min(values), max(values), len(values))

    def cells(self, fmt: str = ".3f") -> str:
        return f"{self.median:{fmt}} | {self.low:{fmt}} | {self.high:{fmt}} | {self.runs}"

    def short(self, fmt: str = ".3f") -> str:
        return f"{self.median:{fmt}} ({self.low:{fmt}}–{self.high:{fmt}})"
