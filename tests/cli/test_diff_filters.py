"""`ecmon diff`'s filters on the demo database: the list's own date beside detection time
(--effective-since/--effective-until), and --list/--country/--sector (issue 15)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from monitor.changeset import ChangeDict, ChangesDocument
from tests.support import FIXTURES, demo_database, invoke, invoke_db

SCHEMA = json.loads(
    (FIXTURES.parent / "monitor/schemas/changes.schema.json").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_database(tmp_path_factory.mktemp("filters"))


def changes(db: Path, *args: str) -> ChangesDocument:
    result = invoke_db(db, "diff", "--since", "2000-01-01", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    return doc


def dated_day(change: ChangeDict) -> str:
    """The day of a change's list date (a change without one fails the test)."""
    dated = change["list_date"]
    assert dated is not None, change["key"]
    return dated["date"][:10]


def test_every_change_carries_its_list_date(demo: Path) -> None:
    doc = changes(demo)
    dated = {
        (c["source"], c["key"]): c["list_date"] for c in doc["changes"] if c["kind"] == "added"
    }
    sino = "sino-ic-technology|CN"
    assert dated[("us_ecfr_entity_list", sino)] == {"date": "2025-09-16", "basis": "eCFR amendment"}
    assert dated[("us_csl_entity_list", sino)] == {"date": "2025-09-12", "basis": "CSL start_date"}
    assert dated[("us_federal_register", "us:2025-99912")] == {
        "date": "2025-09-12",
        "basis": "filed for public inspection",
    }
    announced = dated[("cn_mofcom_announcements", "cn:商务部公告2025年第27号")]
    assert announced is not None and announced["date"].startswith("2025-09-13")
    # Detection time is the fixture run's, not the lists' dates.
    assert all(not c["provenance"]["fetched_at"].startswith("2025-") for c in doc["changes"])


def test_effective_range_selects_by_the_lists_dates(demo: Path) -> None:
    whole = changes(demo)
    doc = changes(demo, "--effective-since", "2025-09-13", "--effective-until", "2025-09-16")
    days = {dated_day(c) for c in doc["changes"]}
    assert days and all("2025-09-13" <= d <= "2025-09-16" for d in days)
    sources = {c["source"] for c in doc["changes"]}
    assert "us_ecfr_entity_list" in sources  # amended 2025-09-16
    assert "us_csl_entity_list" not in sources  # start date 2025-09-12
    expected = [
        c
        for c in whole["changes"]
        if c["list_date"] and "2025-09-13" <= c["list_date"]["date"][:10] <= "2025-09-16"
    ]
    assert len(doc["changes"]) == len(expected)
    summary = doc["summary"]
    assert summary["added"] + summary["modified"] + summary["removed"] == len(doc["changes"])
    assert doc["query"]["effective_since"] == "2025-09-13"
    assert {s["name"] for s in doc["sources"]} == sources


def test_list_country_and_sector_filters(demo: Path) -> None:
    hk = changes(demo, "--list", "el", "--country", "hk")
    assert {c["name"] for c in hk["changes"] if c["list"] == "el"} == {
        "Hong Kong Suochen Information Technology",
        "Shanghai Fudan Microelectronics (HK) Co., Ltd.",
    }
    assert all(c["list"] == "el" or c["list"] == "action" for c in hk["changes"])
    semis = changes(demo, "--sector", "semiconductors", "--list", "el")
    names = {c["name"] for c in semis["changes"] if c["list"] == "el"}
    assert "Sino IC Technology" in names and "Hong Kong Suochen Information Technology" not in names
    assert changes(demo, "--sector", "semiconductors", "--list", "ecl")["summary"] == {
        "added": 0,
        "modified": 0,
        "removed": 0,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--sector", "semis"), "'semis' is unknown"),
        (("--list", "xyz"), "'xyz' is unknown"),
        (("--country", "China"), "'China' is unknown"),
        (("--effective-since", "last week"), "not a date"),
    ],
)
def test_unknown_filter_values_fail_loudly(demo: Path, args: tuple[str, ...], message: str) -> None:
    result = invoke_db(demo, "diff", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_the_help_names_the_filters() -> None:
    text = invoke("diff", "--help").output
    for option in ("--effective-since", "--effective-until", "--list", "--country", "--sector"):
        assert option in text
    assert "list's own date" in text


def test_the_csv_carries_the_list_date_in_its_last_columns(demo: Path) -> None:
    result = invoke_db(demo, "diff", "--since", "2000-01-01", "--source", "us_ecfr_entity_list",
                       "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    header = result.stdout.splitlines()[0].split(",")
    assert header[-2:] == ["list_date", "list_date_basis"]
    sino = next(r for r in rows if r["name"] == "Sino IC Technology")
    assert (sino["list_date"], sino["list_date_basis"]) == ("2025-09-16", "eCFR amendment")
