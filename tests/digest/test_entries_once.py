"""An entry two sources report (the CSL and the eCFR both report the Entity List) is shown
once: a second report with the same field changes is not repeated; one that states the change
in other fields is shown under its source, saying it is the entry above.

The demo's fixtures no longer hold a modification reported by both sources (CETC 13's
87 FR 77505 of December 2022 is in the baseline: the demo serves nothing outside its real
time), so the document here is the demo's golden JSON with its two reports of the A.P.
Finance removal turned into modifications: SYNTHETIC field changes, real everything else."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import cast

from monitor.changeset import ChangesDocument
from monitor.digest.render import entries_once, render_changes

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "demo_diff.json"
KEY = "a-p-finance-limited|GB"
CSL_FIELDS: list[dict[str, object]] = [
    {
        "field": "citations",
        "before": ["76 FR 50407"],
        "after": ["76 FR 50407", "90 FR 1"],
        "added": ["90 FR 1"],
        "removed": [],
    }
]


def document(ecfr_fields: list[dict[str, object]]) -> ChangesDocument:
    doc = json.loads(GOLDEN.read_text(encoding="utf-8"))
    reports = [c for c in doc["changes"] if c["key"] == KEY]
    assert [c["source"] for c in reports] == ["us_csl_entity_list", "us_ecfr_entity_list"]
    for report, fields in zip(reports, (CSL_FIELDS, ecfr_fields), strict=True):
        report["kind"] = "modified"
        report["fields"] = copy.deepcopy(fields)
        report["labels"] = ["citation_added"]
        report["after"] = report["before"]
    doc["changes"] = reports
    return cast(ChangesDocument, doc)


def test_a_second_report_stating_the_change_otherwise_is_shown_as_the_same_entry() -> None:
    ecfr = [{**CSL_FIELDS[0], "field": "federal_register_notice"}]
    doc = document(ecfr)
    once = entries_once(doc)
    [csl, second] = doc["changes"]
    assert once["also"] == {second["id"]: "CSL"} and once["repeats"] == []
    assert once["modified"] == 1 and once["reporters"] == {csl["id"]: "CSL and eCFR"}
    text = render_changes(doc, "text")
    assert text.count("A.P. Finance Limited") == 2
    assert "the entry above (under CSL), as this source states its change" in text


def test_a_second_report_with_the_same_fields_is_not_repeated() -> None:
    doc = document(CSL_FIELDS)
    once = entries_once(doc)
    assert once["also"] == {} and once["repeats"] == [doc["changes"][1]["id"]]
    text = render_changes(doc, "text")
    assert "the entry above" not in text and text.count("A.P. Finance Limited") == 1
