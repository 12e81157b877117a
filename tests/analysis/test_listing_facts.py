"""Link events read the CSL's entries as their listing facts (key, list, name, country,
start date, citations; no whole Record built), and the whole record only for the groups
they tag: the same facts, links and chains as reading every record whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.enrich import links_report
from monitor.models import Record
from monitor.store import Store
from monitor.store import analysis as store_analysis
from tests.digest.support import build_demo_db

CSL = store_analysis.CSL_SOURCE


def test_listing_facts_and_links_equal_reading_every_record_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = build_demo_db(tmp_path / "demo.db")
    with Store.open(db) as store:
        whole = list(store.accepted_records(CSL).values())
        light = store_analysis.listing_facts(store, CSL)
        assert len(whole) > 10

        def facts(record: Record) -> tuple[object, ...]:
            return (
                record.key,
                record.list_name,
                record.name,
                record.country,
                record.get_text("start_date"),
                record.get_tuple("citations"),
            )

        assert [facts(r) for r in light] == [facts(r) for r in whole]
        assert any(r.get_tuple("citations") for r in light)
        report = links_report(store)
        monkeypatch.setattr(
            store_analysis,
            "listing_facts",
            lambda store, source: list(store.accepted_records(source).values()),
        )
        from_whole = links_report(store)
    assert report.links and report.links == from_whole.links
    assert report.chains == from_whole.chains
