"""Stalling servers and compression bombs against the real HTTP client (raw sockets on
127.0.0.1, ``rogue.py``): every request ends by its hard deadline whatever the server sends
(header lines trickled, ``102 Processing`` for ever, a status line one byte at a time), and
a decoded body never takes memory much beyond the size cap (peak RSS measured in a child
process with ``resource``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from monitor.config import HttpSettings
from monitor.errors import FetchError
from monitor.http import HttpClient
from monitor.testing.fixture_server import gzip_bomb_bytes
from tests.reliability import report
from tests.reliability.harness import Sleeps
from tests.reliability.rogue import (
    Behaviour,
    RogueServer,
    fixed,
    flood_1xx,
    trickle_headers,
    trickle_status,
)

ROOT = Path(__file__).resolve().parents[2]
# Each read arrives well within read_timeout: only the whole-attempt deadline can end it.
STALL_HTTP = HttpSettings(
    connect_timeout=1.0, read_timeout=1.0, total_timeout=1.0, retries=1, backoff=0.0
)
BOUND = 10.0  # far above 2 attempts x 1 s: only a request without a deadline gets near it

STALLS: list[tuple[str, str, Behaviour]] = [
    ("header lines trickled", "one header line every 0.1 s, never the blank line",
     trickle_headers()),
    ("endless 1xx answers", "HTTP/1.1 102 Processing every 0.05 s, for ever", flood_1xx()),
    ("status line trickled", "the status line one byte every 0.1 s, then spaces",
     trickle_status()),
]  # fmt: skip


@pytest.mark.parametrize("name,injected,behaviour", STALLS, ids=[s[0] for s in STALLS])
def test_a_stalling_server_is_cut_off_at_the_deadline(
    name: str, injected: str, behaviour: Behaviour
) -> None:
    row = report.record(
        report.Row(
            "stalls",
            "",
            name,
            injected + " (read timeout 1 s, http.total_timeout 1 s, retries 1)",
            "FetchError (no complete response within 1 s) after 2 attempts, about 2 s",
            "-",
        )
    )
    with RogueServer(behaviour) as server, HttpClient(STALL_HTTP, sleep=Sleeps()) as client:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            client.get(server.url, source="rogue")
        took = time.monotonic() - started
    # No timings in the report (it must be the same on every run): the bound is asserted.
    row.observed = f"FetchError: {caught.value.message}; ended within {BOUND:g} s"
    assert "no complete response within 1 s" in caught.value.message
    assert caught.value.message.endswith("after 2 attempts")
    assert took < BOUND, took
    assert server.connections == 2
    row.passed = True


_CHILD = """
import json, resource, sys
from monitor.config import HttpSettings
from monitor.errors import EcmonError
from monitor.http import HttpClient
url, cap = sys.argv[1], int(sys.argv[2])
settings = HttpSettings(read_timeout=20.0, total_timeout=60.0, retries=0, max_bytes=cap)
with HttpClient(settings) as client:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        client.get(url, source="bomb")
        outcome = "accepted"
    except EcmonError as error:
        outcome = f"{type(error).__name__}: {error.message}"
    except MemoryError:
        outcome = "MemoryError"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "peak_kib": peak, "outcome": outcome}))
"""

CAP = 1_000_000
GIB = 1 << 30


def _gzip(data: bytes, level: int = 9) -> bytes:
    packer = zlib.compressobj(level, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def _zeros_gzipped_fast(size: int) -> bytes:
    """``size`` zero bytes gzipped at level 1 (3x faster to build than level 9)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + packer.flush()


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    once = _zeros_gzipped_fast(GIB)  # 1 GiB of zeros, about 4.7 MB
    # A quarter gzipped once: ~250 kB on the wire, under the cap before decoding.
    return {"gzip": gzip_bomb_bytes(GIB // 4), "gzip, gzip": _gzip(once)}


BOMBS = [
    ("gzip", "256 MiB of zeros gzipped once (~250 kB)", "ResponseTooLarge"),
    ("gzip, gzip", "1 GiB of zeros gzipped twice (~13 kB)", "FetchError"),
]


@pytest.mark.parametrize("coding,injected,error", BOMBS, ids=[b[0] for b in BOMBS])
def test_a_compression_bomb_stays_near_the_cap(
    coding: str, injected: str, error: str, bombs: dict[str, bytes]
) -> None:
    row = report.record(
        report.Row(
            "stalls",
            "",
            f"Content-Encoding: {coding} bomb",
            f"{injected}; size cap 1 MB; peak RSS of a child process",
            f"{error}; peak RSS growth within the cap + 64 MB",
            "-",
        )
    )
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Encoding: {coding}".encode()
    with RogueServer(fixed(head, bombs[coding])) as server:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, server.url, str(CAP)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    growth_mb = (result["peak_kib"] - result["before_kib"]) / 1024
    within = "within" if growth_mb <= CAP / 2**20 + 64 else "NOT within"
    row.observed = f"{result['outcome']}; peak RSS growth {within} the cap + 64 MB"
    assert result["outcome"].startswith(error), result
    assert growth_mb <= CAP / 2**20 + 64, result
    row.passed = True
