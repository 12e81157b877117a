"""``ecmon export`` on the demo database: one row per entity with provenance, the list as
it stood at a past moment, and FollowTheMoney output validated by the ``followthemoney``
package itself."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import Result

from tests.support import demo_database
from tests.support import invoke_db as ecmon

FUDAN = "Shanghai Fudan Microelectronics Group Co., Ltd."
REMOVED = "A.P. Finance Limited"  # removed between the demo's stages (synthetic, fixture README)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_database(tmp_path_factory.mktemp("export"))


def rows(result: Result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_entity_list_is_one_row_per_entity_with_provenance(demo_db: Path) -> None:
    found = rows(ecmon(demo_db, "export", "--list", "el"))
    keys = [r["key"] for r in found]
    assert len(keys) == len(set(keys)), "an entity seen by CSL and eCFR must be one row"
    fudan = next(r for r in found if r["name"] == FUDAN)
    assert fudan["reported_by"] == "us_csl_entity_list; us_ecfr_entity_list"
    assert fudan["country"] == "CN" and fudan["list_date"] == "2025-09-12"
    # Provenance read back independently from the runs table.
    with sqlite3.connect(demo_db) as conn:
        runs = {row[0]: row[1] for row in conn.execute("SELECT raw_sha256, url FROM runs")}
    assert runs[fudan["raw_sha256"]] == fudan["source_url"]
    assert REMOVED not in {r["name"] for r in found}


def test_uel_rows_carry_status_and_both_names(demo_db: Path) -> None:
    found = rows(ecmon(demo_db, "export", "--list", "uel"))
    brinc = next(r for r in found if r["name"].startswith("BRINC"))
    assert brinc["other_names"] == "BRINC无人机公司"
    assert brinc["status"] == "suspended"
    assert brinc["listed_by"] == "cn:不可靠实体清单工作机制公告〔2025〕7号"


def test_as_of_gives_the_list_as_it_stood(demo_db: Path, tmp_path: Path) -> None:
    """Runs of the demo's first stage are dated 2025-09-10 and of the second 2025-09-20
    (a copy of the database); as of 2025-09-15 the list is the first stage's."""
    copy = tmp_path / "dated.db"
    shutil.copy(demo_db, copy)
    with sqlite3.connect(copy) as conn:
        (first_after,) = conn.execute(
            "SELECT min(id) FROM runs WHERE url LIKE '%/after/%'"
        ).fetchone()
        conn.execute(
            "UPDATE runs SET finished_at = CASE WHEN id < ? THEN '2025-09-10T08:00:00+00:00'"
            " ELSE '2025-09-20T08:00:00+00:00' END",
            (first_after,),
        )
    before = {
        r["name"] for r in rows(ecmon(copy, "export", "--list", "el", "--as-of", "2025-09-15"))
    }
    after = {r["name"] for r in rows(ecmon(copy, "export", "--list", "el"))}
    assert REMOVED in before and REMOVED not in after
    assert FUDAN in after and FUDAN not in before
    early = ecmon(copy, "export", "--list", "el", "--as-of", "2025-01-01")
    assert (
        early.exit_code == 1
        and "no el entities" in early.stderr
        and "as of 2025-01-01" in early.stderr
    )


def test_ftm_entities_validate_with_followthemoney(demo_db: Path) -> None:
    ftm = pytest.importorskip("followthemoney")
    from followthemoney import model

    result = ecmon(demo_db, "export", "--list", "uel", "--format", "ftm")
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert objects, "no entities written"
    ids = set()
    for obj in objects:
        proxy = model.get_proxy(obj, cleaned=False)  # raises on an unknown schema or property
        for prop, values in obj["properties"].items():
            declared = proxy.schema.get(prop)
            assert declared is not None, f"{obj['schema']} has no property {prop!r}"
            ptype = declared.type
            for value in values:
                assert ptype.validate(value), (
                    f"{obj['schema']}.{prop}: {value!r} is not a valid {ptype.name}"
                )
        ids.add(obj["id"])
    sanctions = [o for o in objects if o["schema"] == "Sanction"]
    parties = [o for o in objects if o["schema"] != "Sanction"]
    assert len(sanctions) == len(parties) > 0
    assert all(s["properties"]["entity"][0] in ids for s in sanctions)
    assert ftm.__name__ == "followthemoney"


def test_json_keeps_every_field_and_the_moment(demo_db: Path) -> None:
    result = ecmon(demo_db, "export", "--list", "ecl", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["list"] == "ecl" and doc["as_of"] is None
    assert doc["count"] == len(doc["entities"]) > 0
    assert all(
        "fields" in e and e["reported_by"] == ["cn_mofcom_announcements"] for e in doc["entities"]
    )


def test_a_list_never_fetched_is_an_error_not_an_empty_file(demo_db: Path) -> None:
    result = ecmon(demo_db, "export", "--list", "dpl")
    assert result.exit_code == 1
    assert "no dpl entities" in result.stderr and "lists held: ecl, el, mfa, uel" in result.stderr
    assert result.stdout == ""


def test_unknown_list_is_refused(demo_db: Path) -> None:
    result = ecmon(demo_db, "export", "--list", "xyz")
    assert result.exit_code == 2 and "xyz" in result.output
