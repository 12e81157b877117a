"""Hostile input through the whole pipeline: XML entity expansion and external entities in the
two XML parsers (eCFR versioner XML, Federal Register full text), markup, terminal escapes and
spreadsheet formulas in a listed name (every output format), and a 1 MB name.

``tests/test_hostile_markup.py`` renders synthetic hostile records; here the hostile bytes come
from the (mirror) publisher and go through fetch, parse, store and the ``ecmon`` commands."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from monitor.changeset import ChangeDict
from monitor.cli import main
from monitor.digest.render import changes_csv, render_changes, spreadsheet_cell
from monitor.models import RunOutcome
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.reliability import report
from tests.reliability.harness import (
    Baselines,
    Sleeps,
    accepted_state,
    run_once,
    scrub,
    settings_for,
    write_mirror_config,
)
from tests.reliability.scenarios import (
    CSL,
    ECFR,
    ECFR_XML,
    FR,
    FR_FULL_TEXT,
    MOFCOM,
    MOFCOM_ARTICLE,
    fixture,
    stage_of,
)
from tests.support import write_sources_config

SECRET = "ECMON-XXE-CANARY-7f3a"  # the content of a local file an external entity names
LAUGHS = "".join(
    f'<!ENTITY l{i + 1} "{f"&l{i};" * 10}">' for i in range(9)
)  # 10^9 expansions of "l0"


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory, mirror: FixtureServer) -> Baselines:
    return Baselines(tmp_path_factory.mktemp("hostile-baselines"), mirror)


def _doctypes(server: FixtureServer, secret_file: Path, root: str) -> dict[str, str]:
    probe = server.url_for("xxe-probe")
    return {
        "entity expansion (billion laughs)": f'<!DOCTYPE {root} [<!ENTITY l0 "lol">{LAUGHS}]>',
        "external entity reading a local file": (
            f'<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'
        ),
        "external entity over the network": f'<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "{probe}">]>',
        "external parameter entity (DTD over the network)": (
            f'<!DOCTYPE {root} [<!ENTITY % dtd SYSTEM "{probe}-dtd"> %dtd;]>'
        ),
    }


def _ecfr_with(doctype: str, reference: str) -> bytes:
    text = fixture(ECFR, ECFR_XML).decode("utf-8")
    head, rest = text.split("\n", 1)
    rest = rest.replace("32 Group China Ltd.", f"32 Group China Ltd. {reference}", 1)
    return f"{head}\n{doctype}\n{rest}".encode()


def _fr_with(doctype: str, reference: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n<RULE><PREAMB><SUM><P>{reference}'
        "</P></SUM></PREAMB></RULE>\n"
    ).encode()


PARSERS: dict[str, tuple[str, str, Callable[[str, str], bytes], str, str]] = {
    # source: (path, root element, document builder, error class, message fragment)
    ECFR: (ECFR_XML, "DIV5", _ecfr_with, "ParseError", "declares a DTD; refused"),
    FR: (FR_FULL_TEXT, "RULE", _fr_with, "ShapeError", "declares a DTD or entities; refused"),
}
ATTACKS = (
    "entity expansion (billion laughs)",
    "external entity reading a local file",
    "external entity over the network",
    "external parameter entity (DTD over the network)",
)


def _database_text(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("source", sorted(PARSERS))
def test_xml_entities_are_refused(
    source: str, attack: str, baselines: Baselines, mirror: FixtureServer, tmp_path: Path
) -> None:
    path, root, build, error, fragment = PARSERS[source]
    row = report.record(
        report.Row(
            "hostile",
            source,
            f"XML {attack}",
            f"DOCTYPE in the document at {path}",
            f"failed {error} ({fragment}); nothing read, nothing fetched, state intact",
            "-",
        )
    )
    db = baselines.copy(source, tmp_path / "ecmon.db")  # first: making it clears the server
    mirror.clear()
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET, encoding="utf-8")
    reference = "&l9;" if "laughs" in attack else ("" if "parameter" in attack else "&xxe;")
    body = build(_doctypes(mirror, secret_file, root)[attack], reference)
    mirror.set_route(f"/{source}/{stage_of(source)}/{path}", body, content_type="application/xml")
    with Store.open(db) as store:
        accepted = accepted_state(store, source)
        summary = run_once(store, settings_for(db, mirror, source), source, Sleeps())
        intact = accepted_state(store, source) == accepted and not store.changes()
    probes = [r.path for r in mirror.requests if "xxe-probe" in r.path]
    leaked = SECRET in summary.message or SECRET in _database_text(db)
    row.observed = (
        f"{summary.outcome.value} {summary.error_kind}: {scrub(summary.message)}; requests to "
        f"the probe URL: {len(probes)}; local file content stored: {leaked}"
    )
    row.state_intact = intact
    assert summary.outcome == RunOutcome.FAILED, summary
    assert summary.error_kind == error and fragment in summary.message, summary
    assert not probes and not leaked and intact
    row.passed = True


def test_entity_declarations_in_utf16_are_refused_too(
    baselines: Baselines, mirror: FixtureServer, tmp_path: Path
) -> None:
    """The FR full-text check searched the bytes for "<!ENTITY", which UTF-16 hides: the
    entity below was expanded into the rule's summary. Now expat itself is asked."""
    row = report.record(
        report.Row(
            "hostile",
            FR,
            "XML entity declared in a UTF-16 document",
            "UTF-16 full text declaring an entity used in the summary",
            "failed ShapeError (refused); before the fix the entity text was stored",
            "-",
        )
    )
    db = baselines.copy(FR, tmp_path / "ecmon.db")
    mirror.clear()
    doc = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE RULE [<!ENTITY x "Injected text">]>'
        "<RULE><PREAMB><SUM><P>&x; summary</P></SUM></PREAMB></RULE>\n"
    )
    mirror.set_route(
        f"/{FR}/{stage_of(FR)}/{FR_FULL_TEXT}", doc.encode("utf-16"), content_type="text/xml"
    )
    with Store.open(db) as store:
        summary = run_once(store, settings_for(db, mirror, FR), FR, Sleeps())
        stored = "Injected text" in json.dumps(
            [r.to_dict() for r in store.accepted_records(FR).values()]
        )
    row.observed = f"{summary.outcome.value} {summary.error_kind}; entity text stored: {stored}"
    assert summary.outcome == RunOutcome.FAILED and summary.error_kind == "ShapeError"
    assert not stored
    row.passed = True


# --------------------------------------------------------------- a hostile listed name

HOSTILE_NAME = (
    '=HYPERLINK("http://evil.example/x","click") <script>alert(1)</script> '
    "\x1b[2J\x1b]0;pwned\x07Example Hostile Trading <img src=x onerror=alert(1)>"
)


def _hostile_csl(name: str) -> bytes:
    """The after file plus one Entity List row named ``name`` (a copy of an existing row)."""
    rows = list(csv.reader(io.StringIO(fixture(CSL, "consolidated.csv").decode("utf-8"))))
    header = rows[0]
    template = next(r for r in rows if any("Entity List (EL)" in c for c in r))
    extra = list(template)
    extra[header.index("name")] = name
    extra[header.index("alt_names")] = "@SUM(1+1); -2+3; +cmd|' /C calc'!A0"
    extra[header.index("_id")] = "f" * 56
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([*rows, extra])
    return out.getvalue().encode("utf-8")


@pytest.fixture
def hostile_cli(baselines: Baselines, mirror: FixtureServer, tmp_path: Path) -> Callable[..., str]:
    """A database whose last CSL run added the hostile entry; ``run(*args)`` runs ecmon."""
    return _cli_with(HOSTILE_NAME, baselines, mirror, tmp_path)


def _cli_with(
    name: str, baselines: Baselines, mirror: FixtureServer, tmp_path: Path
) -> Callable[..., str]:
    db = baselines.copy(CSL, tmp_path / "ecmon.db")
    mirror.clear()
    path = f"/{CSL}/{stage_of(CSL)}/consolidated.csv"
    mirror.set_route(path, _hostile_csl(name))
    config = write_sources_config(tmp_path / "ecmon.toml", db, {CSL: mirror.url_for(path)})
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, ["--config", str(config), *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "changed: 12 added" in run("run")
    return run


def test_a_hostile_name_is_inert_in_every_output(hostile_cli: Callable[..., str]) -> None:
    row = report.record(
        report.Row(
            "hostile",
            CSL,
            "markup, terminal escapes and formulas in a listed name",
            "a CSL row named =HYPERLINK(...) <script>… ESC[2J ESC]0;…BEL <img onerror>, "
            "aliases @SUM(…), -2+3, +cmd|…",
            "text/Markdown: no control characters, Markdown escaped; HTML digest: no "
            "element or handler from the name; Atom: well-formed, inert; CSV: formula "
            "cells start with '; JSON: escaped",
            "-",
        )
    )
    text = hostile_cli("diff")
    markdown = hostile_cli("diff", "--format", "markdown")
    as_csv = hostile_cli("diff", "--format", "csv")
    as_json = hostile_cli("diff", "--format", "json")
    html = hostile_cli("digest", "--since", "2000-01-01", "--format", "html")
    assert "Example Hostile Trading" in text
    for output in (text, markdown, as_csv, html):
        assert "\x1b" not in output and "\x07" not in output
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["script", "img", "iframe"])
    assert not [a for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")]
    assert "Example Hostile Trading" in soup.get_text()
    [hostile] = [r for r in csv.DictReader(io.StringIO(as_csv)) if "Hostile" in r["name"]]
    assert hostile["name"].startswith("'=HYPERLINK(")
    formula_cells = [
        c for r in csv.reader(io.StringIO(as_csv)) for c in r if c[:1] in ("=", "+", "-", "@")
    ]
    assert formula_cells == []
    [entry] = [c for c in json.loads(as_json)["changes"] if "Hostile" in c["name"]]
    assert entry["name"] == HOSTILE_NAME  # kept exactly, escaped by JSON itself
    row.observed = (
        "text and Markdown free of control characters, Markdown escaped; HTML digest without "
        "script/img/handlers; CSV name cell '=HYPERLINK(…, no cell starting = + - @; "
        "JSON holds the name exactly (escaped)"
    )
    row.passed = True


def test_a_hostile_name_is_inert_in_the_atom_feed(
    hostile_cli: Callable[..., str], tmp_path: Path
) -> None:
    row = report.record(
        report.Row(
            "hostile",
            CSL,
            "the same name in the Atom feed",
            "`ecmon feed` after the run",
            "well-formed XML; no script/img/handler in the entry HTML; no controls",
            "-",
        )
    )
    target = tmp_path / "feed.xml"
    hostile_cli("feed", "--output", str(target), "--since", "2000-01-01")
    body = target.read_text(encoding="utf-8")
    root = ET.fromstring(body)
    ns = "{http://www.w3.org/2005/Atom}"
    contents = [e.findtext(ns + "content") or "" for e in root.iter(ns + "entry")]
    assert any("Example Hostile Trading" in c for c in contents)
    for content in contents:
        soup = BeautifulSoup(content, "html.parser")
        assert not soup.find_all(["script", "img", "iframe"])
        assert not [a for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")]
    assert "\x1b" not in body and "\x07" not in body
    row.observed = "well-formed; entry HTML inert; no control characters"
    row.passed = True


def test_hostile_announcement_text_is_inert(
    baselines: Baselines, mirror: FixtureServer, tmp_path: Path
) -> None:
    """A MOFCOM page whose title and text carry markup as text (``&lt;script&gt;`` in the
    HTML is the text ``<script>``), a real script element and a terminal escape."""
    row = report.record(
        report.Row(
            "hostile",
            MOFCOM,
            "markup and script in announcement text",
            "a new MOFCOM page: title and a paragraph with &lt;script&gt;/&lt;img onerror&gt; "
            "as text, a <script> element, an ESC sequence",
            "stored as text; HTML digest and Atom inert; Markdown escaped; no control "
            "characters in text output",
            "-",
        )
    )
    db = baselines.copy(MOFCOM, tmp_path / "ecmon.db")
    mirror.clear()
    hostile = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;\x1b[2J"
    page = fixture(MOFCOM, MOFCOM_ARTICLE).decode("utf-8")
    page = page.replace("</h1>", f" {hostile}</h1>", 1).replace(
        "<p>调查涉及的美国措施包括：</p>",
        f"<p>调查涉及的美国措施包括：{hostile}</p><script>alert(3)</script>",
        1,
    )
    mirror.set_route(
        f"/{MOFCOM}/{stage_of(MOFCOM)}/{MOFCOM_ARTICLE}", page.encode(), content_type="text/html"
    )
    with Store.open(db) as store:
        summary = run_once(store, settings_for(db, mirror, MOFCOM), MOFCOM, Sleeps())
        titles = [r.name for r in store.accepted_records(MOFCOM).values() if "<script>" in r.name]
    config = write_mirror_config(tmp_path / "ecmon.toml", db, mirror, sources=[MOFCOM])
    runner = CliRunner()

    def ecmon(*args: str) -> str:
        result = runner.invoke(main, ["--config", str(config), *args])
        assert result.exit_code == 0, result.output
        return result.output

    html = ecmon("digest", "--since", "2000-01-01", "--format", "html")
    markdown = ecmon("diff", "--format", "markdown")
    text = ecmon("diff")
    ecmon("feed", "--output", str(tmp_path / "feed.xml"), "--since", "2000-01-01")
    feed = ET.fromstring((tmp_path / "feed.xml").read_text(encoding="utf-8"))
    ns = "{http://www.w3.org/2005/Atom}"
    entry_html = " ".join(e.findtext(ns + "content") or "" for e in feed.iter(ns + "entry"))
    assert summary.outcome == RunOutcome.CHANGED and titles, summary
    for fragment in (html, entry_html):
        soup = BeautifulSoup(fragment, "html.parser")
        assert not soup.find_all(["script", "img", "iframe"])
        assert not [a for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")]
    assert "<script>alert(1)" in BeautifulSoup(html, "html.parser").get_text()
    assert re.search(r"(?<!\\)<(script|img)", markdown) is None
    assert "\x1b" not in text + markdown + html and "<script>alert(1)" in text
    row.observed = (
        f"{summary.outcome.value}; title stored as text with the markup; HTML digest and Atom "
        "entries without script/img/handlers; Markdown escaped; text without ESC"
    )
    row.passed = True


def test_spreadsheet_cells_are_never_formulas() -> None:
    row = report.record(
        report.Row(
            "hostile",
            "",
            "CSV formula injection (unit)",
            "cells starting with = + - @ tab CR, and control characters",
            "prefixed with '; controls dropped; a CSV reader gets them back as text",
            "-",
        )
    )
    cells = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain", "a=b", "\x1b[31mred"]
    assert [spreadsheet_cell(c) for c in cells] == [
        "'=1+2",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "plain",
        "a=b",
        "[31mred",
    ]
    # A document of changes only: the CSV is made of them alone.
    document = {"changes": [_change(name) for name in cells]}
    text = changes_csv(document)  # type: ignore[arg-type]
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["name"] for r in parsed] == [spreadsheet_cell(c) for c in cells]
    row.observed = "all six formula starts prefixed; controls dropped; round trip exact"
    row.passed = True


def _change(name: str) -> ChangeDict:
    return {
        "id": 1,
        "source": CSL,
        "kind": "added",
        "list": "el",
        "key": "k|CN",
        "previous_key": None,
        "name": name,
        "country": "CN",
        "labels": [],
        "citations": [],
        "effective_date": None,
        "list_date": None,
        "fields": [],
        "attribution": None,
        "before": None,
        "after": None,
        "provenance": {
            "run_id": 1,
            "fetched_at": "2025-09-13T06:00:00Z",
            "url": "https://x",
            "raw_sha256": "",
        },
    }


# --------------------------------------------------------------- over-long fields

MEGABYTE_NAME = "Example Long " + "N" * 1_000_000


def test_a_one_megabyte_name(baselines: Baselines, mirror: FixtureServer, tmp_path: Path) -> None:
    """CSL: the csv module's 128 kB field limit refuses the file (a named error, nothing
    stored). eCFR: the row is accepted, and every output renders it."""
    row = report.record(
        report.Row(
            "hostile",
            "",
            "a 1 MB entity name",
            "one entry's name is 1,000,013 characters (CSL file, eCFR XML)",
            "no crash: refused with a named error or stored whole; outputs render; "
            "integrity_check ok",
            "-",
        )
    )
    dbs = {source: baselines.copy(source, tmp_path / f"{source}.db") for source in (CSL, ECFR)}
    mirror.clear()
    mirror.set_route(f"/{CSL}/{stage_of(CSL)}/consolidated.csv", _hostile_csl(MEGABYTE_NAME))
    added = b"Aerospace Information Research Institute, CAS"  # an addition of the after stage
    xml = fixture(ECFR, ECFR_XML).replace(added, MEGABYTE_NAME.encode(), 1)
    mirror.set_route(f"/{ECFR}/{stage_of(ECFR)}/{ECFR_XML}", xml, content_type="application/xml")
    outcomes = {}
    for source, db in dbs.items():
        with Store.open(db) as store:
            big = settings_for(db, mirror, source, http={"max_bytes": 5_000_000})
            outcomes[source] = run_once(store, big, source, Sleeps())
            if source == ECFR:
                [long] = [
                    r for r in store.accepted_records(source).values() if r.name == MEGABYTE_NAME
                ]
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    csl_run, ecfr_run = outcomes[CSL], outcomes[ECFR]
    db = tmp_path / f"{ECFR}.db"
    url = settings_for(db, mirror, ECFR).source(ECFR).url
    config = write_sources_config(tmp_path / "ecmon.toml", db, {ECFR: url})
    runner = CliRunner()
    # One `ecmon diff` (its enrichment scans the name: seconds for 1 MB), then the same
    # document in the other formats.
    result = runner.invoke(main, ["--config", str(config), "diff", "--format", "json"])
    assert result.exit_code == 0, result.output[-500:]
    document = json.loads(result.output)
    for fmt in ("text", "markdown", "csv"):
        assert "N" * 1000 in render_changes(document, fmt)
    html = runner.invoke(
        main, ["--config", str(config), "digest", "--since", "2000-01-01", "--format", "html"]
    )
    assert html.exit_code == 0 and "N" * 1000 in html.output
    row.observed = (
        f"CSL: {csl_run.outcome.value} {csl_run.error_kind} "
        f"({scrub(csl_run.message).split(': ', 1)[-1]}); eCFR: "
        f"{ecfr_run.outcome.value}, the 1 MB name stored whole, diff text/Markdown/CSV/JSON "
        "and the HTML digest render it; integrity_check ok"
    )
    assert csl_run.outcome == RunOutcome.FAILED and csl_run.error_kind == "ShapeError"
    assert ecfr_run.outcome == RunOutcome.CHANGED and len(long.name) == len(MEGABYTE_NAME)
    row.passed = True


# A name that opens a fake section, plus CR, C1 CSI, bidi override/pop and XML non-characters.
LINE_BREAKER = (
    "Example Breaker Ltd.\r\n\nREMOVED (1)\n  - us_csl_entity_list EL Fake Removal Co."
    "\u009b31m \u202egnidarT\u202c \ufffe\uffff end"
)
_NEVER = ("\r", "\u009b", "\u202e", "\u202c", "\ufffe", "\uffff")


def test_line_breaks_bidi_and_noncharacters_in_a_name_are_neutral(
    baselines: Baselines, mirror: FixtureServer, tmp_path: Path
) -> None:
    row = report.record(
        report.Row(
            "hostile",
            CSL,
            "line breaks, C1, bidi controls and non-characters in a name",
            "a CSL name with CR LF, a fake 'REMOVED (1)' section, U+009B, U+202E…U+202C,"
            " U+FFFE/U+FFFF",
            "diff text/Markdown, digest text/Markdown/HTML and the Atom feed: the name on one"
            " line, no fake section, none of these characters; the feed well-formed XML",
            "-",
        )
    )
    run = _cli_with(LINE_BREAKER, baselines, mirror, tmp_path)
    outputs = {
        "diff text": run("diff"),
        "diff markdown": run("diff", "--format", "markdown"),
        "digest text": run("digest", "--since", "2000-01-01", "--format", "text"),
        "digest markdown": run("digest", "--since", "2000-01-01", "--format", "markdown"),
        "digest html": run("digest", "--since", "2000-01-01", "--format", "html"),
    }
    feed = tmp_path / "feed.xml"
    run("feed", "--output", str(feed), "--since", "2000-01-01")
    outputs["feed"] = feed.read_text(encoding="utf-8")
    ET.fromstring(outputs["feed"].encode("utf-8"))  # raises when not well-formed
    leaks = {k: [c for c in _NEVER if c in v] for k, v in outputs.items()}
    fake = {k: v.count("Fake Removal") for k, v in outputs.items()}
    own_line = {
        k: any("Fake Removal" in line and "Breaker" not in line for line in v.splitlines())
        for k, v in outputs.items()
    }
    row.observed = (
        f"characters left: {sum(map(len, leaks.values()))}; a line of its own for the fake"
        f" section: {sum(own_line.values())} of {len(outputs)} outputs; feed well-formed"
    )
    assert not any(leaks.values()), leaks
    assert not any(own_line.values()), own_line
    assert all(fake.values()), fake  # the name is still shown, on one line
    row.passed = True
