"""Security defaults, end to end: TLS verification cannot be switched off (a CA bundle only adds
trust), the SMTP password never shows in output, logs or errors, and only configured URLs are
fetched (links in a publisher's answers to other hosts are not followed; redirects stay on
https). Unit-level checks live in ``tests/test_config.py`` and ``tests/test_http.py``."""

from __future__ import annotations

import json
import os
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx
import pytest

from monitor import config
from monitor.config import HttpSettings
from monitor.errors import ConfigError, FetchError
from monitor.http import FetchResult, HttpClient, tls_verification
from monitor.models import RunOutcome
from monitor.pipeline import RunContext, run_sources
from monitor.sources import REGISTRY, default_settings
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.digest.support import (
    USER,
    build_demo_db,
    https_server,
    self_signed,
    starttls_server,
)
from tests.reliability import report
from tests.reliability.harness import Baselines, Sleeps, run_once, settings_for
from tests.reliability.scenarios import CSL, FR, MOFCOM, TARGETS, fixture, stage_of

ROOT = Path(__file__).resolve().parents[2]
CANARY = "ecmon-canary-Pa55-9d1e"  # the SMTP password in these tests


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory, mirror: FixtureServer) -> Baselines:
    return Baselines(tmp_path_factory.mktemp("security-baselines"), mirror)


def _row(source: str, scenario: str, injected: str, expected: str) -> report.Row:
    return report.record(report.Row("security", source, scenario, injected, expected, "-"))


# ------------------------------------------------------------------------------ TLS


def test_tls_verification_cannot_be_switched_off(tmp_path: Path) -> None:
    row = _row(
        "",
        "TLS verification always on",
        "HTTPS server with a self-signed certificate; [http] verify = false; "
        "http.ca_bundle naming that certificate",
        "untrusted certificate refused; no setting turns verification off; "
        "a CA bundle adds trust (and still checks the host name)",
    )
    server_tls, _client = self_signed(tmp_path)
    cert = tmp_path / "cert.pem"
    fast = HttpSettings(retries=0, connect_timeout=2, read_timeout=2)
    with https_server(server_tls) as url:
        with HttpClient(fast) as client, pytest.raises(FetchError) as refused:
            client.get(url, source="tls")
        with HttpClient(replace(fast, ca_bundle=str(cert))) as client:
            trusted = client.get(url, source="tls")
    for key in ("verify", "verify_tls", "insecure", "tls_verify"):
        (tmp_path / "c.toml").write_text(f"[http]\n{key} = false\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=f"unknown setting http.{key}"):
            config.load(default_settings(), config_path=tmp_path / "c.toml", environ={})
    context = tls_verification(str(cert))
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert tls_verification(None) is True and tls_verification("") is True
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value) or "certificate" in str(refused.value)
    assert trusted.content == b"hello"
    row.observed = (
        "self-signed: FetchError (certificate verify failed); verify/verify_tls/insecure/"
        "tls_verify: ConfigError unknown setting; with ca_bundle: fetched, context requires a "
        "certificate and checks the host name"
    )
    row.passed = True


def test_https_to_http_redirect_is_refused_in_a_run(tmp_path: Path) -> None:
    row = _row(
        CSL,
        "redirect from https to http",
        "the source's https URL answers 301 to an http URL (a run, via the pipeline)",
        "failed FetchError (downgrade), the http URL never requested; unit test: "
        "tests/test_http.py::test_https_to_http_redirect_is_refused",
    )
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.scheme == "https":
            return httpx.Response(301, headers={"Location": "http://data.example/el.csv"})
        return httpx.Response(200, content=fixture(CSL, "consolidated.csv"))

    db = tmp_path / "ecmon.db"
    base = settings_for(db, _Nowhere(), CSL)
    own = replace(base.source(CSL), url="https://data.example/consolidated.csv")
    settings = replace(base, sources=MappingProxyType({CSL: own}))
    transport = httpx.MockTransport(handler)
    with Store.open(db) as store, HttpClient(settings.http, transport=transport) as client:
        [summary] = run_sources(RunContext(settings, store, client), [CSL])
    row.observed = f"{summary.outcome.value} {summary.error_kind}; requested: {len(seen)} URL(s)"
    assert summary.outcome == RunOutcome.FAILED and "downgrade" in summary.message
    assert seen == ["https://data.example/consolidated.csv"]
    row.passed = True


REDIRECTS = [
    ("another port", "http://data.example:8080/consolidated.csv", (), False),
    ("another host", "http://elsewhere.example/consolidated.csv", (), False),
    ("a private address, even listed", "http://10.0.0.7/consolidated.csv", ("10.0.0.7",), False),
    ("a link-local address", "http://169.254.169.254/latest/meta-data", ("*.example",), False),
    ("a listed host", "http://cdn.example/consolidated.csv", ("cdn.example",), True),
    ("https on the same host", "https://data.example/consolidated.csv", (), True),
]


@pytest.mark.parametrize("name,target,allowed,follows", REDIRECTS, ids=[r[0] for r in REDIRECTS])
def test_redirects_stay_on_the_sources_origin(
    name: str, target: str, allowed: tuple[str, ...], follows: bool, tmp_path: Path
) -> None:
    row = _row(
        CSL,
        f"redirect to {name}",
        f"http://data.example/consolidated.csv answers 302 to {target}"
        + (f" (http.redirect_hosts = {list(allowed)})" if allowed else ""),
        "followed, run succeeds"
        if follows
        else "failed FetchError (refused), target never requested",
    )
    seen: list[str] = []
    source_url = "http://data.example/consolidated.csv"

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if str(request.url) == source_url:
            return httpx.Response(302, headers={"Location": target})
        return httpx.Response(200, content=fixture(CSL, "consolidated.csv"))

    db = tmp_path / "ecmon.db"
    base = settings_for(db, _Nowhere(), CSL)
    own = replace(base.source(CSL), url=source_url)
    settings = replace(
        base,
        http=replace(base.http, redirect_hosts=allowed),
        sources=MappingProxyType({CSL: own}),
    )
    transport = httpx.MockTransport(handler)
    with Store.open(db) as store, HttpClient(settings.http, transport=transport) as client:
        [summary] = run_sources(RunContext(settings, store, client), [CSL])
    row.observed = f"{summary.outcome.value} {summary.error_kind or ''}".strip() + (
        f"; requested: {len(seen)} URL(s)"
    )
    if follows:
        assert summary.outcome != RunOutcome.FAILED, summary
        assert seen == [source_url, target]
    else:
        assert summary.outcome == RunOutcome.FAILED and "refused" in summary.message, summary
        assert seen == [source_url]
    row.passed = True


class _Nowhere:
    def url_for(self, path: str) -> str:
        return f"http://127.0.0.1:9/{path}"


# --------------------------------------------------------------------------- secrets


def _ecmon(config_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ECMON_")}
    return subprocess.run(
        [sys.executable, "-m", "monitor", "-vv", "--config", str(config_path), *args],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_smtp_password_never_shows(tmp_path: Path) -> None:
    row = _row(
        "",
        "SMTP password never printed or logged",
        "ECMON_SMTP_PASSWORD set; `ecmon -vv` config show, digest --send to a server that "
        "rejects the login (535), digest --outbox, status; a world-readable password "
        "file; the password in the config file",
        "password in no output, log line, error message or database row; the "
        "world-readable file and the config-file password are refused",
    )
    db = build_demo_db(tmp_path / "ecmon.db")
    server_tls, _client = self_signed(tmp_path)
    with starttls_server(server_tls) as (inbox, port):
        conf = tmp_path / "ecmon.toml"
        conf.write_text(
            f'database = "{db}"\n[email]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\n'
            f'security = "starttls"\nusername = "{USER}"\nsender = "digest@ecmon.example"\n'
            'timeout = 5\n[[email.recipients]]\naddress = "analyst@example.org"\n',
            encoding="utf-8",
        )
        # The client trusts the test certificate through OpenSSL's own variable, so the
        # conversation reaches AUTH (and the server's 535).
        env = {"ECMON_SMTP_PASSWORD": CANARY, "SSL_CERT_FILE": str(tmp_path / "cert.pem")}
        runs = {
            "config show": _ecmon(conf, "config", "show", **env),
            "digest --send": _ecmon(conf, "digest", "--send", **env),
            "digest --outbox": _ecmon(conf, "digest", "--outbox", **env),
            "status": _ecmon(conf, "status", **env),
        }
    secret_file = tmp_path / "smtp-password"
    secret_file.write_text(CANARY, encoding="utf-8")
    secret_file.chmod(0o644)
    runs["world-readable file"] = _ecmon(
        conf, "config", "show", ECMON_SMTP_PASSWORD_FILE=str(secret_file)
    )
    inline = tmp_path / "inline.toml"
    inline.write_text(f'[email]\npassword = "{CANARY}"\n', encoding="utf-8")
    runs["password in the config file"] = _ecmon(inline, "config", "show")
    with sqlite3.connect(db) as conn:
        stored = "\n".join(conn.iterdump())

    leaks = [name for name, done in runs.items() if CANARY in done.stdout + done.stderr]
    assert "email.password" in runs["config show"].stdout and "(set)" in runs["config show"].stdout
    assert runs["digest --send"].returncode == 7, runs["digest --send"]
    assert "535" in runs["digest --send"].stdout + runs["digest --send"].stderr
    assert inbox.envelopes == []
    assert runs["world-readable file"].returncode == 2
    assert "readable by others" in runs["world-readable file"].stderr
    assert runs["password in the config file"].returncode == 2
    assert "unknown setting email.password" in runs["password in the config file"].stderr
    row.observed = (
        f"{len(runs)} commands at -vv: password in output/logs: {', '.join(leaks) or 'none'}; "
        f"in the database: {'yes' if CANARY in stored else 'no'}; digest --send exit 7 (535, "
        "kept in the outbox); world-readable file: exit 2; config-file password: exit 2"
    )
    assert not leaks and CANARY not in stored
    row.passed = True


# ------------------------------------------------------------- only configured URLs


@pytest.fixture
def elsewhere() -> Iterator[FixtureServer]:
    """Another host (another origin on 127.0.0.1) that must never be asked for anything."""
    with FixtureServer(root=None) as other:
        yield other


def test_mofcom_links_to_other_hosts_are_not_followed(
    baselines: Baselines, mirror: FixtureServer, elsewhere: FixtureServer, tmp_path: Path
) -> None:
    row = _row(
        MOFCOM,
        "list links to other hosts",
        "the policy list also links an article on another host, a javascript: URL and "
        "a protocol-relative URL to another host",
        "none fetched; the run succeeds with the real changes only",
    )
    db = baselines.copy(MOFCOM, tmp_path / "ecmon.db")
    mirror.clear()
    links = (
        elsewhere.url_for("zwgk/zcfb/art/2025/art_evil.html"),
        "javascript:alert(1)",
        f"//127.0.0.1:{elsewhere.port}/zwgk/zcfb/art/2025/art_evil2.html",
    )
    items = "".join(
        f'<li><a href="{href}" title="商务部公告2025年第99号">商务部公告2025年第99号</a>'
        "<span>[2025-09-14]</span></li>"
        for href in links
    )
    page = json.loads(TARGETS[MOFCOM].document_body())
    opening = '<ul class="txtList_01">'
    assert opening in page["data"]["html"]
    page["data"]["html"] = page["data"]["html"].replace(opening, opening + items, 1)
    body = json.dumps(page, ensure_ascii=False).encode("utf-8")
    mirror.set_route(
        f"/{MOFCOM}/{stage_of(MOFCOM)}/{TARGETS[MOFCOM].document}",
        body,
        content_type="application/json",
    )
    with Store.open(db) as store:
        summary = run_once(store, settings_for(db, mirror, MOFCOM), MOFCOM, Sleeps())
        added = sum(1 for c in store.changes() if c.change.kind == "added")
    asked = [r.path for r in [*elsewhere.requests, *mirror.requests] if "evil" in r.path]
    row.observed = (
        f"{summary.outcome.value}: {summary.message}; requests for the off-site links: {len(asked)}"
    )
    # Every www column answers with this (policy) list here, so the trade-remedy column's
    # anti-dumping initiation is not seen: the 2 changes of a clean run (Nos. 27 and 50) less
    # that one.
    assert summary.outcome == RunOutcome.CHANGED and added == summary.added == 1, summary
    assert asked == [] and elsewhere.requests == []
    row.passed = True


def test_federal_register_urls_on_other_hosts_are_not_fetched(
    baselines: Baselines, mirror: FixtureServer, elsewhere: FixtureServer, tmp_path: Path
) -> None:
    row = _row(
        FR,
        "API answers pointing at other hosts",
        "a document's full_text_xml_url on another host; then a next_page_url on another host",
        "the full text is not fetched (review flag 'full text not fetched: not on …'); "
        "the page link fails the run (ShapeError); the other host is never asked",
    )
    db = baselines.copy(FR, tmp_path / "ecmon.db")
    mirror.clear()
    page = json.loads(TARGETS[FR].document_body())
    [doc] = [d for d in page["results"] if d["document_number"] == "2025-19001"]
    doc["full_text_xml_url"] = elsewhere.url_for("documents/full_text/xml/2025-19001.xml")
    path = f"/{FR}/{stage_of(FR)}/documents.json"
    mirror.set_route(path, json.dumps(page).encode(), content_type="application/json")
    with Store.open(db) as store:
        first = run_once(store, settings_for(db, mirror, FR), FR, Sleeps())
        review = store.accepted_records(FR)["us:2025-19001"].get_tuple("review")
    page["next_page_url"] = elsewhere.url_for("api/v1/documents.json?page=2")
    mirror.set_route(path, json.dumps(page).encode(), content_type="application/json")
    with Store.open(db) as store:
        second = run_once(store, settings_for(db, mirror, FR), FR, Sleeps())
    row.observed = (
        f"full text: {first.outcome.value}, flag {review[0]!r}; next page: "
        f"{second.outcome.value} {second.error_kind}; requests to the other host: "
        f"{len(elsewhere.requests)}"
    ).replace(mirror.url, "http://127.0.0.1:PORT")
    assert first.outcome == RunOutcome.CHANGED
    assert review == (f"full text not fetched: not on {mirror.url}",)
    assert second.outcome == RunOutcome.FAILED and second.error_kind == "ShapeError"
    assert "not followed" in second.message
    assert elsewhere.requests == []
    row.passed = True


def test_sources_fetch_only_under_their_configured_urls(
    baselines: Baselines, mirror: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _row(
        "",
        "every request under a configured URL",
        "a clean run of every source's changes; every URL the HTTP client was asked for",
        "every request is under that source's configured URL(s)",
    )
    # Spy on the client itself, not the mirror: a request to any other host counts too.
    asked: list[str] = []
    real_get = HttpClient.get

    def spy(self: HttpClient, url: str, **kwargs: Any) -> FetchResult:
        asked.append(url)
        return real_get(self, url, **kwargs)

    monkeypatch.setattr(HttpClient, "get", spy)
    outside: list[str] = []
    for source in REGISTRY:
        db = baselines.copy(source, tmp_path / f"{source}.db")
        mirror.clear()
        asked.clear()
        settings = settings_for(db, mirror, source)
        own = settings.source(source)
        hosts = own.options.get("hosts", {})
        assert isinstance(hosts, Mapping)
        roots = [own.url.rsplit("/", 1)[0] if source == CSL else own.url, *hosts.values()]
        with Store.open(db) as store:
            summary = run_once(store, settings, source, Sleeps())
        assert summary.outcome in (RunOutcome.CHANGED, RunOutcome.UNCHANGED), summary
        assert asked, f"{source} asked for nothing"
        outside += [
            url
            for url in asked
            if not any(url.startswith(root.rstrip("/") + "/") for root in roots)
        ]
    row.observed = f"requests outside the configured URLs: {len(outside)}"
    assert outside == []
    row.passed = True
