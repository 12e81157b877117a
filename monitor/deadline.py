"""A hard wall-clock deadline for one HTTP attempt, and a way to cancel it from another thread.

Why: httpx's timeouts are per socket operation. A server that trickles its header lines one
a second, or sends ``HTTP/1.1 102 Processing`` for ever (httpcore skips 1xx answers in a
loop), never trips a read timeout, so the only bound on a request was the body-chunk check,
which headers never reach. Here every socket operation of an attempt (connect, TLS
handshake, each read and write, whether of the status line, a header, a 1xx answer or the
body) is given at most the time left before the attempt's deadline, so the whole attempt
ends by then whatever the server does.

How: ``install`` wraps the network backend of each httpcore pool of an ``httpx.Client`` (the
direct transport and the proxy mounts) in ``DeadlineBackend``. The deadline is per thread
(``Deadlines.limit``), so one client serves several threads. Reads wait in slices of at most
``SLICE`` seconds so that ``Deadlines.cancel`` (the daemon stopping) ends a wait within that
time. Name resolution (getaddrinfo) is not interruptible: it is bounded by the system
resolver's own timeout, not by this deadline.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

# httpcore's (private) SOCKET_OPTION: the arguments of one socket.setsockopt call.
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)

SLICE = 0.5  # the longest one wait on a socket lasts before a cancel is seen
TAIL = 256  # bytes of the end of what a stream received, kept for ``received_tail``
EXPIRED = "deadline passed"
CANCELLED = "cancelled"


class Deadlines:
    """The deadline of the attempt running in each thread, and a cancel switch for all."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._cancel = threading.Event()

    @contextmanager
    def limit(self, seconds: float) -> Iterator[None]:
        self._local.deadline = time.monotonic() + seconds
        try:
            yield
        finally:
            self._local.deadline = None

    def cancel(self) -> None:
        """End every wait of every thread (within ``SLICE`` s); later attempts fail at once."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def left(self) -> float | None:
        """Seconds left before this thread's deadline; None without one."""
        deadline: float | None = getattr(self._local, "deadline", None)
        return None if deadline is None else deadline - time.monotonic()

    def expired(self) -> bool:
        left = self.left()
        return left is not None and left <= 0

    def bound(self, timeout: float | None) -> float | None:
        """``timeout`` cut to the time left; raises once nothing is left or on cancel."""
        if self._cancel.is_set():
            raise httpcore.ReadTimeout(CANCELLED)
        left = self.left()
        if left is None:
            return timeout
        if left <= 0:
            raise httpcore.ReadTimeout(EXPIRED)
        return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadlines: Deadlines) -> None:
        self._inner = inner
        self._deadlines = deadlines
        self.tail = b""  # the last TAIL bytes received (see received_tail)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        # Wait in slices: the per-read timeout, the deadline and a cancel all end the wait.
        until = None if timeout is None else time.monotonic() + timeout
        while True:
            own = None if until is None else until - time.monotonic()
            if own is not None and own <= 0:
                raise httpcore.ReadTimeout("timed out")
            wait = self._deadlines.bound(own)
            step = SLICE if wait is None else min(wait, SLICE)
            try:
                data = self._inner.read(max_bytes, step)
            except httpcore.ReadTimeout:
                continue  # the loop decides which limit (if any) was reached
            self.tail = (self.tail + data)[-TAIL:]
            return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadlines.bound(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, self._deadlines.bound(timeout))
        return DeadlineStream(tls, self._deadlines)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


def received_tail(response: httpx.Response) -> bytes | None:
    """The last bytes the connection of ``response`` received, when it went through a
    ``DeadlineStream``: after a body framed by Content-Length they must be the body's
    own last bytes; anything after them is data the server sent beyond what it declared."""
    stream = response.extensions.get("network_stream")
    return stream.tail if isinstance(stream, DeadlineStream) else None


class DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend, deadlines: Deadlines) -> None:
        self._inner = inner
        self._deadlines = deadlines

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            stream = self._inner.connect_tcp(
                host, port, self._deadlines.bound(timeout), local_address, socket_options
            )
        except httpcore.ReadTimeout as exc:  # the deadline, before the connection exists
            raise httpcore.ConnectTimeout(str(exc)) from exc
        return DeadlineStream(stream, self._deadlines)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, self._deadlines.bound(timeout), socket_options
        )
        return DeadlineStream(stream, self._deadlines)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install(client: httpx.Client, deadlines: Deadlines) -> None:
    """Put ``deadlines`` under every httpcore pool of ``client`` (module docstring).

    This reaches into httpx's transports (``_transport``, ``_mounts``, ``_pool``) because
    httpx offers no public hook for the network backend; a version that moves them fails
    here, loudly, rather than silently losing the deadline."""
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        if isinstance(transport, httpx.HTTPTransport):
            install_transport(transport, deadlines)
        # else: a test's MockTransport, a mount disabled with None, or a transport that
        # builds its HTTPTransports later and installs them itself (http.SchemeTransport)


def install_transport(transport: httpx.HTTPTransport, deadlines: Deadlines) -> None:
    """Put ``deadlines`` under one HTTPTransport's httpcore pool."""
    pool = transport._pool
    inner = getattr(pool, "_network_backend", None)
    if not isinstance(inner, httpcore.NetworkBackend):
        raise RuntimeError("httpx/httpcore changed: no network backend to put a deadline on")
    if not isinstance(inner, DeadlineBackend):
        pool._network_backend = DeadlineBackend(inner, deadlines)
