"""The one place an httpx client is built.

Why one place: every fetch must behave alike. Timeouts are bounded (per read,
and for the whole response, so a server trickling bytes cannot hold a run for
ever), TLS is always verified, a redirect from https to http is refused, transient failures
(connection, timeout, protocol, 5xx, 429) are retried with exponential backoff
that honours ``Retry-After``, the body is capped in size *after* decompression
(a gzip bomb cannot fill memory), and conditional GETs spare unchanged lists.
httpx exceptions stop here: callers only ever see ``monitor.errors``.
"""

from __future__ import annotations

import io
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType

import httpx

from monitor.config import HttpSettings
from monitor.deadline import EXPIRED, TAIL, Deadlines, install, install_transport, received_tail
from monitor.decoding import ACCEPTED, Decoder, EncodingRefused
from monitor.errors import ConfigError, FetchError, ResponseTooLarge
from monitor.redirects import refusal

ProgressCallback = Callable[[int, int | None], None]

RETRY_AFTER_STATUSES = frozenset({429, 503})
# Loopback (``ecmon demo``, tests) never goes through an HTTP(S)_PROXY from the environment.
_NO_PROXY_MOUNTS: dict[str, httpx.BaseTransport | None] = {
    "all://127.0.0.1": None,
    "all://localhost": None,
}


@dataclass(frozen=True)
class Validators:
    """Conditional-GET validators remembered per source."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    not_modified: bool
    content: bytes
    validators: Validators
    content_type: str | None = None
    charset: str | None = None
    # The date a source says this content is valid for (eCFR "as of" dates).
    valid_for: str | None = None


@dataclass(frozen=True)
class _Context:
    """What one ``get`` call is about, for error messages."""

    source: str
    url: str


class _Retryable(Exception):
    """A failure worth another attempt; never leaves this module."""

    def __init__(self, reason: str, *, status: int | None = None, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait = wait


class SchemeTransport(httpx.BaseTransport):
    """The default transport, built on first use for each scheme.

    httpx builds its TLS context (loading the whole CA store) when a client is made,
    which costs more than all the rest of a no-change run. Built lazily, a run that
    only fetches ``http://`` URLs (a local mirror, the demo, the tests) never loads
    it, and ``https://`` gets exactly the verification it always had. ``prepare`` runs
    on each transport as it is built (the per-attempt deadlines go under its pool).
    """

    def __init__(
        self, verify: ssl.SSLContext | bool, prepare: Callable[[httpx.HTTPTransport], None]
    ) -> None:
        self._verify = verify
        self._prepare = prepare
        self._built: dict[str, httpx.HTTPTransport] = {}
        self._lock = threading.Lock()  # daemon jobs share nothing, but a client may be

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._for(request.url.scheme).handle_request(request)

    def _for(self, scheme: str) -> httpx.HTTPTransport:
        with self._lock:
            transport = self._built.get(scheme)
            if transport is None:
                # Plain http:// never does a TLS handshake, so it needs no CA store.
                verify = self._verify if scheme == "https" else False
                transport = httpx.HTTPTransport(verify=verify)
                self._prepare(transport)
                self._built[scheme] = transport
            return transport

    def close(self) -> None:
        with self._lock:
            for transport in self._built.values():
                transport.close()


class HttpClient:
    """A small synchronous HTTP client with the project's fetch policy built in."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        verify = tls_verification(settings.ca_bundle)
        self._deadlines = Deadlines()
        deadlines = self._deadlines
        self._client = httpx.Client(
            headers={"User-Agent": settings.agent(), "Accept-Encoding": ACCEPTED},
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout,
            ),
            verify=verify,  # for proxy transports from the environment
            # Redirects are followed by hand (see _send) so a downgrade can be refused.
            follow_redirects=False,
            max_redirects=settings.max_redirects,
            transport=transport
            or SchemeTransport(verify, lambda built: install_transport(built, deadlines)),
            mounts=_NO_PROXY_MOUNTS,
        )
        install(self._client, self._deadlines)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def cancel(self) -> None:
        """From any thread: end the requests in flight within a second, refuse new ones
        (the daemon stopping). They fail with FetchError, without retries."""
        self._deadlines.cancel()

    def get(
        self,
        url: str,
        *,
        source: str,
        validators: Validators | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> FetchResult:
        """GET ``url`` under the retry, redirect and size policy; raise FetchError on failure."""
        ctx = _Context(source=source, url=url)
        sent = validators or Validators()
        request_headers = {**(headers or {}), **_conditional_headers(sent)}
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            if self._deadlines.cancelled:
                raise FetchError("cancelled: ecmon is stopping", source=source, url=url)
            try:
                return self._attempt(ctx, sent, params, request_headers, progress)
            except _Retryable as failure:
                if attempt + 1 >= attempts:
                    raise _exhausted(ctx, failure, attempts) from failure
                self._sleep(self._delay(failure, attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def post_form(
        self,
        url: str,
        *,
        source: str,
        form: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """POST ``form`` (application/x-www-form-urlencoded) under the same retry, redirect
        and size policy as ``get``. Only for read-only query APIs that want a POST (the
        export-control site's column list): a retry asks the same question again, so
        retrying is as safe as for a GET. No conditional headers: such answers carry none."""
        ctx = _Context(source=source, url=url)
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            if self._deadlines.cancelled:
                raise FetchError("cancelled: ecmon is stopping", source=source, url=url)
            try:
                return self._attempt(ctx, Validators(), None, dict(headers or {}), None, form=form)
            except _Retryable as failure:
                if attempt + 1 >= attempts:
                    raise _exhausted(ctx, failure, attempts) from failure
                self._sleep(self._delay(failure, attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, failure: _Retryable, attempt: int) -> float:
        if failure.wait is not None:
            return min(failure.wait, self.settings.max_retry_after)
        return float(self.settings.backoff * 2**attempt)

    def _attempt(
        self,
        ctx: _Context,
        sent: Validators,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        progress: ProgressCallback | None,
        *,
        form: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """One attempt: raises _Retryable for transient trouble, FetchError for the rest.
        ``form`` makes it a form POST (``post_form``), else it is a GET."""
        deadline = self._clock() + self.settings.total_timeout
        try:
            # The hard deadline: connect, redirects, status line, headers, 1xx answers, body.
            with self._deadlines.limit(self.settings.total_timeout):
                request = (
                    self._client.build_request("GET", ctx.url, params=params, headers=headers)
                    if form is None
                    else self._client.build_request(
                        "POST", ctx.url, data=dict(form), headers=headers
                    )
                )
                response = self._send(request, ctx)
                try:
                    return self._handle(response, ctx, sent, progress, deadline)
                finally:
                    response.close()
        except httpx.TimeoutException as exc:
            if self._deadlines.cancelled:
                raise FetchError(
                    "cancelled: ecmon is stopping", source=ctx.source, url=ctx.url
                ) from exc
            if str(exc) == EXPIRED:
                raise _Retryable(self._late()) from exc
            raise _Retryable(_timeout_reason(exc)) from exc
        except httpx.ConnectError as exc:
            raise _Retryable(_connect_reason(exc)) from exc
        except httpx.ProtocolError as exc:
            raise _Retryable(f"protocol error ({_describe(exc)})") from exc
        except (httpx.NetworkError, httpx.ProxyError) as exc:
            raise _Retryable(f"network error ({_describe(exc)})") from exc
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, httpx.CookieConflict) as exc:
            raise FetchError(
                f"request failed ({_describe(exc)})", source=ctx.source, url=ctx.url
            ) from exc

    def _send(self, request: httpx.Request, ctx: _Context) -> httpx.Response:
        """Send, following at most max_redirects redirects, never https -> http and only
        where ``monitor.redirects`` allows (the source's origin, http.redirect_hosts)."""
        for _hop in range(max(self.settings.max_redirects, 0) + 1):
            response = self._client.send(request, stream=True)
            target = response.next_request
            if target is None:
                return response
            response.close()
            if request.url.scheme == "https" and target.url.scheme != "https":
                raise FetchError(
                    f"redirect from https to {target.url} refused (downgrade)",
                    source=ctx.source,
                    url=str(request.url),
                    status=response.status_code,
                )
            refused = refusal(ctx.url, str(target.url), self.settings.redirect_hosts)
            if refused is not None:
                raise FetchError(
                    refused, source=ctx.source, url=str(request.url), status=response.status_code
                )
            request = target
        raise FetchError(
            f"more than {self.settings.max_redirects} redirects",
            source=ctx.source,
            url=ctx.url,
            status=response.status_code,
        )

    def _late(self) -> str:
        return (
            f"no complete response within {self.settings.total_timeout:g} s"
            " (http.total_timeout; server trickling or stalling)"
        )

    def _handle(
        self,
        response: httpx.Response,
        ctx: _Context,
        sent: Validators,
        progress: ProgressCallback | None,
        deadline: float,
    ) -> FetchResult:
        status = response.status_code
        if status == 304:
            return _not_modified(response, sent)
        if 200 <= status < 300:
            content = self._read_body(response, ctx, progress, deadline)
            return _fetched(response, content)
        if status == 429 or status >= 500:
            wait = _retry_after(response) if status in RETRY_AFTER_STATUSES else None
            raise _Retryable(f"HTTP {status}", status=status, wait=wait)
        raise FetchError(
            f"HTTP {status} {response.reason_phrase}".rstrip() + " (not retried)",
            source=ctx.source,
            url=str(response.url),
            status=status,
        )

    def _read_body(
        self,
        response: httpx.Response,
        ctx: _Context,
        progress: ProgressCallback | None,
        deadline: float,
    ) -> bytes:
        cap = self.settings.max_bytes
        declared = _content_length(response)
        if declared is not None and declared > cap:
            raise ResponseTooLarge(
                f"Content-Length {declared} exceeds the {cap}-byte cap",
                source=ctx.source,
                url=str(response.url),
                status=response.status_code,
            )
        total = declared if _identity_encoded(response) else None
        # A response built with its body (a test's MockTransport) was read, and decoded,
        # by httpx already: there is no raw stream left to decode in steps.
        in_memory = response.is_stream_consumed
        try:
            decoder = Decoder(None if in_memory else response.headers.get("Content-Encoding"))
        except EncodingRefused as exc:
            raise FetchError(str(exc), source=ctx.source, url=str(response.url)) from None
        # One growing buffer, handed over without a copy (``getvalue``): a list of chunks
        # joined at the end held a 100 MB body twice at once.
        body = io.BytesIO()
        size = 0
        last_raw = b""  # the end of the body as framed on the wire
        try:
            for raw in [response.content] if in_memory else response.iter_raw():
                last_raw = (last_raw + raw)[-TAIL:]
                for chunk in decoder.feed(raw):
                    size += len(chunk)
                    if size > cap:
                        raise ResponseTooLarge(
                            f"body exceeds the {cap}-byte cap (after decompression)",
                            source=ctx.source,
                            url=str(response.url),
                            status=response.status_code,
                        )
                    body.write(chunk)
                if progress is not None:
                    progress(size, total)
                if self._clock() > deadline:
                    raise _Retryable(self._late(), status=response.status_code)
        except EncodingRefused as exc:
            raise FetchError(str(exc), source=ctx.source, url=str(response.url)) from None
        except httpx.RemoteProtocolError as exc:
            reason = (
                "body shorter than Content-Length (truncated)"
                if declared is not None
                else "connection closed in the middle of the body"
            )
            raise _Retryable(reason, status=response.status_code) from exc
        if declared is not None and not in_memory:
            _check_nothing_after(response, last_raw, declared, ctx.source)
        return body.getvalue()


def tls_verification(ca_bundle: str | None) -> ssl.SSLContext | bool:
    """``verify=`` for httpx: the system/certifi store, or a CA bundle. Never False."""
    if not ca_bundle:
        return True
    path = Path(ca_bundle).expanduser()
    try:
        if path.is_dir():
            return ssl.create_default_context(capath=str(path))
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"http.ca_bundle {ca_bundle!r} cannot be loaded: {exc}") from exc


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds)


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) from a Content-Type header, both lower-cased; None when absent."""
    if not value:
        return None, None
    media, _, rest = value.partition(";")
    charset = None
    for param in rest.split(";"):
        key, _, raw = param.partition("=")
        if key.strip().lower() == "charset":
            charset = raw.strip().strip('"').strip().lower() or None
    return media.strip().lower() or None, charset


def _conditional_headers(validators: Validators) -> dict[str, str]:
    headers: dict[str, str] = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _validators_from(response: httpx.Response, fallback: Validators) -> Validators:
    return Validators(
        etag=response.headers.get("ETag") or fallback.etag,
        last_modified=response.headers.get("Last-Modified") or fallback.last_modified,
    )


def _not_modified(response: httpx.Response, sent: Validators) -> FetchResult:
    media, charset = parse_content_type(response.headers.get("Content-Type"))
    return FetchResult(
        url=str(response.url),
        status=response.status_code,
        not_modified=True,
        content=b"",
        validators=_validators_from(response, sent),
        content_type=media,
        charset=charset,
    )


def _fetched(response: httpx.Response, content: bytes) -> FetchResult:
    media, charset = parse_content_type(response.headers.get("Content-Type"))
    return FetchResult(
        url=str(response.url),
        status=response.status_code,
        not_modified=False,
        content=content,
        validators=_validators_from(response, Validators()),
        content_type=media,
        charset=charset,
    )


def _check_nothing_after(
    response: httpx.Response, body_tail: bytes, declared: int, source: str | None
) -> None:
    """Refuse a Content-Length shorter than what the server sent: httpx reads only the
    declared bytes, so a file whose Content-Length stops at a row boundary would be read
    as complete with its last rows gone. Seen when the extra bytes arrived with the end
    of the body (one read); bytes that come later are not waited for."""
    tail = received_tail(response)
    if tail is not None and not tail.endswith(body_tail):
        # Not retried: the connection holds the surplus, and a server whose framing lies
        # is not a transient fault.
        raise FetchError(
            f"the server sent more than its Content-Length of {declared} bytes"
            " (the declared body is cut short)",
            source=source,
            url=str(response.url),
            status=response.status_code,
        )


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length", "").strip()
    return int(value) if value.isdigit() else None


def _identity_encoded(response: httpx.Response) -> bool:
    encoding: str = response.headers.get("Content-Encoding", "identity")
    return encoding.strip().lower() == "identity"


def _retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))


def _timeout_reason(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, httpx.ReadTimeout):
        return "read timed out"
    if isinstance(exc, httpx.WriteTimeout):
        return "write timed out"
    return "timed out waiting for a free connection"


def _connect_reason(exc: httpx.ConnectError) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    return f"connection failed: {_describe(exc)}"


def _describe(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".")
    return text or type(exc).__name__


def _exhausted(ctx: _Context, failure: _Retryable, attempts: int) -> FetchError:
    noun = "attempt" if attempts == 1 else "attempts"
    return FetchError(
        f"{failure.reason} after {attempts} {noun}",
        source=ctx.source,
        url=ctx.url,
        status=failure.status,
    )
