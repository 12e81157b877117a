"""HttpClient against the real FixtureServer on 127.0.0.1 (no mocks, except for TLS redirects)."""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.config import HttpSettings
from monitor.errors import ConfigError, FetchError, ResponseTooLarge
from monitor.http import (
    HttpClient,
    Validators,
    parse_content_type,
    parse_retry_after,
    tls_verification,
)
from monitor.testing.fixture_server import Fault, FixtureServer, gzip_bomb_bytes
from tests.digest.support import https_server, self_signed

BODY = b"name,country\nACME Ltd,CN\nFoo GmbH,DE\n"
FAST = HttpSettings(
    connect_timeout=2.0,
    read_timeout=2.0,
    retries=3,
    backoff=0.5,
    max_retry_after=30.0,
    max_bytes=1_000_000,
    user_agent="ecmon-test/1.0",
)


class Sleeps(list[float]):
    """A ``sleep`` that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(sleeps: Sleeps) -> Iterator[HttpClient]:
    with HttpClient(FAST, sleep=sleeps) as http:
        yield http


@pytest.fixture(autouse=True)
def _no_env_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


def _client(sleeps: Sleeps, **changes: Any) -> HttpClient:
    return HttpClient(replace(FAST, **changes), sleep=sleeps)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- success and conditional GET -------------------------------------------------


def test_200_returns_body_media_type_and_validators(
    fixture_server: FixtureServer, client: HttpClient, sleeps: Sleeps
) -> None:
    fixture_server.set_route(
        "/el.csv",
        BODY,
        headers={"Last-Modified": "Tue, 01 Oct 2024 10:00:00 GMT"},
        content_type='text/CSV; charset="UTF-8"',
    )
    result = client.get(fixture_server.url_for("/el.csv"), source="el")
    assert result.status == 200
    assert result.not_modified is False
    assert result.content == BODY
    assert result.url == fixture_server.url_for("/el.csv")
    assert result.validators == Validators(
        etag='"' + hashlib.sha256(BODY).hexdigest() + '"',
        last_modified="Tue, 01 Oct 2024 10:00:00 GMT",
    )
    assert (result.content_type, result.charset) == ("text/csv", "utf-8")
    seen = fixture_server.requests[-1]
    assert seen.headers["user-agent"] == "ecmon-test/1.0"
    assert "if-none-match" not in seen.headers
    assert sleeps == []


def test_conditional_get_returns_not_modified(
    fixture_server: FixtureServer, client: HttpClient
) -> None:
    fixture_server.set_route("/el.csv", BODY)
    first = client.get(fixture_server.url_for("/el.csv"), source="el")
    second = client.get(fixture_server.url_for("/el.csv"), source="el", validators=first.validators)
    assert second.not_modified is True
    assert second.status == 304
    assert second.content == b""
    assert second.validators == first.validators
    assert fixture_server.requests[-1].headers["if-none-match"] == first.validators.etag


def test_changed_content_is_fetched_despite_old_etag(
    fixture_server: FixtureServer, client: HttpClient
) -> None:
    fixture_server.set_route("/el.csv", BODY + b"New Co,RU\n")
    result = client.get(
        fixture_server.url_for("/el.csv"), source="el", validators=Validators(etag='"old"')
    )
    assert result.not_modified is False
    assert result.content.endswith(b"New Co,RU\n")
    assert result.validators.etag != '"old"'


def test_files_served_from_root_and_304_brings_new_validators(
    tmp_path: Path, sleeps: Sleeps
) -> None:
    (tmp_path / "list.csv").write_bytes(BODY)
    with FixtureServer(tmp_path) as server, HttpClient(FAST, sleep=sleeps) as http:
        first = http.get(server.url_for("list.csv"), source="f")
        assert first.content == BODY
        assert first.content_type == "text/csv"
        assert first.validators.last_modified is not None
        only_date = Validators(last_modified=first.validators.last_modified)
        again = http.get(server.url_for("list.csv"), source="f", validators=only_date)
        assert server.requests[-1].headers["if-modified-since"] == only_date.last_modified
        with pytest.raises(FetchError) as missing:
            http.get(server.url_for("nope.csv"), source="f")
    assert again.not_modified is True
    assert again.validators == first.validators  # the 304 carried the ETag as well
    assert missing.value.status == 404


def test_params_and_extra_headers_are_sent(
    fixture_server: FixtureServer, client: HttpClient
) -> None:
    fixture_server.set_route("/search", BODY)
    client.get(
        fixture_server.url_for("/search"),
        source="s",
        params={"list": "EL"},
        headers={"Accept": "text/csv"},
    )
    seen = fixture_server.requests[-1]
    assert seen.path == "/search?list=EL"
    assert seen.headers["accept"] == "text/csv"


def test_redirect_on_same_scheme_is_followed(
    fixture_server: FixtureServer, client: HttpClient
) -> None:
    fixture_server.set_route("/old", b"", status=302, headers={"Location": "/new"})
    fixture_server.set_route("/new", BODY)
    result = client.get(fixture_server.url_for("/old"), source="r")
    assert result.content == BODY
    assert result.url == fixture_server.url_for("/new")


def test_redirect_loop_stops_at_max_redirects(
    fixture_server: FixtureServer, sleeps: Sleeps
) -> None:
    fixture_server.set_route("/loop", b"", status=302, headers={"Location": "/loop"})
    with _client(sleeps, max_redirects=2) as http, pytest.raises(FetchError) as caught:
        http.get(fixture_server.url_for("/loop"), source="r")
    assert "more than 2 redirects" in caught.value.message
    assert len(fixture_server.requests) == 3


# --- retries -------------------------------------------------------------------


def test_retries_5xx_with_exponential_backoff_then_succeeds(
    fixture_server: FixtureServer, client: HttpClient, sleeps: Sleeps
) -> None:
    fixture_server.set_route("/el.csv", BODY)
    fixture_server.set_faults("/el.csv", [Fault.http_status(500), Fault.http_status(502)])
    result = client.get(fixture_server.url_for("/el.csv"), source="el")
    assert result.content == BODY
    assert sleeps == [0.5, 1.0]
    assert len(fixture_server.requests) == 3


def test_429_honours_retry_after_seconds(
    fixture_server: FixtureServer, client: HttpClient, sleeps: Sleeps
) -> None:
    fixture_server.set_route("/el.csv", BODY)
    fixture_server.set_faults("/el.csv", [Fault.http_status(429, retry_after=2)])
    result = client.get(fixture_server.url_for("/el.csv"), source="el")
    assert result.content == BODY
    assert sleeps == [2.0]


def test_retry_after_is_capped(fixture_server: FixtureServer, sleeps: Sleeps) -> None:
    fixture_server.set_route("/el.csv", BODY)
    fixture_server.set_faults("/el.csv", [Fault.http_status(503, retry_after=3600)])
    with _client(sleeps, max_retry_after=7.0) as http:
        assert http.get(fixture_server.url_for("/el.csv"), source="el").content == BODY
    assert sleeps == [7.0]


def test_404_raises_without_retry(
    fixture_server: FixtureServer, client: HttpClient, sleeps: Sleeps
) -> None:
    url = fixture_server.url_for("/gone.csv")
    with pytest.raises(FetchError) as caught:
        client.get(url, source="el")
    assert caught.value.status == 404
    assert caught.value.source == "el"
    assert caught.value.url == url
    assert len(fixture_server.requests) == 1
    assert sleeps == []


def test_retries_exhausted_names_status_and_url(
    fixture_server: FixtureServer, client: HttpClient, sleeps: Sleeps
) -> None:
    fixture_server.set_route("/el.csv", BODY)
    fixture_server.set_faults("/el.csv", [Fault.http_status(503)] * 4)
    url = fixture_server.url_for("/el.csv")
    with pytest.raises(FetchError) as caught:
        client.get(url, source="el")
    assert caught.value.status == 503
    assert caught.value.message == "HTTP 503 after 4 attempts"
    assert url in str(caught.value)
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(fixture_server.requests) == 4


def test_form_post_is_retried_like_a_get_and_sends_its_form(
    fixture_server: FixtureServer, client: HttpClient, sleeps: Sleeps
) -> None:
    fixture_server.set_route(
        "/api/list", b'{"pageInfo": {"rows": []}}', content_type="application/json"
    )
    fixture_server.set_faults("/api/list", [Fault.http_status(503), Fault.close_connection()])
    result = client.post_form(
        fixture_server.url_for("/api/list"),
        source="el",
        form={"pageNumber": "1", "columnID": "9", "title": ""},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert result.content == b'{"pageInfo": {"rows": []}}'
    assert sleeps == [0.5, 1.0]
    seen = fixture_server.requests
    assert [r.method for r in seen] == ["POST"] * 3
    assert {r.body for r in seen} == {b"pageNumber=1&columnID=9&title="}
    assert all(r.headers["content-type"] == "application/x-www-form-urlencoded" for r in seen)
    assert all(r.headers["x-requested-with"] == "XMLHttpRequest" for r in seen)


def test_a_mirror_answers_a_form_post_by_its_fields(tmp_path: Path, sleeps: Sleeps) -> None:
    (tmp_path / "nine.json").write_bytes(b"nine")
    (tmp_path / "one.json").write_bytes(b"one")
    index = {
        "/api?columnID=9&pageNumber=1": "nine.json",
        "/api?columnID=1&pageNumber=1": "one.json",
    }
    (tmp_path / "_queries.json").write_text(json.dumps(index), "utf-8")
    with FixtureServer(tmp_path) as server, _client(sleeps) as http:
        url = server.url_for("/api")
        post = {
            n: http.post_form(url, source="el", form={"pageNumber": "1", "columnID": n})
            for n in "91"
        }
        assert {n: r.content for n, r in post.items()} == {"9": b"nine", "1": b"one"}
        with pytest.raises(FetchError) as caught:
            http.post_form(url, source="el", form={"pageNumber": "1", "columnID": "2"})
        assert caught.value.status == 404


def test_connection_refused(sleeps: Sleeps) -> None:
    url = f"http://127.0.0.1:{_free_port()}/el.csv"
    with _client(sleeps, retries=1) as http, pytest.raises(FetchError) as caught:
        http.get(url, source="el")
    assert caught.value.message == "connection refused after 2 attempts"
    assert caught.value.status is None
    assert caught.value.url == url
    assert sleeps == [0.5]


def test_dropped_connection_is_retried(
    fixture_server: FixtureServer, client: HttpClient, sleeps: Sleeps
) -> None:
    fixture_server.set_route("/el.csv", BODY)
    fixture_server.set_faults("/el.csv", [Fault.close_connection()])
    assert client.get(fixture_server.url_for("/el.csv"), source="el").content == BODY
    assert sleeps == [0.5]


def test_truncated_body_is_retried_then_reported(
    fixture_server: FixtureServer, sleeps: Sleeps
) -> None:
    fixture_server.set_route("/el.csv", BODY)
    fixture_server.set_faults("/el.csv", [Fault.truncated()] * 2)
    with _client(sleeps, retries=1) as http, pytest.raises(FetchError) as caught:
        http.get(fixture_server.url_for("/el.csv"), source="el")
    assert caught.value.message == ("body shorter than Content-Length (truncated) after 2 attempts")
    assert not isinstance(caught.value, ResponseTooLarge)
    assert len(fixture_server.requests) == 2


def test_read_timeout(fixture_server: FixtureServer, sleeps: Sleeps) -> None:
    fixture_server.set_route("/el.csv", BODY)
    fixture_server.set_faults("/el.csv", [Fault.slow(2.0)])
    with _client(sleeps, read_timeout=0.2, retries=0) as http, pytest.raises(FetchError) as c:
        http.get(fixture_server.url_for("/el.csv"), source="el")
    assert c.value.message == "read timed out after 1 attempt"
    assert sleeps == []


def test_a_server_trickling_past_the_whole_response_limit_is_cut_off(
    fixture_server: FixtureServer, sleeps: Sleeps
) -> None:
    # Every read comes within read_timeout, so only total_timeout ends it.
    fixture_server.set_route("/el.csv", BODY * 20)
    fixture_server.set_faults("/el.csv", [Fault.trickle(delay=0.05, chunk_size=8)] * 2)
    with (
        _client(sleeps, retries=1, total_timeout=0.3) as http,
        pytest.raises(FetchError) as caught,
    ):
        http.get(fixture_server.url_for("/el.csv"), source="el")
    assert "server trickling" in caught.value.message
    assert caught.value.message.endswith("after 2 attempts")
    assert len(fixture_server.requests) == 2


def test_slow_but_in_time_and_trickled_bodies_arrive_whole(
    fixture_server: FixtureServer, client: HttpClient
) -> None:
    fixture_server.set_route("/el.csv", BODY)
    fixture_server.set_faults("/el.csv", [Fault.slow(0.05), Fault.trickle(delay=0.005)])
    assert client.get(fixture_server.url_for("/el.csv"), source="el").content == BODY
    assert client.get(fixture_server.url_for("/el.csv"), source="el").content == BODY


# --- size cap and progress -----------------------------------------------------


def test_content_length_over_cap_is_refused_before_reading(
    fixture_server: FixtureServer, sleeps: Sleeps
) -> None:
    fixture_server.set_route("/big.csv", b"x" * 1000)
    with _client(sleeps, max_bytes=100) as http, pytest.raises(ResponseTooLarge) as caught:
        http.get(fixture_server.url_for("/big.csv"), source="el")
    assert "Content-Length 1000 exceeds the 100-byte cap" in caught.value.message
    assert len(fixture_server.requests) == 1
    assert sleeps == []


def test_gzip_bomb_is_caught_while_decompressing(
    fixture_server: FixtureServer, sleeps: Sleeps
) -> None:
    cap = 100_000
    assert len(gzip_bomb_bytes(5_000_000)) < cap  # only the decompressed size is over
    fixture_server.set_faults("/el.csv", [Fault.gzip_bomb(5_000_000)])
    with _client(sleeps, max_bytes=cap) as http, pytest.raises(ResponseTooLarge) as caught:
        http.get(fixture_server.url_for("/el.csv"), source="el")
    assert "after decompression" in caught.value.message
    assert caught.value.status == 200


def test_progress_reports_running_total(fixture_server: FixtureServer, client: HttpClient) -> None:
    body = b"0123456789" * 300
    fixture_server.set_route("/el.csv", body)
    fixture_server.set_faults("/el.csv", [Fault.trickle(delay=0.01, chunk_size=500)])
    calls: list[tuple[int, int | None]] = []
    client.get(
        fixture_server.url_for("/el.csv"),
        source="el",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert len(calls) >= 2
    assert calls[-1] == (len(body), len(body))
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})


def test_html_error_page_is_returned_as_html(
    fixture_server: FixtureServer, client: HttpClient
) -> None:
    fixture_server.set_faults("/el.csv", [Fault.html_error_page()])
    result = client.get(fixture_server.url_for("/el.csv"), source="el")
    assert result.content_type == "text/html"
    assert result.content.startswith(b"<!DOCTYPE html>")


# --- unit level: TLS redirects, header parsing --------------------------------------


def test_https_to_http_redirect_is_refused(sleeps: Sleeps) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.scheme == "https":
            return httpx.Response(301, headers={"Location": "http://example.test/el.csv"})
        return httpx.Response(200, content=BODY)

    transport = httpx.MockTransport(handler)
    with (
        HttpClient(FAST, sleep=sleeps, transport=transport) as http,
        pytest.raises(FetchError) as caught,
    ):
        http.get("https://example.test/el.csv", source="el")
    assert "downgrade" in caught.value.message
    assert caught.value.status == 301
    assert seen == ["https://example.test/el.csv"]  # the http URL was never requested
    assert sleeps == []


def test_retry_after_http_date() -> None:
    now = datetime(2024, 10, 1, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Tue, 01 Oct 2024 10:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Tue, 01 Oct 2024 09:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("soon") is None


def test_content_type_parsing() -> None:
    assert parse_content_type("text/csv;charset=ISO-8859-1") == ("text/csv", "iso-8859-1")
    assert parse_content_type("application/xml") == ("application/xml", None)
    assert parse_content_type(None) == (None, None)


def test_tls_verification_is_never_off(tmp_path: Path) -> None:
    assert tls_verification(None) is True
    with pytest.raises(ConfigError):
        tls_verification(str(tmp_path / "missing.pem"))


def test_plain_http_reads_no_ca_store_and_https_still_verifies(
    fixture_server: FixtureServer, sleeps: Sleeps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TLS context (the whole CA store) is built on the first https request, not
    with the client: a run of http:// URLs never loads it; https verifies as before."""
    server_tls, _client_tls = self_signed(tmp_path)
    loads: list[object] = []
    load_verify_locations = ssl.SSLContext.load_verify_locations

    def counted(context: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        loads.append(args or kwargs)
        load_verify_locations(context, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    fixture_server.set_route("/el.csv", BODY)
    with HttpClient(FAST, sleep=sleeps) as client:
        assert client.get(f"{fixture_server.url}/el.csv", source="el").content == BODY
        assert loads == []  # no CA store for plain http, nor for the client itself
        with https_server(server_tls, BODY) as url, pytest.raises(FetchError) as refused:
            client.get(url, source="el")  # the same client: its https transport is built now
    assert len(loads) == 1  # the default store, loaded once for https
    assert "certificate" in str(refused.value).lower()
    with (
        https_server(server_tls, BODY) as url,
        HttpClient(replace(FAST, ca_bundle=str(tmp_path / "cert.pem"))) as trusting,
    ):
        assert trusting.get(url, source="el").content == BODY  # verified against the bundle


def test_query_index_serves_api_mirrors(tmp_path: Path) -> None:
    """A `_queries.json` index maps path+query to files (static mirrors of APIs)."""
    mirror = tmp_path / "src" / "after"
    (mirror / "pages").mkdir(parents=True)
    (mirror / "pages" / "one.json").write_bytes(b'{"page": 1}')
    (mirror / "pages" / "two.html").write_bytes("<p>\u5546\u52a1\u90e8</p>".encode("gb18030"))
    (mirror / "_queries.json").write_text(
        json.dumps(
            {
                "/api/list?pageNo=1&size=15": "pages/one.json",
                "/art/two.html": {
                    "file": "pages/two.html",
                    "content_type": "text/html; charset=gb18030",
                },
            }
        )
    )
    with FixtureServer(root=tmp_path) as server, HttpClient(HttpSettings()) as client:
        first = client.get(server.url_for("src/after/api/list?size=15&pageNo=1"), source="t")
        assert first.content == b'{"page": 1}'
        page = client.get(server.url_for("src/after/art/two.html"), source="t")
        assert page.charset == "gb18030"
        with pytest.raises(FetchError) as info:
            client.get(server.url_for("src/after/api/list?pageNo=2&size=15"), source="t")
        assert info.value.status == 404
