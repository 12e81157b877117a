"""The 19 real MOFCOM texts (ammitto/data-cn archive) read by ecmon, against
``truth/mofcom_texts.toml`` (written by hand from the raw texts; see its header).

Per text: 文号, dates, kind, parties (zh and en, aligned), stated vs parsed count, measures and
the notices it acts on. After all texts: the derived UEL and ECL status of every entity.
How the truth's notation is put in ecmon's terms is in ``mofcom_reading.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from monitor.models import Record
from monitor.sources.mofcom.lists import derive_lists
from tests.realdata import mofcom_reading as cn
from tests.realdata import report
from tests.realdata.conftest import realdata_file


def test_the_truth_describes_every_text_and_quotes_it_verbatim() -> None:
    realdata_file(f"{cn.FOLDER}/{cn.files()[0]}")
    assert cn.files() == cn.on_disk()
    for name in cn.files():
        text = realdata_file(f"{cn.FOLDER}/{name}").read_text("utf-8")
        entry = cn.TRUTH["files"][name]
        for party in entry["parties"]:  # each name, then its bracketed English, as written
            english = rf"\s*[（(]{re.escape(party['en'])}[）)]" if party["en"] else ""
            assert re.search(re.escape(party["zh"]) + english, text), (name, party)
        for item in entry["measures"]:
            assert item in text, (name, item)
        assert entry["title"] in text and entry["number"] in text, name


@pytest.mark.parametrize("name", cn.files())
def test_each_text_reads_as_the_truth_says(name: str) -> None:
    realdata_file(f"{cn.FOLDER}/{name}")
    entry = cn.TRUTH["files"][name]
    expected = cn.fields(entry)
    found = cn.found(cn.action(name), entry)
    row = report.record(
        report.FileRow(
            cn.SOURCE,
            f"{cn.FOLDER}/{name}",
            "文号, dates, kind, parties, counts, measures, acts on",
            len(entry["parties"]),
            _same_parties(expected, found),
        )
    )
    for what, value in expected.items():
        report.compare(row, what, value, found[what])
    assert row.misses == []


def _same_parties(expected: dict[str, object], found: dict[str, object]) -> int:
    want, got = expected["parties (zh, en)"], found["parties (zh, en)"]
    assert isinstance(want, list) and isinstance(got, list)
    return sum(1 for party in want if party in got)


@pytest.fixture(scope="module")
def derived() -> list[Record]:
    realdata_file(f"{cn.FOLDER}/{cn.files()[0]}")
    actions = {cn.action(name).key: cn.action(name) for name in cn.files()}
    assert len(actions) == len(cn.files())  # every text is one action
    return derive_lists(actions)


def _key_of(name: str) -> str:
    return cn.action(name).key


def _expected_entities() -> list[dict[str, Any]]:
    """Every entity of both lists after all texts: the truth's UEL rows, and one ECL row per
    party of each ECL listing (the truth says all 99 are active, set by their own file)."""
    status = cn.TRUTH["derived_status"]
    rows = [{"list": "uel", **row} for row in status["uel"]]
    for listing in status["ecl_by_announcement"]:
        entry = cn.TRUTH["files"][listing["listed_by"]]
        for party in entry["parties"]:
            rows.append(
                {
                    "list": "ecl",
                    "zh": party["zh"],
                    "en": party["en"],
                    "listed_by": listing["listed_by"],
                    "listed_on": listing["listed_on"],
                    "status": listing["status"],
                    "status_set_by": listing["listed_by"],
                }
            )
    return rows


def _listing_party(row: dict[str, Any]) -> dict[str, Any]:
    """The party of the listing text the truth's row stands for (its zh as written there)."""
    entry = cn.TRUTH["files"][row["listed_by"]]
    return next(
        p
        for p in entry["parties"]
        if row["zh"] in (p["zh"], p.get("zh_name")) and cn.folded(p["en"]) == cn.folded(row["en"])
    )


def test_derived_status_of_every_entity_after_all_texts(derived: list[Record]) -> None:
    expected = _expected_entities()
    status = cn.TRUTH["derived_status"]
    row = report.record(
        report.FileRow(
            cn.SOURCE,
            f"{cn.FOLDER}/ (all {len(cn.files())} texts)",
            "derived UEL and ECL status of every entity",
            len(expected),
            0,
        )
    )
    report.compare(row, "entities", len(expected), len(derived))
    counts = Counter((e.list_name, e.get_text("status")) for e in derived)
    for list_name in ("uel", "ecl"):
        for state in ("active", "suspended", "stopped", "removed"):
            want = status[f"{list_name}_{state}"]
            report.compare(row, f"{list_name} {state}", want, counts[(list_name, state)])
    for want in expected:
        party = _listing_party(want)
        name = cn.folded(party["en"]) or party["zh"]
        match = [
            e
            for e in derived
            if e.list_name == want["list"]
            and (e.get_text("name_en") or e.get_text("name_zh")) == name
        ]
        if len(match) != 1:
            row.miss(f"{want['list']} {name}: {len(match)} records")
            continue
        row.found += 1
        entity, where = match[0], f"{want['list']} {name}"
        report.compare(row, f"{where} name_zh", party["zh"], entity.get_text("name_zh"))
        report.compare(row, f"{where} status", want["status"], entity.get_text("status"))
        report.compare(
            row, f"{where} listed_by", _key_of(want["listed_by"]), entity.get_text("listed_by")
        )
        report.compare(row, f"{where} listed_on", want["listed_on"], entity.get_text("listed_on"))
        report.compare(
            row,
            f"{where} status set by",
            _key_of(want["status_set_by"]),
            entity.get_text("status_action"),
        )
        if "measure_by" in want:
            measures = cn.TRUTH["files"][want["measure_by"]]["measures"]
            got = entity.get_text("measures")
            report.compare(
                row, f"{where} measures", True, all(cn.measure(m) in got for m in measures)
            )
    assert row.misses == []


def test_an_entity_warned_but_not_listed_is_not_on_the_list(derived: list[Record]) -> None:
    for warned in cn.TRUTH["derived_status"]["mentioned_not_listed"]:
        assert not [e for e in derived if warned["zh"] in e.get_text("name_zh")], warned
