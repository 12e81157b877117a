"""``ecmon browse``: the real Datasette server on 127.0.0.1 over the demo database, each
canned query requested and its rows checked against the database read independently;
the database is not modified; a screenshot in headless Chromium when it is installed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import demo_database

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
pytest.importorskip("datasette", reason="the browse extra (datasette) is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:  # 127.0.0.1 only
        return bytes(answer.read())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    path = demo_database(tmp_path_factory.mktemp("browse"))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECMON_")}
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--db", str(path), "browse", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # computing links and starting Datasette
        while True:
            try:
                get(f"{base}/-/versions.json")
                break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    out = child.stdout.read().decode() if child.stdout else ""
                    pytest.fail(f"ecmon browse did not start: {out}")
                time.sleep(0.5)
        yield base, path, before
    finally:
        child.terminate()
        child.wait(timeout=10)
        if child.stdout:
            child.stdout.close()
    # Stopping `ecmon browse` stops its Datasette child too: the port closes.
    for _ in range(40):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                break
        time.sleep(0.25)
    else:
        pytest.fail(f"Datasette still serves on port {port} after ecmon browse stopped")


def query(base: str, db: str, name: str, **params: str) -> list[dict[str, object]]:
    qs = "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in params.items())
    rows = json.loads(get(f"{base}/{db}/{name}.json?_shape=array&{qs}"))
    assert isinstance(rows, list)
    return rows


def count(path: Path, sql: str) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_latest_changes_and_entity_timeline(served: tuple[str, Path, str]) -> None:
    base, path, _ = served
    latest = query(base, "demo", "latest_changes")
    assert len(latest) == min(200, count(path, "SELECT count(*) FROM changes"))
    assert any(r["name"] == "Sino IC Technology" and r["kind"] == "added" for r in latest)
    timeline = query(base, "demo", "entity_timeline", key="sino-ic-technology|CN")
    assert {r["source"] for r in timeline} == {"us_csl_entity_list", "us_ecfr_entity_list"}


def test_held_snapshots_outbox_and_acts(served: tuple[str, Path, str]) -> None:
    base, path, _ = served
    held = query(base, "demo", "held_snapshots")
    assert len(held) == count(path, "SELECT count(*) FROM snapshots WHERE status = 'suspect'")
    assert len(query(base, "demo", "outbox")) == count(path, "SELECT count(*) FROM outbox")
    acts = query(base, "demo", "acts")
    assert len(acts) == count(path, "SELECT count(*) FROM records WHERE list_name = 'action'")
    assert any("商务部公告2025年第27号" in str(a["name"]) for a in acts)


def test_packed_records_are_shown_as_json(served: tuple[str, Path, str]) -> None:
    """Records are stored packed (``record_z``): the table page shows their JSON, and the
    ``record`` query returns it, equal to what the database holds when unpacked."""
    from monitor.store.codec import unpack_json

    base, path, _ = served
    key = "sino-ic-technology|CN"
    page = get(f"{base}/demo/records?key={urllib.parse.quote(key)}").decode()
    assert "federal_register_notice" in page and "&lt;Binary" not in page
    rows = query(base, "demo", "record", key=key)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        stored = dict(conn.execute("SELECT source, record_z FROM records WHERE key = ?", (key,)))
    assert len(rows) == len(stored) == 2
    for row in rows:
        assert json.loads(str(row["record_json"])) == json.loads(unpack_json(stored[row["source"]]))


def test_countermeasure_links_carry_days_and_evidence(served: tuple[str, Path, str]) -> None:
    base, _, _ = served
    links = query(base, "links", "countermeasure_links")
    answers = [r for r in links if r["trigger_date"] == "2025-09-12"]
    titles = " ".join(str(r["response_title"]) for r in answers)
    assert "商务部公告2025年第27号" in titles and "商务部公告2025年第50号" in titles
    assert all(r["days_after"] == 1 for r in answers if "2025年第27号" in str(r["response_title"]))
    assert all(json.loads(str(r["evidence_json"])) for r in answers)


def test_tables_are_described(served: tuple[str, Path, str]) -> None:
    base, _, _ = served
    meta = json.loads(get(f"{base}/-/metadata.json"))
    tables = meta["databases"]["demo"]["tables"]
    assert "detected_at" in tables["changes"]["columns"]
    assert tables["records"]["description"].startswith("The accepted state")


def test_browsing_never_writes_the_database(served: tuple[str, Path, str]) -> None:
    base, path, before = served
    get(f"{base}/demo/records.json")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_screenshot_in_headless_chromium(served: tuple[str, Path, str], tmp_path: Path) -> None:
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    base, _, _ = served
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "browse-latest-changes.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    subprocess.run(
        [
            browser,
            *flags,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,900",
            f"--screenshot={shot}",
            f"{base}/demo/latest_changes",
        ],
        check=True,
        timeout=60,
        capture_output=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
