"""The ``ecmon`` command as a user runs it: demo, diff (JSON schema), status,
history, search, config show, run exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from monitor.testing.fixture_server import FixtureServer
from tests.support import CSL_AFTER, CSL_BEFORE, SEPT_2025_ADDITIONS, write_config
from tests.support import invoke_in as invoke

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "monitor/schemas/changes.schema.json").read_text()
)
NEW_NAMES = set(SEPT_2025_ADDITIONS)
CETC = "China Electronics Technology Group Corporation 13th Research Institute (CETC 13)"


def section(text: str, source: str) -> str:
    """The part of a text diff that belongs to ``source`` (up to the next source)."""
    start = text.index(f"({source}) ==")
    following = text.find("\n== ", start)
    return text[start : following if following != -1 else len(text)]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("demo")
    db = tmp / "demo.db"
    result = invoke(tmp, "demo", "--db", str(db))
    assert result.exit_code == 0, result.output
    return db


def test_demo_prints_additions_and_removal(tmp_path: Path) -> None:
    result = invoke(tmp_path, "demo")
    assert result.exit_code == 0, result.output
    out = section(result.stdout, "us_csl_entity_list")
    for name in NEW_NAMES:
        assert f"+ {name} [" in out, name
    assert "+ Shanghai Fudan Microelectronics (HK) Co., Ltd. [HK]" in out
    assert "start date: 2025-09-12" in out
    # CETC 13's 87 FR 77505 dates from December 2022: in the baseline, not a September change.
    assert CETC not in out and "MODIFIED" not in out
    assert "- A.P. Finance Limited [GB]" in out
    assert "ADDED (11)" in out and "REMOVED (1)" in out


def test_diff_json_after_demo_validates_against_the_schema(demo_db: Path, tmp_path: Path) -> None:
    result = invoke(tmp_path, "--db", str(demo_db), "diff", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert document["schema_version"] == "1"
    csl = [c for c in document["changes"] if c["source"] == "us_csl_entity_list"]
    added = {c["name"]: c for c in csl if c["kind"] == "added"}
    assert set(added) == NEW_NAMES
    assert added["Sino IC Technology"]["country"] == "CN"
    assert added["Sino IC Technology"]["effective_date"] == "2025-09-12"
    assert not [c for c in csl if c["kind"] == "modified"]
    [removed] = [c for c in csl if c["kind"] == "removed"]
    assert removed["citations"] == ["76 FR 50407"]
    assert len(removed["provenance"]["raw_sha256"]) == 64


def test_schema_rejects_a_broken_document(demo_db: Path, tmp_path: Path) -> None:
    document = json.loads(invoke(tmp_path, "--db", str(demo_db), "diff", "--format", "json").stdout)
    document["changes"][0]["kind"] = "vanished"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_diff_ranges_and_markdown(demo_db: Path, tmp_path: Path) -> None:
    everything = invoke(
        tmp_path,
        "--db",
        str(demo_db),
        "diff",
        "--source",
        "us_csl_entity_list",
        "--since",
        "2000-01-01",
    )
    assert "Summary: 11 added, 0 modified, 1 removed" in everything.stdout
    none = invoke(tmp_path, "--db", str(demo_db), "diff", "--from", "1000")
    assert "No changes" in none.stdout
    status = json.loads(invoke(tmp_path, "--db", str(demo_db), "status", "--json").stdout)
    assert all(s["last_outcome"] == "changed" for s in status["sources"])
    md = invoke(
        tmp_path,
        "--db",
        str(demo_db),
        "diff",
        "--source",
        "us_csl_entity_list",
        "--to",
        "1000",
        "--format",
        "markdown",
    )
    assert "| Sino IC Technology | CN |" in md.stdout
    bad = invoke(tmp_path, "--db", str(demo_db), "diff", "--since", "yesterday")
    assert bad.exit_code == 2 and "not a date" in bad.output
    both = invoke(tmp_path, "--db", str(demo_db), "diff", "--since", "2025-01-01", "--from", "1")
    assert both.exit_code == 2


def test_status_history_and_search(demo_db: Path, tmp_path: Path) -> None:
    status = json.loads(invoke(tmp_path, "--db", str(demo_db), "status", "--json").stdout)
    [csl] = [s for s in status["sources"] if s["source"] == "us_csl_entity_list"]
    assert csl["last_outcome"] == "changed" and csl["record_count"] == 15
    history = invoke(tmp_path, "--db", str(demo_db), "history", "CETC 13")
    assert "baseline" in history.stdout and "citation_added" not in history.stdout
    gone = invoke(tmp_path, "--db", str(demo_db), "history", "A.P. Finance")
    assert "removed" in gone.stdout
    missing = invoke(tmp_path, "--db", str(demo_db), "history", "No Such Entity Ltd")
    assert missing.exit_code == 1
    found = invoke(tmp_path, "--db", str(demo_db), "search", "fudan").stdout
    assert found.count("Fudan Microelectronics") >= 4
    assert found.count("(us_csl_entity_list)") == 4
    assert "Hebei Semiconductor" not in found
    alias = invoke(tmp_path, "--db", str(demo_db), "search", "Hebei Semiconductor").stdout
    assert CETC in alias


def test_config_show_names_origins(tmp_path: Path, fixture_server: FixtureServer) -> None:
    config = write_config(tmp_path / "c.toml", tmp_path / "x.db", fixture_server.url_for("/a"))
    result = invoke(tmp_path, "--config", str(config), "config", "show")
    assert result.exit_code == 0
    assert f"file {config}" in result.stdout
    assert "sources.us_csl_entity_list.min_records" in result.stdout


def test_run_exit_codes(tmp_path: Path, fixture_server: FixtureServer) -> None:
    db = tmp_path / "run.db"
    config = write_config(tmp_path / "c.toml", db, fixture_server.url_for("/c.csv"))
    fixture_server.set_route("/c.csv", CSL_BEFORE.read_bytes())
    first = invoke(tmp_path, "--config", str(config), "run")
    assert first.exit_code == 0 and "baseline" in first.stdout
    fixture_server.set_route("/c.csv", b"<html><body>Error</body></html>", content_type="text/html")
    assert invoke(tmp_path, "--config", str(config), "run").exit_code == 4
    fixture_server.set_route("/c.csv", b"", status=503)
    assert invoke(tmp_path, "--config", str(config), "run").exit_code == 3
    fixture_server.set_route("/c.csv", CSL_AFTER.read_bytes())
    changed = invoke(tmp_path, "--config", str(config), "run")
    assert changed.exit_code == 0 and "11 added, 0 modified, 1 removed" in changed.stdout
    unknown = invoke(tmp_path, "--config", str(config), "run", "--source", "nope")
    assert unknown.exit_code == 2 and "unknown source" in unknown.output


def test_python_dash_m_monitor_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--help"], capture_output=True, text=True, check=True
    )
    assert "ecmon" in result.stdout and "demo" in result.stdout


def test_diff_shows_sectors_and_watchlist_hits(demo_db: Path, tmp_path: Path) -> None:
    watchlist = Path(__file__).resolve().parents[2] / "fixtures" / "watchlist.example.toml"
    config = tmp_path / "w.toml"
    config.write_text(f'[analysis]\nwatchlist = "{watchlist}"\n', encoding="utf-8")
    result = invoke(
        tmp_path, "--config", str(config), "--db", str(demo_db), "diff", "--source",
        "us_csl_entity_list",
    )  # fmt: skip
    out = section(result.stdout, "us_csl_entity_list")
    assert "sectors: Semiconductors and integrated circuits (name: “Microelectronics”)" in out
    assert out.count("WATCHLIST HIT (new): your “Fudan Microelectronics Grp” (EX-001)") == 4
    assert "Fudan University" not in out


def test_console_output_strips_terminal_control_characters() -> None:
    """A name carrying an escape sequence cannot drive the reader's terminal."""
    from monitor.cli.console import printable, search_text
    from monitor.keys import record_key
    from monitor.models import Record

    hostile = "SYNTHETIC \x1b[2J\x1b]0;pwned\x07 Ltd\x9b"
    record = Record(record_key(hostile, "CN"), "el", hostile, "CN", {"name": hostile})
    shown = search_text([("us_csl_entity_list", record)])
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert printable("tab\tand newline\nkept") == "tab\tand newline\nkept"


def test_a_body_over_the_size_cap_exits_as_a_fetch_error(
    tmp_path: Path, fixture_server: FixtureServer
) -> None:
    config = write_config(
        tmp_path / "c.toml", tmp_path / "cap.db", fixture_server.url_for("/c.csv")
    )
    config.write_text(config.read_text().replace("[http]\n", "[http]\nmax_bytes = 100\n"))
    fixture_server.set_route("/c.csv", CSL_BEFORE.read_bytes())
    result = invoke(tmp_path, "--config", str(config), "run")
    assert "FAILED" in result.stdout
    assert result.exit_code == 3, result.output
