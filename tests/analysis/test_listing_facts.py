"""Link events read the CSL's entries as their listing facts (key, list, name, country,
start date, citations; no whole Record built), and the whole record only for the groups
they tag: the same facts, links and chains as reading every record whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.analysis.attribution import attribute_by_name, naming_actions, party_names
from monitor.analysis.link_events import build_events, may_respond
from monitor.analysis.links import RESPONSE_KINDS
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
            lambda store, source, remember=False: list(store.accepted_records(source).values()),
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


def test_links_only_equal_the_full_reports_links(tmp_path: Path) -> None:
    """The digest asks for links without chains (``chains=False``): the same links."""
    db = build_demo_db(tmp_path / "demo.db")
    with Store.open(db) as store:
        full = links_report(store)
        only = links_report(store, chains=False)
    assert full.links and full.chains
    assert only.links == full.links and only.chains == ()


def test_may_respond_picks_the_actions_links_pair_with_triggers(tmp_path: Path) -> None:
    """``may_respond`` (read from the record, no tags) holds for exactly the actions whose
    events ``find_links`` offers to triggers: non-US, dated, of a responding kind."""
    db = build_demo_db(tmp_path / "demo.db")
    with Store.open(db) as store:
        held = store_analysis.actions(store)
    _triggers, responses = build_events(held, [], lambda source, record: ())
    offered = {e.key for e in responses if e.kind in RESPONSE_KINDS}
    assert offered and len(offered) < len(held)
    assert {a.key for _, a in held if may_respond(a)} == offered


def test_with_nothing_to_answer_a_trigger_no_list_entry_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When no action held can respond (a CSL-only database holds none), links-only
    reads no list additions: there can be no link, and the full report agrees."""
    db = build_demo_db(tmp_path / "demo.db")
    with Store.open(db) as store:
        us_only = [(s, a) for s, a in store_analysis.actions(store) if not may_respond(a)]
        assert us_only
        monkeypatch.setattr(store_analysis, "actions", lambda store: us_only)
        full = links_report(store)

        def unread(store: Store) -> list[object]:
            raise AssertionError("list additions read for links no action can answer")

        monkeypatch.setattr(store_analysis, "list_additions", unread)
        only = links_report(store, chains=False)
    assert full.links == only.links == ()
