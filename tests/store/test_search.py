"""Finding things: Chinese substrings (trigram index), and `history` by alias or by
Chinese name, on the demo database."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.store import Store
from tests.support import demo_database
from tests.support import invoke_db as ecmon


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_database(tmp_path_factory.mktemp("search"))


def test_search_finds_a_chinese_substring(demo_db: Path) -> None:
    with Store.open(demo_db) as store:
        names = {record.name for _, record in store.search("无人机")}
        two = {record.name for _, record in store.search("无人")}  # shorter than a trigram
        both = {record.name for _, record in store.search("brinc 无人机")}
        none = store.search("无人机 zzzz")
    assert {"BRINC Drones,Inc.", "BRINC Drones, Inc."} <= names
    assert names <= two
    assert both and all(n.startswith("BRINC") for n in both)
    assert none == []


def test_like_wildcards_in_a_query_match_only_themselves(demo_db: Path) -> None:
    with Store.open(demo_db) as store:
        assert store.search("无_机") == []  # "_" is not "any character"


def test_history_finds_an_entity_by_chinese_name(demo_db: Path) -> None:
    result = ecmon(demo_db, "history", "赛博勒克斯公司")
    assert result.exit_code == 0, result.output
    assert "Cyberlux Corporation" in result.stdout


def test_history_finds_an_entity_by_alias(demo_db: Path) -> None:
    # An alias of the 54th Research Institute in the CSL fixture, not its name.
    result = ecmon(demo_db, "history", "Shijiazhuang Communication Observation")
    assert result.exit_code == 0, result.output
    assert "54th Research Institute of China" in result.stdout


def test_history_of_an_unknown_name_says_so(demo_db: Path) -> None:
    result = ecmon(demo_db, "history", "无此公司")
    assert result.exit_code == 1 and "No entity matches" in result.stdout


def test_a_read_only_database_with_a_stale_index_is_still_searched(
    demo_db: Path, tmp_path: Path
) -> None:
    """`history` opens the database read-only; a stale search index cannot be rebuilt
    there, so the search scans the records instead of writing (or missing changes)."""
    copy = tmp_path / "stale.db"
    copy.write_bytes(demo_db.read_bytes())
    with Store.open(copy) as store, store.db.transaction("test") as cur:
        cur.execute("UPDATE search_state SET stale = 1")
    with Store.open_read_only(copy) as store:
        names = {record.name for _, record in store.search("brinc")}
        chinese = {record.name for _, record in store.search("无人机")}
    assert "BRINC Drones,Inc." in names and "BRINC Drones,Inc." in chinese
    result = ecmon(copy, "history", "No Such Entity Ltd")
    assert result.exit_code == 1 and "No entity matches" in result.stdout
