"""``ecmon links``, ``sectors``, ``screen`` and ``hits`` against the demo database, and the
change document's ``sectors`` and ``hits`` (validated against the JSON schema)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from click.testing import Result

from monitor.changeset import changes_document
from monitor.config import AnalysisSettings
from monitor.enrich import annotator, attributor
from monitor.store import Store
from monitor.testing.demo import run_demo
from tests.support import SEPT_2025_SEMICONDUCTORS, invoke_db, isolated_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "fixtures" / "watchlist.example.toml"
SCHEMA = json.loads((ROOT / "monitor/schemas/changes.schema.json").read_text(encoding="utf-8"))
# The 12 September additions join the rule filed that day that names them (public inspection).
SEPT_TRIGGER = "us:2025-99912"
SEMICONDUCTORS = set(SEPT_2025_SEMICONDUCTORS)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("analysis") / "demo.db"
    with Store.open(path) as store:
        result = run_demo(store, path, lambda _source, _step: None)
    return path, result.first_after_run


def ecmon(tmp_path: Path, db: Path, *args: str) -> Result:
    return invoke_db(db, *args, env=isolated_env(tmp_path))


def test_links_text_shows_the_september_chain_with_evidence(
    demo: tuple[Path, int], tmp_path: Path
) -> None:
    result = ecmon(tmp_path, demo[0], "links")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "BIS Entity List additions of 2025-09-12: 11 entities (CN 9, HK 2)" in text
    for number in ("商务部公告2025年第27号", "商务部公告2025年第50号"):
        assert f"-> 2025-09-13 (+1 day)  score 0.90  {number}" in text
    assert "explicit reference: US export controls ('出口管制规则')" in text
    assert "continued suspension 90天" in text and "names it: “继续暂停4月4日公告" in text


def test_links_json_and_since(demo: tuple[Path, int], tmp_path: Path) -> None:
    doc = json.loads(ecmon(tmp_path, demo[0], "links", "--format", "json").stdout)
    [group] = doc["links"]
    assert group["trigger"]["key"] == SEPT_TRIGGER and group["trigger"]["derived"] is False
    assert group["trigger"]["kind"] == "public_inspection"
    assert len(group["trigger"]["members"]) == 11  # each entity once (CSL and eCFR share keys)
    assert group["trigger"]["sector_counts"]["semiconductors"] == 9
    for response in group["responses"]:
        assert response["days"] == 1
        assert {e["kind"] for e in response["evidence"]} >= {"time", "sectors", "reference"}
    chains = {c["root_key"]: [s["verb"] for s in c["steps"]] for c in doc["chains"]}
    # 14 May, 12 August, then the 5 November answer of the demo's later stage.
    assert chains["cn:不可靠实体清单工作机制公告〔2025〕7号"] == [
        "suspension",
        "continued_suspension",
        "continued_suspension",
    ]
    assert chains["cn:不可靠实体清单工作机制公告〔2025〕5号"] == ["stop"]
    assert chains["cn:不可靠实体清单工作机制公告〔2025〕6号"] == ["stop"]
    recent = json.loads(
        ecmon(tmp_path, demo[0], "links", "--since", "2025-09-01", "--format", "json").stdout
    )
    assert [c["root_key"] for c in recent["chains"]] == [
        "cn:不可靠实体清单工作机制公告〔2025〕5号",
        "cn:不可靠实体清单工作机制公告〔2025〕6号",
        "cn:不可靠实体清单工作机制公告〔2025〕7号",
        "us:2025-19001",
    ]
    assert recent["query"] == {"since": "2025-09-01", "window_days": 14}
    narrow = json.loads(
        ecmon(tmp_path, demo[0], "links", "--window", "1", "--format", "json").stdout
    )
    assert len(narrow["links"][0]["responses"]) == 2
    bad = ecmon(tmp_path, demo[0], "links", "--since", "last week")
    assert bad.exit_code == 2


def test_sectors_of_the_new_entities(demo: tuple[Path, int], tmp_path: Path) -> None:
    result = ecmon(
        tmp_path, demo[0], "sectors", "--source", "us_csl_entity_list", "--format", "json"
    )
    records = json.loads(result.stdout)["records"]
    new = [
        r
        for r in records
        if r["name"] in SEMICONDUCTORS or "Suochen" in r["name"] or "CAS" in r["name"]
    ]
    assert len(new) == 11
    assert all(r["sectors"] for r in new)  # every new Chinese entity has a sector with evidence
    assert {
        r["name"] for r in new if any(s["sector"] == "semiconductors" for s in r["sectors"])
    } == SEMICONDUCTORS
    semis = ecmon(
        tmp_path, demo[0], "sectors", "--sector", "semiconductors", "--source", "us_csl_entity_list"
    ).stdout
    assert "Hong Kong Suochen" not in semis and "Sino IC Technology" in semis
    assert "name: 'IC' [acronym]" in semis
    untagged = ecmon(
        tmp_path, demo[0], "sectors", "--untagged", "--source", "us_csl_entity_list"
    ).stdout
    assert "32 Group China Ltd." in untagged and "Fudan" not in untagged
    assert "semiconductors" in ecmon(tmp_path, demo[0], "sectors", "--taxonomy").stdout
    assert ecmon(tmp_path, demo[0], "sectors", "--sector", "chips").exit_code == 2


def test_sector_overrides_from_the_config(demo: tuple[Path, int], tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.toml"
    overrides.write_text(
        '[[override]]\nkey = "a-c-international|CN"\nadd = ["logistics"]\n'
        'note = "analyst: trader"\n',
        encoding="utf-8",
    )
    config = tmp_path / "config.toml"
    config.write_text(f'[analysis]\nsector_overrides = "{overrides}"\n', encoding="utf-8")
    result = ecmon(tmp_path, demo[0], "--config", str(config), "sectors", "--sector", "logistics")
    assert "A.C. International" in result.stdout and "override: 'analyst: trader'" in result.stdout


def test_screen_then_decide(tmp_path: Path) -> None:
    db = tmp_path / "screen.db"
    with Store.open(db) as store:
        run_demo(store, db, lambda _source, _step: None)
    result = ecmon(tmp_path, db, "screen", "--watchlist", str(EXAMPLE), "--format", "json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    by_ref: dict[str, list[dict[str, object]]] = {}
    for hit in hits:
        by_ref.setdefault(str(hit["ref"]), []).append(hit)
    assert "EX-002" not in by_ref  # Fudan University
    assert {h["name"] for h in by_ref["EX-001"]} == {
        *(n for n in SEMICONDUCTORS if "Fudan" in n),
        # the rule on public inspection names the group too
        "Shanghai Fudan Microelectronics Group Co., Ltd. (named in FR Doc. 2025-99912)",
    }
    assert any(
        h["name"] == "通用动力公司（General Dynamics）" and h["score"] == 1.0
        for h in by_ref["EX-003"]
    )
    target = by_ref["EX-001"][0]["id"]
    dismissed = ecmon(tmp_path, db, "hits", "dismiss", str(target), "--note", "other firm")
    assert dismissed.exit_code == 0 and "dismissed" in dismissed.stdout
    again = ecmon(tmp_path, db, "screen", "--watchlist", str(EXAMPLE))
    assert "1 dismissed not shown" in again.stdout
    listed = json.loads(
        ecmon(tmp_path, db, "hits", "--status", "dismissed", "--format", "json").stdout
    )
    assert [h["id"] for h in listed] == [target]
    shown = ecmon(tmp_path, db, "hits", "show", str(target)).stdout
    assert "dismissed: other firm" in shown
    assert ecmon(tmp_path, db, "hits", "confirm", "9999").exit_code == 1


def test_screen_needs_a_watchlist(demo: tuple[Path, int], tmp_path: Path) -> None:
    result = ecmon(tmp_path, demo[0], "screen")
    assert result.exit_code == 2 and "no watchlist" in result.output


def test_the_change_document_carries_sectors_and_hits(demo: tuple[Path, int]) -> None:
    path, first_after = demo
    with Store.open(path) as store:
        changes = store.changes(from_run=first_after)
        doc = changes_document(
            changes,
            query={"from_run": first_after},
            generated_at=datetime(2025, 9, 13, tzinfo=UTC),
            source_titles={},
            attribute=attributor(store),
            annotate=annotator(store, AnalysisSettings(watchlist=str(EXAMPLE))),
        )
    jsonschema.validate(doc, SCHEMA)
    by_name = {(c["source"], c["name"]): c for c in doc["changes"]}
    fudan = by_name[("us_csl_entity_list", "Shanghai Fudan Microelectronics Group Co., Ltd.")]
    assert fudan["sectors"][0] == {
        "sector": "semiconductors",
        "label": "Semiconductors and integrated circuits",
        "field": "name",
        "matched": "Microelectronics",
        "rule": "term",
    }
    assert [h["ref"] for h in fudan["hits"]] == ["EX-001"]
    removed = by_name[("us_csl_entity_list", "A.P. Finance Limited")]
    assert removed["sectors"] == [] and "hits" not in removed
    broken = json.loads(json.dumps(doc))
    broken["changes"][0]["sectors"] = [{"sector": "x"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_screen_one_name_ad_hoc(demo: tuple[Path, int], tmp_path: Path) -> None:
    """`ecmon screen --name` screens one name like a watchlist entry and keeps nothing."""
    result = ecmon(
        tmp_path,
        demo[0],
        "screen",
        "--name",
        "Fudan Microelectronics Grp",
        "--country",
        "CN",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    names = {h["name"] for h in doc["hits"]}
    assert "Shanghai Fudan Microelectronics Group Co., Ltd." in names
    assert all(h["score"] >= doc["threshold"] for h in doc["hits"])
    assert doc["records"] > 0 and doc["country"] == "CN"
    with Store.open(demo[0]) as store:
        row = store.db.one("SELECT count(*) AS n FROM watch_hits WHERE ref = '--name'")
        assert row is not None and row["n"] == 0
    miss = ecmon(tmp_path, demo[0], "screen", "--name", "Fudan University")
    assert miss.exit_code == 0 and "0 hits at or above 0.85" in miss.stdout


def test_screen_name_refuses_a_country_that_is_not_a_code(
    demo: tuple[Path, int], tmp_path: Path
) -> None:
    result = ecmon(tmp_path, demo[0], "screen", "--name", "Huawei", "--country", "China")
    assert result.exit_code == 2 and "ISO 3166" in result.stderr


# --- one party on several lists (MFA, MOFCOM UEL and ECL) is one entity ----------------------


def test_history_shows_a_party_on_three_lists_as_one_entity(
    demo: tuple[Path, int], tmp_path: Path
) -> None:
    for query in ("BRINC Drones", "BRINC无人机公司", "mfa:brinc-drones-inc|US"):
        result = ecmon(tmp_path, demo[0], "history", query)
        assert result.exit_code == 0, result.output
        assert result.stdout.count("one entity on 3 lists") == 1, (query, result.stdout)
        for key in (
            "mfa:brinc-drones-inc|US",
            "uel:brinc-drones-inc|US",
            "ecl:brinc-drones-inc|US",
        ):
            assert key in result.stdout, (query, key)
        assert (
            "listed by cn:外交部令2024年第14号" in result.stdout
        )  # the MFA's decision of 2024-12-05


def test_screen_shows_a_party_on_several_lists_as_one_entity(
    demo: tuple[Path, int], tmp_path: Path
) -> None:
    result = ecmon(tmp_path, demo[0], "screen", "--name", "Shield AI", "--country", "US",
                   "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    hits = [h for h in json.loads(result.stdout)["hits"] if h["entity"] == "shield ai|US"]
    assert {h["list"] for h in hits} == {"mfa", "uel"}
    # the MFA decision itself is no second hit: its parties are screened as the list's entries
    assert not [h for h in json.loads(result.stdout)["hits"] if h["list"] == "action"]
    text = ecmon(tmp_path, demo[0], "screen", "--name", "Shield AI", "--country", "US").stdout
    [line] = [ln for ln in text.splitlines() if "one entity on 2 lists" in ln]
    assert "mfa" in line and "uel" in line
