"""The list's own date of a record, by source and kind (literal records)."""

from __future__ import annotations

from monitor.actions import action_record
from monitor.listdates import ListDate, list_date
from monitor.models import Record


def entry(**fields: str) -> Record:
    return Record(key="k", list_name="el", name="Example Co.", country="CN", fields=fields)


def action(jurisdiction: str, kind: str, **fields: str) -> Record:
    return action_record(key="x:1", kind=kind, jurisdiction=jurisdiction, title="t", fields=fields)


def test_an_ecfr_snapshot_dates_its_entries_by_the_amendment() -> None:
    found = list_date("us_ecfr_entity_list", entry(), "2025-09-16")
    assert found == ListDate("2025-09-16", "eCFR amendment")
    assert str(found) == "2025-09-16 (eCFR amendment)"


def test_a_csl_entry_by_its_start_date_and_nothing_stated_is_none() -> None:
    assert list_date("us_csl_entity_list", entry(start_date="2025-09-12")) == ListDate(
        "2025-09-12", "CSL start_date"
    )
    assert list_date("us_csl_entity_list", entry()).date == ""


def test_rules_and_acts() -> None:
    rule = action("US", "entity_list_rule", published="2025-09-30", effective="2025-09-29")
    assert list_date("us_federal_register", rule) == ListDate(
        "2025-09-30", "published, effective 2025-09-29"
    )
    filed = action("US", "public_inspection", announced="2025-09-12")
    assert list_date("us_federal_register", filed) == ListDate(
        "2025-09-12", "filed for public inspection"
    )
    mofcom = action("CN", "ecl_addition", published="2025-04-09", effective="2025-04-10T12:01")
    assert list_date("cn_mofcom_announcements", mofcom) == ListDate(
        "2025-04-10T12:01", "effective"
    )
