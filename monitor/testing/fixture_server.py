"""A small threaded HTTP server on 127.0.0.1 for ``ecmon demo`` and the tests.

Why it exists: the demo and the tests must exercise the real HTTP path (sockets,
validators, retries, size caps) without touching the internet. It serves files
under a root with strong ETags and Last-Modified, answers conditional requests
with 304, lets tests override paths with fixed routes, and can script faults
(error statuses, dropped connections, truncated or trickled bodies, slow
answers, gzip bombs, HTML error pages) request by request.

It is quiet (nothing on stderr) and uses daemon threads only.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import shutil
import threading
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Literal, NamedTuple, cast, get_args
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

FaultKind = Literal[
    "status", "close", "truncate", "slow", "trickle", "gzip_bomb", "html_error_page"
]

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Sorry</h1><p>The requested resource is temporarily unavailable."
    b" Please try again later.</p></body></html>"
)


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, consumed by one request to its path.

    ``status``: answer ``status`` with ``headers`` and ``body``.
    ``close``: close the connection without any response.
    ``truncate``: declare the full Content-Length, send only half the body, close.
    ``slow``: wait ``delay`` seconds, then answer normally.
    ``trickle``: answer normally but send the body ``chunk_size`` bytes at a time,
    ``delay`` seconds apart.
    ``gzip_bomb``: 200 with ``Content-Encoding: gzip``; decompresses to ``size`` bytes.
    ``html_error_page``: 200 ``text/html`` error page (``body`` or a stock page).
    """

    kind: FaultKind
    status: int = 500
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    chunk_size: int = 4
    size: int = 10_000_000

    def __post_init__(self) -> None:
        if self.kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {self.kind!r}")

    @classmethod
    def http_status(
        cls,
        status: int,
        *,
        retry_after: str | float | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Fault:
        merged = dict(headers or {})
        if retry_after is not None:
            merged["Retry-After"] = str(retry_after)
        return cls("status", status=status, headers=MappingProxyType(merged), body=body)

    @classmethod
    def close_connection(cls) -> Fault:
        return cls("close")

    @classmethod
    def truncated(cls, body: bytes = b"") -> Fault:
        return cls("truncate", body=body)

    @classmethod
    def slow(cls, delay: float) -> Fault:
        return cls("slow", delay=delay)

    @classmethod
    def trickle(cls, *, delay: float = 0.01, chunk_size: int = 4) -> Fault:
        return cls("trickle", delay=delay, chunk_size=chunk_size)

    @classmethod
    def gzip_bomb(cls, size: int) -> Fault:
        return cls("gzip_bomb", size=size)

    @classmethod
    def html_error_page(cls, body: bytes = b"") -> Fault:
        return cls("html_error_page", body=body)


class SeenRequest(NamedTuple):
    """One request as the server saw it; ``headers`` keys are lower-cased."""

    method: str
    path: str  # the request target, query string included
    headers: dict[str, str]
    body: bytes = b""  # a POST's body


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    mtime: float | None = None
    # A file under the root, sent from disk (``body`` is then empty): a benchmark's
    # 100 MB file held in the server's memory counted in the client process's peak RSS.
    file: Path | None = None

    @property
    def length(self) -> int:
        return len(self.body) if self.file is None else self.file.stat().st_size

    def content(self) -> bytes:
        """The whole body (a fault that cuts or trickles it reads a file whole)."""
        return self.body if self.file is None else self.file.read_bytes()


def strong_etag(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest() + '"'


def gzip_bomb_bytes(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, built without holding them in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts: list[bytes] = []
    left = size
    while left > 0:
        parts.append(packer.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(packer.flush())
    return b"".join(parts)


class FixtureServer:
    """Threaded HTTP server on an ephemeral 127.0.0.1 port; use as a context manager."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root.resolve() if root is not None else None
        self.requests: list[SeenRequest] = []
        self._routes: dict[str, _Reply] = {}
        self._faults: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._index_cache: dict[str, dict[str, _Indexed]] = {}

    def __enter__(self) -> FixtureServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if self._httpd is not None:
            return
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), _Handler, fixture=self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="ecmon-fixture-server",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in slow/trickle faults
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FixtureServer is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"

    def set_route(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str = "text/csv",
    ) -> None:
        """Answer ``path`` with ``body`` (overrides any file); 200s get a strong ETag."""
        own = dict(headers or {})
        if not any(key.lower() == "content-type" for key in own):
            own["Content-Type"] = content_type
        given = [own.pop(key) for key in list(own) if key.lower() == "etag"]
        etag = given[-1] if given else (strong_etag(body) if status == 200 else None)
        with self._lock:
            self._routes[_normal(path)] = _Reply(status, body, own, etag=etag)

    def set_faults(self, path: str, faults: Sequence[Fault]) -> None:
        """Each request to ``path`` consumes the next fault; then the route/file answers."""
        with self._lock:
            self._faults[_normal(path)] = deque(faults)

    def clear(self) -> None:
        with self._lock:
            self._routes.clear()
            self._faults.clear()
            self.requests.clear()

    def _record(self, seen: SeenRequest) -> Fault | None:
        path = _normal(urlsplit(seen.path).path)
        with self._lock:
            self.requests.append(seen)
            queue = self._faults.get(path)
            return queue.popleft() if queue else None

    def _reply_for(self, target: str, form: str = "") -> _Reply:
        """The reply to ``target``; ``form`` is a form POST's body, whose fields select the
        file from a ``_queries.json`` as a query string's would (a static mirror of a POST
        query API: one path, answers that differ only in the form fields)."""
        parts = urlsplit(target)
        path = _normal(parts.path)
        with self._lock:
            route = self._routes.get(path)
        if route is not None:
            return route
        query = "&".join(q for q in (parts.query, form) if q)
        indexed = self._indexed(path, query)
        if indexed is not None:
            return self._file_reply(indexed[0], indexed[1])
        return self._file_reply(path)

    def _indexed(self, path: str, query: str) -> tuple[str, str | None] | None:
        """A file named for this path and query in a ``_queries.json`` index.

        Static mirrors of APIs need it: several answers share one path and differ
        only in the query. The nearest ``_queries.json`` in a folder above the
        requested path is used; its keys are ``path?query`` relative to that
        folder, with the query's parameters sorted (or a bare path, to give a file
        a Content-Type); values are a file path relative to that folder, or
        ``{"file": ..., "content_type": ...}``.
        """
        if self.root is None:
            return None
        pairs = sorted(parse_qsl(query, keep_blank_values=True))
        parts = path.strip("/").split("/")
        for depth in range(len(parts) - 1, -1, -1):
            folder = "/".join(parts[:depth])
            index = self._query_index(folder)
            if not index:
                continue
            rest = "/" + "/".join(parts[depth:])
            entry = index.get(f"{rest}?{urlencode(pairs)}" if pairs else rest)
            if entry is None:
                return None
            prefix = f"/{folder}" if folder else ""
            file, content_type = entry
            return f"{prefix}/{file.lstrip('/')}", content_type
        return None

    def _query_index(self, folder: str) -> dict[str, _Indexed]:
        assert self.root is not None
        with self._lock:
            if folder not in self._index_cache:
                index_file = self.root / folder / "_queries.json"
                self._index_cache[folder] = (
                    _read_index(json.loads(index_file.read_text(encoding="utf-8")))
                    if index_file.is_file()
                    else {}
                )
            return self._index_cache[folder]

    def _file_reply(self, path: str, content_type: str | None = None) -> _Reply:
        if self.root is None:
            return _not_found()
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return _not_found()
        with candidate.open("rb") as handle:
            etag = '"' + hashlib.file_digest(handle, "sha256").hexdigest() + '"'
        kind = "text/csv" if candidate.suffix == ".csv" else mimetypes.guess_type(candidate)[0]
        return _Reply(
            200,
            b"",
            {"Content-Type": content_type or kind or "application/octet-stream"},
            etag=etag,  # strong_etag of the content, read in steps
            mtime=candidate.stat().st_mtime,
            file=candidate,
        )

    def _pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)


# One ``_queries.json`` value: the file (relative to the index's folder) and its Content-Type.
_Indexed = tuple[str, str | None]


def _read_index(data: object) -> dict[str, _Indexed]:
    """A ``_queries.json`` as (file, content type) per key; a value is a file path or
    ``{"file": ..., "content_type": ...}``."""
    if not isinstance(data, dict):
        raise ValueError("a _queries.json holds one object")
    index: dict[str, _Indexed] = {}
    for key, value in data.items():
        if isinstance(value, str):
            index[str(key)] = (value, None)
        else:
            content_type = value.get("content_type")
            index[str(key)] = (
                str(value["file"]),
                content_type if isinstance(content_type, str) else None,
            )
    return index


def _normal(path: str) -> str:
    return "/" + unquote(path).lstrip("/")


def _not_found() -> _Reply:
    return _Reply(404, b"not found\n", {"Content-Type": "text/plain; charset=utf-8"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], *, fixture: FixtureServer
    ) -> None:
        self.fixture = fixture
        super().__init__(address, handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet: clients hanging up on purpose (timeouts, caps) are normal here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # a stuck client cannot pin a handler thread forever

    @property
    def fixture(self) -> FixtureServer:
        return cast(_Server, self.server).fixture

    def log_message(self, format: str, *args: object) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        """A POST is answered like a GET of the same path; a form body's fields select the
        file as query parameters would (``_reply_for``); faults apply as to a GET."""
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(send_body=True, body=self.rfile.read(length) if length > 0 else b"")

    def _serve(self, *, send_body: bool, body: bytes = b"") -> None:
        self.close_connection = True  # one request per connection: no stale keep-alive
        headers = {key.lower(): value for key, value in self.headers.items()}
        fault = self.fixture._record(SeenRequest(self.command, self.path, headers, body))
        if fault is not None and self._apply_fault(fault, send_body=send_body):
            return
        form = ""
        if self.command == "POST" and headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            form = body.decode("utf-8", "replace")
        reply = self.fixture._reply_for(self.path, form)
        if _is_fresh(reply, headers):
            self._send_head(304, _validator_headers(reply), length=None)
            return
        trickle = fault if fault is not None and fault.kind == "trickle" else None
        self._send_reply(reply, send_body=send_body, trickle=trickle)

    def _apply_fault(self, fault: Fault, *, send_body: bool) -> bool:
        """Carry out ``fault``; True when it fully answered the request."""
        if fault.kind == "slow":
            self.fixture._pause(fault.delay)
            return False
        if fault.kind == "trickle":
            return False
        if fault.kind == "close":
            return True
        if fault.kind == "truncate":
            self._send_truncated(fault)
            return True
        self._send_reply(_fault_reply(fault), send_body=send_body, trickle=None)
        return True

    def _send_truncated(self, fault: Fault) -> None:
        body = fault.body or self.fixture._reply_for(self.path).content() or b"truncated body"
        self._send_head(200, {"Content-Type": "text/csv"}, length=len(body))
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()

    def _send_reply(self, reply: _Reply, *, send_body: bool, trickle: Fault | None) -> None:
        headers = {**reply.headers, **_validator_headers(reply)}
        self._send_head(reply.status, headers, length=reply.length)
        if not send_body:
            return
        if trickle is None and reply.file is not None:
            with reply.file.open("rb") as handle:
                shutil.copyfileobj(handle, self.wfile, 1 << 20)
            return
        body = reply.content()
        if trickle is None:
            self.wfile.write(body)
            return
        step = max(trickle.chunk_size, 1)
        for start in range(0, len(body), step):
            self.wfile.write(body[start : start + step])
            self.wfile.flush()
            self.fixture._pause(trickle.delay)

    def _send_head(self, status: int, headers: Mapping[str, str], *, length: int | None) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()


def _fault_reply(fault: Fault) -> _Reply:
    if fault.kind == "gzip_bomb":
        headers = {"Content-Type": "text/csv", "Content-Encoding": "gzip"}
        return _Reply(200, gzip_bomb_bytes(fault.size), headers)
    if fault.kind == "html_error_page":
        headers = {"Content-Type": "text/html; charset=utf-8", **fault.headers}
        return _Reply(200, fault.body or HTML_ERROR_PAGE, headers)
    headers = {"Content-Type": "text/plain; charset=utf-8", **fault.headers}
    body = fault.body or f"fault: HTTP {fault.status}\n".encode()
    return _Reply(fault.status, body, headers)


def _validator_headers(reply: _Reply) -> dict[str, str]:
    headers: dict[str, str] = {}
    if reply.etag:
        headers["ETag"] = reply.etag
    if reply.mtime is not None:
        headers["Last-Modified"] = formatdate(reply.mtime, usegmt=True)
    return headers


def _is_fresh(reply: _Reply, headers: Mapping[str, str]) -> bool:
    """Whether a conditional request can be answered 304 (If-None-Match wins)."""
    if reply.status != 200:
        return False
    if "if-none-match" in headers:
        return _etag_matches(reply.etag, headers["if-none-match"])
    since = headers.get("if-modified-since")
    if since is None or reply.mtime is None:
        return False
    try:
        return int(reply.mtime) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False


def _etag_matches(etag: str | None, header: str) -> bool:
    if etag is None:
        return False
    offered = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in offered or etag in offered
