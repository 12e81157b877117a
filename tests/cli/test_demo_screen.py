"""The first screen of ``ecmon demo`` and where its database lives.

The first 15 lines (stdout and stderr as a terminal shows them) tell the story: the BIS
additions of 12 September 2025 with count, countries and sectors, MOFCOM's two answers of
13 September "+1 day" each with its evidence, what is pending (after the 5 November answer of
the later stage), counts with each entity once.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import Result

from monitor.store import Store
from tests import support


def invoke(*args: str) -> Result:
    return support.invoke(*args, env=dict(os.environ))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    db = tmp_path_factory.mktemp("screen") / "demo.db"
    result = invoke("--db", str(db), "demo")
    assert result.exit_code == 0, result.output
    return db, result


def test_the_first_15_lines_tell_the_story(first_run: tuple[Path, Result]) -> None:
    head = first_run[1].output.splitlines()[:15]
    text = "\n".join(head)
    [bis] = [line for line in head if "BIS added" in line]
    assert bis.startswith("2025-09-12  BIS added 11 entities to the Entity List (CN, HK)")
    assert "semiconductors 9" in bis and "aerospace 1" in bis and "industrial software 1" in bis
    assert "reported by CSL and eCFR" in text
    answers = [i for i, line in enumerate(head) if "+1 day  2025-09-13" in line]
    assert len(answers) == 2
    assert "商务部公告2025年第27号" in head[answers[0]] and "anti-dumping" in head[answers[0]]
    assert "商务部公告2025年第50号" in head[answers[1]]
    assert "anti-discrimination" in head[answers[1]]
    for i in answers:  # the strongest evidence, on the line under each answer
        assert head[i + 1].lstrip().startswith("evidence: explicit reference:")
    assert "chips ('芯片')" in head[answers[0] + 1]
    assert "shared sector semiconductors (9 of 11)" in head[answers[0] + 1]
    pending = head.index("Pending (suspended, not stopped):")
    # The 5 November answer (the later stage) continued the suspension for a year.
    assert "〔2025〕7号: continued suspension 1年 from 2025-11-05" in head[pending + 1]
    # One entity reported by CSL and eCFR counts once: 11 added, not 22.
    assert "Counts, each entity once: BIS lists +11 −1 (reported by CSL and eCFR)" in text
    # Nos. 27 and 50 and the 5 November answer; the 22 UEL entries that answer moved.
    assert "MOFCOM ~22 entries, +3 acts" in text
    assert "[before]" not in text  # the run log comes after the story


def test_the_demo_names_its_database_and_the_next_commands_work(
    first_run: tuple[Path, Result], tmp_path: Path
) -> None:
    db, result = first_run
    assert f"ecmon --db {db} links" in result.stdout
    assert f"demo database: {db}" in result.stderr
    links = invoke("--db", str(db), "links")
    assert links.exit_code == 0 and "商务部公告2025年第50号" in links.stdout
    out = tmp_path / "digest.html"
    digest = invoke("--db", str(db), "digest", "--format", "html", "--output", str(out))
    assert digest.exit_code == 0, digest.output
    assert "Fudan" in out.read_text(encoding="utf-8")


def test_the_default_demo_database_is_in_the_user_data_dir(tmp_path: Path) -> None:
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    expected = Path(os.environ["XDG_DATA_HOME"]) / "ecmon" / "demo.db"
    assert expected.is_file() and f"demo database: {expected}" in result.stderr


def test_running_the_demo_twice_replaces_the_previous_demo(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert invoke("demo", "--db", str(db)).exit_code == 0
    again = invoke("demo", "--db", str(db))
    assert again.exit_code == 0, again.output
    assert f"(replaced the previous demo in {db}: 12 runs)" in again.stdout
    assert "suspect" not in again.output
    assert "BIS lists +11 −1" in again.stdout
    with Store.open(db) as store:
        # a fresh demo (5 baselines, 4 sources in September, eCFR/FR/MOFCOM later), not the
        # fixtures diffed against themselves
        assert len(store.runs()) == 12


def test_the_demo_refuses_a_database_with_real_runs_and_leaves_it_alone(tmp_path: Path) -> None:
    db = tmp_path / "ecmon.db"
    assert invoke("demo", "--db", str(db)).exit_code == 0
    with sqlite3.connect(db) as conn:  # a run from a real publisher, as `ecmon run` stores one
        conn.execute("UPDATE runs SET url = 'https://data.trade.gov/x.csv' WHERE id = 1")
    conn.close()
    before = db.read_bytes()
    refused = invoke("--db", str(db), "demo")
    assert refused.exit_code == 2
    assert "did not come from the demo" in refused.output and "us_csl_entity_list" in refused.output
    assert db.read_bytes() == before


def test_the_per_list_detail_shows_an_entry_reported_by_csl_and_ecfr_once(
    first_run: tuple[Path, Result],
) -> None:
    text = first_run[1].stdout
    detail = text.split("== Per-list detail ==", 1)[1]
    assert detail.count("+ Sino IC Technology [CN]") == 1
    assert "ADDED (11), each reported by CSL and eCFR" in detail
    assert "ADDED: the 11 listed above, reported here too" in detail
    assert "REMOVED: the 1 listed above, reported here too" in detail
    # 11 BIS entries, 1 MFA entry and 7 acts added; the 22 UEL entries the 5 November answer
    # moved (CETC 13's 87 FR 77505 of December 2022 is in the baseline; a second report
    # stating a modification otherwise: tests/digest/test_entries_once.py).
    assert "Summary: 19 added, 22 modified, 1 removed (each entry once:" in detail
