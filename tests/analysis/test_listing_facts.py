"""Link events read the CSL's entries as their listing facts (key, list, name, country,
start date, citations; no whole Record built), and the whole record only for the groups
they tag: the same facts, links and chains as reading every record whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.analysis.attribution import attribute_by_name, naming_actions, party_names
from monitor.enrich import links_report
from monitor.keys import fold_name
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


def test_the_name_index_picks_the_action_attribute_by_name_picks(tmp_path: Path) -> None:
    """``naming_actions`` (built once per fold of the groups) answers every name as
    ``attribute_by_name`` (a pass over every action per name) does."""
    db = build_demo_db(tmp_path / "demo.db")
    with Store.open(db) as store:
        actions = [record for _, record in store_analysis.actions(store)]
        names = [n for a in actions for n in party_names(a)]
        names += [r.name for r in store_analysis.listing_facts(store, CSL)]
    names += ["", "  ", "Nobody Ltd"]
    assert len(actions) > 10 and len(names) > 50
    index = naming_actions(actions)
    for name in names:
        found = attribute_by_name(name, actions)
        assert index.get(fold_name(name)) == (found.action if found else None), name
