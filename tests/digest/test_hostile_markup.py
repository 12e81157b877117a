"""A source record carrying markup (``<script>``, ``<img onerror=...>``, a ``javascript:``
link) renders inert in the HTML digest, the email and the Atom feed, and literal in
Markdown. The records are SYNTHETIC, built here; they are not in the fixtures."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from monitor.actions import action_record
from monitor.diff import diff_records
from monitor.digest import inputs as digest_inputs
from monitor.digest import outbox
from monitor.digest.render import render_digest, render_feed
from monitor.digest.types import DigestModel
from monitor.models import Record, RunInfo, Snapshot
from monitor.notify import channel
from monitor.store import Store
from monitor.store.outbox import OutboxStore
from tests.digest.support import body, mail_settings, smtp_server

SCRIPT = '<script>alert("pwned")</script>'
IMG = "<img src=x onerror=alert(1)>"
HOSTILE_NAME = f"{SCRIPT} Example Hostile Trading {IMG}"
T0 = datetime(2025, 9, 12, 6, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)

ENTITY = Record(
    key="example-hostile-trading|CN",
    list_name="el",
    name=HOSTILE_NAME,
    country="CN",
    fields={
        "aliases": (IMG, "\x1b[31mred\x1b[0m"),
        "citations": (),
        "start_date": "2025-09-12",
        "license_policy": f"Presumption of denial. {SCRIPT}",
    },
)
ACTION = action_record(
    key="cn:商务部公告2025年第98号",
    kind="uel_addition",
    jurisdiction="CN",
    title=f"商务部公告2025年第98号 {SCRIPT}",
    fields={
        "instrument": "商务部公告2025年第98号",
        "published": "2025-09-13",
        "url": "javascript:alert(document.cookie)",
        "parties_zh": (f"示例{IMG}公司",),
        "parties_en": (HOSTILE_NAME,),
        "party_countries": ("US",),
        "reasons": (f"reason {SCRIPT}",),
    },
)


def accept(store: Store, source: str, hours: int, *records: Record) -> None:
    raw = repr(sorted(r.key for r in records)).encode() * 3
    fetched = T0 + timedelta(hours=hours)
    url = f"https://example.test/{source}"
    snapshot = Snapshot(
        source=source,
        url=url,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        fetched_at=fetched,
        records={r.key: r for r in records},
    )
    baseline = store.source_state(source) is None
    changes = [] if baseline else diff_records(store.accepted_records(source), snapshot.records)
    run = RunInfo(source=source, url=url, started_at=fetched, finished_at=fetched)
    store.record_accepted(run, snapshot, changes, raw, baseline=baseline)


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """A store whose latest runs added the hostile entity and the hostile announcement."""
    db = tmp_path / "hostile.db"
    calm = Record(
        key="example-calm|CN", list_name="el", name="Example Calm", country="CN", fields={}
    )
    with Store.open(db) as store:
        accept(store, "us_csl_entity_list", 0, calm)
        accept(store, "us_csl_entity_list", 1, calm, ENTITY)
        accept(store, "cn_mofcom_announcements", 0, calm)
        accept(store, "cn_mofcom_announcements", 1, calm, ACTION)
    return db


def model(db: Path) -> DigestModel:
    settings = mail_settings(db, 25)
    with Store.open(db) as store:
        changes = store.changes()
        doc = digest_inputs.change_document(store, settings, changes, query={}, now=NOW)
        period = digest_inputs.period_of(changes, "synthetic hostile records")
        return digest_inputs.digest_model(store, settings, doc, period=period, now=NOW)


def assert_inert_html(html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all(["script", "img", "iframe", "object", "embed"]) == []
    handlers = [
        (t.name, a) for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")
    ]
    assert handlers == []
    assert [
        a for a in soup.find_all("a") if not str(a["href"]).startswith(("http://", "https://"))
    ] == []
    text = soup.get_text()
    assert SCRIPT in text and IMG in text  # shown to the reader as text, not run
    assert "\x1b" not in html


def test_html_digest_renders_hostile_markup_as_text(hostile_db: Path) -> None:
    html = render_digest(model(hostile_db), "html")
    assert_inert_html(html)
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "javascript:" not in html


def test_email_parts_render_hostile_markup_inert(hostile_db: Path) -> None:
    with smtp_server() as (inbox, port):
        settings = mail_settings(hostile_db, port)
        with Store.open(hostile_db) as store:
            outbox.compose(store, settings, now=NOW)
            [sent] = outbox.deliver(store, lambda name: channel(name, settings), now=NOW)
            assert sent.sent and OutboxStore(store).undelivered_changes() == []
    [message] = inbox.messages
    assert "<" not in message["Subject"]  # the subject is built from counts only
    assert_inert_html(body(message, "html"))
    text = body(message, "plain")
    assert HOSTILE_NAME in text and "\x1b" not in text


def test_atom_feed_renders_hostile_markup_inert(hostile_db: Path) -> None:
    root = ET.fromstring(render_feed(model(hostile_db), self_url="javascript:alert(1)"))
    ns = "{http://www.w3.org/2005/Atom}"
    assert root.find(ns + "link") is None  # a non-http self URL is dropped, not linked
    titles = [e.findtext(ns + "title") or "" for e in root.iter(ns + "entry")]
    assert any(SCRIPT in t for t in titles)  # plain text, escaped in the XML
    for entry in root.iter(ns + "entry"):
        assert [
            link for link in entry.iter(ns + "link") if "javascript" in (link.get("href") or "")
        ] == []
        content = entry.find(ns + "content")
        assert content is not None and content.get("type") == "html"
        assert_inert_html_fragment(content.text or "")


def assert_inert_html_fragment(fragment: str) -> None:
    """What a feed reader would render from a type="html" content element."""
    soup = BeautifulSoup(fragment, "html.parser")
    assert soup.find_all(["script", "img", "iframe"]) == []
    assert not [a for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")]
    assert not [a for a in soup.find_all("a") if "javascript" in str(a.get("href", ""))]


def test_markdown_and_text_keep_hostile_markup_literal(hostile_db: Path) -> None:
    markdown = render_digest(model(hostile_db), "markdown")
    assert re.search(r"(?<!\\)<(script|img|/script)", markdown) is None  # every "<" escaped
    assert "\\<script\\>" in markdown and "javascript:" not in markdown
    text = render_digest(model(hostile_db), "text")
    assert SCRIPT in text and "javascript:" not in text and "\x1b" not in text


def test_diff_outputs_keep_markup_literal_and_drop_terminal_escapes(hostile_db: Path) -> None:
    """`ecmon diff` text, Markdown and CSV: what a terminal or a spreadsheet would act on is
    gone (ESC sequences, formula starts), markup stays text (escaped in Markdown)."""
    from monitor.changeset import changes_document
    from monitor.digest.render import render_changes

    with Store.open(hostile_db) as store:
        doc = changes_document(
            store.changes(), query={}, generated_at=NOW, source_titles={"x": "X"}
        )
    text, markdown = render_changes(doc, "text"), render_changes(doc, "markdown")
    as_csv = render_changes(doc, "csv")
    for output in (text, markdown, as_csv):
        assert "\x1b" not in output
    assert SCRIPT in text and "[31mred" in text
    assert re.search(r"(?<!\\)<(script|img)", markdown) is None
    assert "\\<script\\>" in markdown
    assert HOSTILE_NAME in as_csv.replace('""', '"')  # CSV-quoted, not prefixed: starts "<"
