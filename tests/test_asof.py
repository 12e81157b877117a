"""As-of commands on the eCFR mirror served from 127.0.0.1: the list on two dates,
backfill of amendment dates, and agreement with the CSL over the same period."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from monitor.testing.fixture_server import FixtureServer
from tests.support import CSL, FIXTURES, write_sources_config
from tests.support import invoke_config as invoke

ECFR = "us_ecfr_entity_list"


def kinds_and_keys(output: str, source: str) -> set[tuple[str, str]]:
    document = json.loads(output)
    return {(c["kind"], c["key"]) for c in document["changes"] if c["source"] == source}


def test_date_diff_matches_the_csl_diff_and_is_cached(tmp_path: Path) -> None:
    db = tmp_path / "asof.db"
    with FixtureServer(root=FIXTURES) as server:
        config = write_sources_config(
            tmp_path / "c.toml",
            db,
            {
                ECFR: server.url_for(f"{ECFR}/later"),
                CSL: server.url_for(f"{CSL}/before/consolidated.csv"),
            },
        )
        dated = invoke(
            config,
            "diff",
            "--source",
            ECFR,
            "--from",
            "2025-09-11",
            "--to",
            "2025-09-16",
            "--format",
            "json",
        )
        assert dated.exit_code == 0, dated.output
        ecfr_changes = kinds_and_keys(dated.stdout, ECFR)
        full_fetches = [r for r in server.requests if "/full/" in r.path]
        assert len(full_fetches) == 2

        again = invoke(
            config,
            "diff",
            "--source",
            ECFR,
            "--from",
            "2025-09-11",
            "--to",
            "2025-09-16",
            "--format",
            "json",
        )
        assert kinds_and_keys(again.stdout, ECFR) == ecfr_changes
        assert len([r for r in server.requests if "/full/" in r.path]) == 2, "dates are cached"

        assert invoke(config, "run", "--source", CSL).exit_code == 0
        config.write_text(config.read_text().replace(f"{CSL}/before/", f"{CSL}/after/"))
        assert invoke(config, "run", "--source", CSL).exit_code == 0
        csl = invoke(config, "diff", "--source", CSL, "--format", "json")
    csl_changes = kinds_and_keys(csl.stdout, CSL)
    assert ecfr_changes == csl_changes
    assert len([k for k, _ in ecfr_changes if k == "added"]) == 11


def test_backfill_stores_amendments_in_order(tmp_path: Path) -> None:
    db = tmp_path / "backfill.db"
    with FixtureServer(root=FIXTURES) as server:
        config = write_sources_config(
            tmp_path / "c.toml", db, {ECFR: server.url_for(f"{ECFR}/later")}
        )
        result = invoke(config, "backfill", "--source", ECFR, "--since", "2025-01-01")
        assert result.exit_code == 0, result.output
        assert "2025-01-16: baseline" in result.stdout
        assert "2025-09-16: 11 added, 0 modified, 1 removed" in result.stdout
        assert "date 2 of 2: 2025-09-16" in result.stderr
        # The regular run now finds the newest date already accepted: nothing fetched.
        before = len(server.requests)
        run = invoke(config, "run", "--source", ECFR)
        assert run.exit_code == 0 and "not modified" in run.stdout
        assert not [r for r in server.requests[before:] if "/full/" in r.path]
        again = invoke(config, "backfill", "--source", ECFR, "--since", "2025-01-01")
        assert again.stdout.count("kept for comparisons") == 2
    history = invoke(config, "history", "Sino IC Technology")
    [added] = [line for line in history.stdout.splitlines() if " added " in line]
    # The list's own date is the amendment's, not the day of the backfill (issue 15).
    seen, _kind, source, *_rest = added.split()
    assert source == ECFR and not seen.startswith("2025-09-16")
    assert added.endswith("list date 2025-09-16 (eCFR amendment)"), added


def test_dates_need_a_dated_source(tmp_path: Path) -> None:
    config = write_sources_config(tmp_path / "c.toml", tmp_path / "x.db", {})
    result = invoke(config, "diff", "--source", CSL, "--from", "2025-09-11", "--to", "2025-09-16")
    assert result.exit_code == 2
    assert "cannot show past dates" in result.output
    missing = invoke(config, "diff", "--from", "2025-09-11", "--to", "2025-09-16")
    assert missing.exit_code == 2


def test_bis_change_is_attributed_to_its_federal_register_rule(tmp_path: Path) -> None:
    schema = json.loads((FIXTURES.parent / "monitor/schemas/changes.schema.json").read_text())
    with FixtureServer(root=FIXTURES) as server:
        config = write_sources_config(
            tmp_path / "c.toml",
            tmp_path / "rules.db",
            {
                ECFR: server.url_for(f"{ECFR}/later"),
                "us_federal_register": server.url_for("us_federal_register/later"),
            },
        )
        assert invoke(config, "run", "--source", "us_federal_register").exit_code == 0
        args = ["diff", "--source", ECFR, "--from", "2025-01-15", "--to", "2025-01-16"]
        text = invoke(config, *args).stdout
        document = json.loads(invoke(config, *args, "--format", "json").stdout)
    assert "+ Beijing Zhipu Huazhang Technology Co., Ltd. [CN]" in text
    assert "rule: 90 FR 4617 (FR Doc. 2025-00704)" in text
    jsonschema.validate(document, schema)
    [zhipu] = document["changes"]
    assert zhipu["attribution"]["document_number"] == "2025-00704"
    assert "90 FR 4619" in zhipu["attribution"]["evidence"]
