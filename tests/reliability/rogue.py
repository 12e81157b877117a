"""A raw-socket HTTP server on 127.0.0.1 that misbehaves below what ``FixtureServer`` can do:
header lines trickled, an endless stream of ``102 Processing`` answers, fixed raw replies
(stacked Content-Encoding). Every connection loop is bounded (``limit`` seconds) and ends
when the client goes away, so a test can never hang on it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

Behaviour = Callable[[socket.socket, threading.Event], None]


def trickle_headers(every: float = 0.1, limit: float = 70.0) -> Behaviour:
    """A status line, then one made-up header line every ``every`` s, never the blank line."""

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n")
        end = time.monotonic() + limit
        n = 0
        while not stop.is_set() and time.monotonic() < end:
            conn.sendall(f"X-Trickle-{n}: {n}\r\n".encode("ascii"))
            n += 1
            time.sleep(every)

    return serve


def flood_1xx(every: float = 0.05, limit: float = 70.0) -> Behaviour:
    """``HTTP/1.1 102 Processing`` answers for ever (each one complete, so each read is quick)."""

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        end = time.monotonic() + limit
        while not stop.is_set() and time.monotonic() < end:
            conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n")
            time.sleep(every)

    return serve


def trickle_status(every: float = 0.1, limit: float = 70.0) -> Behaviour:
    """The status line one byte at a time, then spaces for ever."""

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        end = time.monotonic() + limit
        line = b"HTTP/1.1 200 OK"
        i = 0
        while not stop.is_set() and time.monotonic() < end:
            conn.sendall(line[i : i + 1] if i < len(line) else b" ")
            i += 1
            time.sleep(every)

    return serve


def fixed(head: bytes, body: bytes) -> Behaviour:
    """One raw answer: ``head`` (status line and headers, without the blank line), then body."""

    def serve(conn: socket.socket, _stop: threading.Event) -> None:
        conn.sendall(head.rstrip(b"\r\n") + f"\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        conn.sendall(body)

    return serve


class RogueServer:
    """Accepts connections on 127.0.0.1 and hands each to ``behaviour`` in a thread."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> RogueServer:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)  # the request; its content does not matter here
                self.behaviour(conn, self._stop)
            except OSError:
                pass  # the client went away: what a deadline does
