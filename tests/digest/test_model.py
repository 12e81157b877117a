"""The digest model (pure): grouping by the action behind a listing, one entry per entity
across sources, headline counts, optional sectors / hits / links, source health and
recipient filters. Every record here is synthetic (names like "Example ...")."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.changeset import ChangesDocument
from monitor.digest.model import build_model, filter_document, health_key, subject
from monitor.digest.render import render_digest
from monitor.digest.types import ActionSummary, DigestModel, Group
from monitor.models import SourceStatus
from tests.digest.support import change, document, event, record

NOW = datetime(2025, 9, 13, 7, 0, tzinfo=UTC)
CSL, ECFR, MOFCOM = "us_csl_entity_list", "us_ecfr_entity_list", "cn_mofcom_announcements"
TITLES = {CSL: "BIS Entity List (CSL)", ECFR: "BIS Entity List (eCFR)", MOFCOM: "MOFCOM"}
SECTOR_TAG = {  # the sector tagger's JSON form: one item per piece of evidence
    "sector": "semiconductors",
    "label": "Semiconductors and integrated circuits",
    "field": "name",
    "matched": "Microelectronics",
    "rule": "term",
}
MICRO = record(
    "example-microelectronics|CN", "el", "Example Microelectronics Co.", "CN",
    start_date="2025-09-12", citations=[], license_policy="Presumption of denial.",
)  # fmt: skip
MICRO_ECFR = record("example-microelectronics|CN", "el", "Example Microelectronics Co.", "CN")
RULED = record(
    "example-avionics|RU", "el", "Example Avionics", "RU", citations=["90 FR 1"],
    start_date="2025-01-02",
)  # fmt: skip
RULE = {
    "action_key": "us:2025-00001",
    "instrument": "90 FR 1",
    "document_number": "2025-00001",
    "title": "Additions to the Entity List",
    "published": "2025-01-02",
    "url": "https://www.federalregister.gov/d/2025-00001",
    "evidence": "the entry cites 90 FR 1",
}
ANNOUNCEMENT = record(
    "cn:商务部公告2025年第99号", "action", "商务部公告2025年第99号 不可靠实体清单", "CN",
    kind="uel_addition", instrument="商务部公告2025年第99号", published="2025-09-13",
    effective="2025-09-13", url="https://www.mofcom.gov.cn/example/99.html",
    parties_zh=["示例防务公司"], parties_en=["Example Defense Inc."], party_countries=["US"],
    reasons=["为维护国家安全"],
)  # fmt: skip
UEL_ENTRY = record(
    "uel:example-defense-inc|US", "uel", "Example Defense Inc.", "US",
    name_zh="示例防务公司", name_en="Example Defense Inc.", status="active",
    listed_by="cn:商务部公告2025年第99号",
)  # fmt: skip
OLD_ANNOUNCEMENT = record(
    "cn:商务部公告2025年第1号", "action", "商务部公告2025年第1号", "CN",
    kind="ecl_addition", instrument="商务部公告2025年第1号", published="2025-01-02",
)  # fmt: skip
ECL_ENTRY = record(
    "ecl:example-drones|US", "ecl", "Example Drones", "US", name_zh="示例无人机公司",
    name_en="Example Drones", status="active", listed_by="cn:商务部公告2025年第1号",
)  # fmt: skip
UNDATED = record("example-trading|AE", "el", "Example Trading LLC", "AE")
MOVED_BEFORE = record("example-optics|CN", "el", "Example Optics", "CN", citations=["89 FR 5"])
MOVED_AFTER = record(
    "example-optics|CN", "el", "Example Optics", "CN", citations=["89 FR 5", "90 FR 9"]
)
GONE = record("example-finance|GB", "el", "Example Finance Ltd", "GB", citations=["76 FR 1"])
# The annotator's form of a watchlist hit; a dismissed one no longer counts.
HIT = {
    "ref": "w1",
    "watch_name": "Example Micro",
    "score": 0.93,
    "reason": "tokens",
    "status": "new",
    "id": None,
}
DISMISSED = {
    "ref": "w2",
    "watch_name": "Example M.",
    "score": 0.86,
    "reason": "tokens",
    "status": "dismissed",
    "id": 2,
}
LINK = {
    "trigger": event(
        "us:el-additions:2025-09-12",
        title="BIS Entity List additions of 2025-09-12: 2 entities (CN 2)",
        date="2025-09-12",
        jurisdiction="US",
        kind="el_additions",
        members=[f"{CSL}:example-microelectronics|CN"],
    ),
    "response": event("cn:商务部公告2025年第99号"),
    "days": 1,
    "score": 0.775,
    "evidence": [
        {"kind": "sectors", "text": "shared sectors: semiconductors", "weight": 0.3},
        {"kind": "time", "text": "1 day after the trigger", "weight": 0.25},
    ],
}


def full_document(**extra: Any) -> ChangesDocument:
    return document(
        change(1, "added", CSL, MICRO, sectors=[SECTOR_TAG], hits=[HIT, DISMISSED]),
        change(2, "added", ECFR, MICRO_ECFR),
        change(3, "added", CSL, RULED, attribution=RULE),
        change(4, "added", MOFCOM, ANNOUNCEMENT),
        change(5, "added", MOFCOM, UEL_ENTRY),
        change(6, "added", MOFCOM, ECL_ENTRY),
        change(7, "added", CSL, UNDATED),
        change(8, "modified", CSL, MOVED_AFTER, before=MOVED_BEFORE, field_rows=[
            {"field": "citations", "before": ["89 FR 5"], "after": ["89 FR 5", "90 FR 9"],
             "added": ["90 FR 9"], "removed": []}]),
        change(9, "removed", CSL, GONE, before=GONE),
        **extra,
    )  # fmt: skip


def status(source: str, **kw: Any) -> SourceStatus:
    values: dict[str, Any] = {
        "enabled": True,
        "last_outcome": "changed",
        "last_run_at": "2025-09-13T06:00:00+00:00",
        "last_success_at": "2025-09-13T06:00:00+00:00",
        "consecutive_failures": 0,
        "last_error": None,
        "record_count": 10,
    }
    return SourceStatus(source=source, **{**values, **kw})


def model_of(doc: ChangesDocument, statuses: list[SourceStatus] | None = None) -> DigestModel:
    return build_model(
        doc,
        actions={a["key"]: a for a in (OLD_ANNOUNCEMENT, ANNOUNCEMENT)},  # as stored
        statuses=statuses if statuses is not None else [status(CSL)],
        source_titles=TITLES,
        period={"label": "synthetic period", "first_change_id": None, "last_change_id": None},
        generated_at=NOW,
    )


def group(model: DigestModel, group_id: str) -> Group:
    return next(g for g in model["groups"] if g["id"] == group_id)


def action_of(model: DigestModel, group_id: str) -> ActionSummary:
    """The action a group is headed by (a group of a stated date has none: fails)."""
    action = group(model, group_id)["action"]
    assert action is not None, group_id
    return action


def test_the_same_entry_from_the_csl_and_the_ecfr_is_one_entity() -> None:
    model = model_of(full_document())
    [micro] = [
        e for g in model["groups"] for e in g["entities"] if e["name"].startswith("Example Micro")
    ]
    assert micro["sources"] == ["BIS Entity List (CSL)", "BIS Entity List (eCFR)"]
    assert micro["change_ids"] == [1, 2]
    assert model["headline"]["added"] == 5  # 6 added change rows, 5 entities


def test_new_listings_are_grouped_by_the_action_that_made_them() -> None:
    model = model_of(full_document())
    by_rule = action_of(model, "action:us:2025-00001")
    assert by_rule["instrument"] == "90 FR 1"
    assert by_rule["url"] == RULE["url"]
    assert by_rule["evidence"] == "the entry cites 90 FR 1"
    by_announcement = group(model, "action:cn:商务部公告2025年第99号")
    announcement = action_of(model, "action:cn:商务部公告2025年第99号")
    assert announcement["reasons"] == ["为维护国家安全"]
    assert announcement["parties"] == [
        {"zh": "示例防务公司", "en": "Example Defense Inc.", "country": "US"}
    ]
    assert [e["name_zh"] for e in by_announcement["entities"]] == ["示例防务公司"]
    # An announcement published before the period still names its listings (from `actions`).
    earlier = action_of(model, "action:cn:商务部公告2025年第1号")
    assert earlier["published"] == "2025-01-02"
    # No rule stored for these: grouped by the stated start date, and said so.
    by_date = group(model, "start:el:2025-09-12")
    assert by_date["heading"] == "BIS Entity List additions with start date 2025-09-12"
    assert "grouped by the start date" in by_date["note"]
    assert group(model, "list:el")["entities"][0]["name"] == "Example Trading LLC"
    # Newest group first.
    assert [g["date"] for g in model["groups"]] == sorted(
        (g["date"] for g in model["groups"]), reverse=True
    )


def test_headline_counts_by_list_country_and_sector_with_hits_first() -> None:
    model = model_of(full_document())
    head = model["headline"]
    assert (head["added"], head["modified"], head["removed"], head["actions"]) == (5, 1, 1, 1)
    assert {row["list"]: row["total"] for row in head["by_list"]} == {"el": 5, "ecl": 1, "uel": 1}
    assert head["by_country"][0] == {"country": "CN", "count": 2}
    assert head["by_sector"] == [{"sector": "Semiconductors and integrated circuits", "count": 1}]
    assert head["hits"] == 1
    [hit] = model["hits"]
    assert hit["hits"] == [
        {
            "id": "w1", "name": "Example Micro", "detail": "tokens", "note": "",
            "evidence": ["tokens"], "score": "0.93", "status": "new",
        }
    ]  # fmt: skip
    [tag] = hit["sectors"]
    assert tag["id"] == "semiconductors" and tag["detail"] == "name: “Microelectronics”"
    assert tag["evidence"] == ["name: “Microelectronics”"]
    assert subject(model, "[ecmon]").startswith("[ecmon] 1 WATCHLIST HIT; 5 new listings")


def test_modifications_carry_field_level_before_and_after_and_removals_their_citation() -> None:
    model = model_of(full_document())
    [moved] = model["modifications"]
    assert moved["fields"] == [
        {"field": "citations", "before": ["89 FR 5"], "after": ["89 FR 5", "90 FR 9"],
         "added": ["90 FR 9"], "removed": []}
    ]  # fmt: skip
    [gone] = model["removals"]
    assert {"label": "citation", "value": "76 FR 1"} in gone["evidence"]


def test_links_become_a_timeline_of_trigger_and_responses_with_evidence() -> None:
    model = model_of(full_document(links=[LINK]))
    [entry] = model["timeline"]
    assert entry["trigger"]["title"].startswith("BIS Entity List additions of 2025-09-12")
    assert entry["trigger"]["published"] == "2025-09-12"
    [response] = entry["responses"]
    assert response["action"]["instrument"] == "商务部公告2025年第99号"  # resolved from the doc
    assert response["score"] == "0.78" and response["days"] == "1"
    assert response["evidence"] == ["shared sectors: semiconductors", "1 day after the trigger"]


def test_sectors_hits_and_links_are_optional() -> None:
    doc = document(change(1, "added", CSL, MICRO), change(2, "added", MOFCOM, ANNOUNCEMENT))
    model = model_of(doc)
    assert model["headline"]["by_sector"] == [] and model["hits"] == []
    assert model["timeline"] == []
    assert model["groups"][0]["entities"][0]["sectors"] == []


def test_source_health_reports_failing_suspect_and_stale_sources() -> None:
    old = (NOW - timedelta(days=5)).isoformat()
    statuses = [
        status("ok"),
        status("broken", last_outcome="failed", consecutive_failures=3, last_error="HTTP 503"),
        status("odd", last_outcome="suspect", suspect_reason="count 12 below 1000"),
        status("quiet", last_outcome="not_modified", last_success_at=old),
        status("new", last_outcome=None, last_success_at=None),
        status("off", enabled=False, last_outcome="failed"),
    ]
    health = model_of(document(), statuses)["health"]
    assert [(p["source"], p["state"]) for p in health["problems"]] == [
        ("broken", "failing"), ("odd", "suspect"), ("quiet", "stale"), ("new", "stale"),
    ]  # fmt: skip
    assert health["problems"][0]["detail"] == "3 failed run(s) in a row: HTTP 503"
    assert health["healthy"] == [{"source": "ok", "title": "ok", "alert": "", "alert_since": ""}]
    assert (
        health_key(model_of(document(), statuses))
        == "broken:failing,odd:suspect,quiet:stale,new:stale"
    )


def test_an_empty_document_is_an_empty_digest() -> None:
    model = model_of(document())
    assert model["empty"] and model["groups"] == [] and model["actions"] == []
    assert subject(model, "[ecmon]") == "[ecmon] no changes - 2025-09-13"


@pytest.mark.parametrize(
    ("wanted", "names"),
    [
        ({"lists": ["uel"]}, {"Example Defense Inc."}),
        ({"lists": [MOFCOM]}, {"Example Defense Inc.", "Example Drones"}),
        ({"countries": ["ru"]}, {"Example Avionics"}),
        ({"sectors": ["semiconductors"]}, {"Example Microelectronics Co."}),
        ({"sectors": ["Semiconductors and integrated circuits"], "countries": ["US"]}, set()),
    ],
)
def test_recipient_filters(wanted: dict[str, list[str]], names: set[str]) -> None:
    model = model_of(filter_document(full_document(links=[LINK]), **wanted))
    shown = {e["name"] for g in model["groups"] for e in g["entities"]}
    assert shown == names


def test_a_filtered_digest_keeps_the_announcement_behind_a_kept_listing() -> None:
    doc = filter_document(full_document(links=[LINK]), lists=["uel"])
    model = model_of(doc)
    assert [a["key"] for a in model["actions"]] == ["cn:商务部公告2025年第99号"]
    assert len(model["timeline"]) == 1  # the link's response is a kept action
    # Who watches the Entity List sees the response to additions they were sent.
    entity_list = model_of(filter_document(full_document(links=[LINK]), lists=["el"]))
    [entry] = entity_list["timeline"]
    assert entry["trigger"]["kind_label"] == "Entity List additions"
    assert entry["responses"][0]["action"]["heading"] == "商务部公告2025年第99号"
    unrelated = model_of(filter_document(full_document(links=[LINK]), countries=["GB"]))
    assert unrelated["actions"] == [] and unrelated["timeline"] == []
    assert [e["name"] for e in unrelated["removals"]] == ["Example Finance Ltd"]


def test_the_model_is_plain_json_and_deterministic() -> None:
    first = json.dumps(model_of(full_document(links=[LINK])), sort_keys=True, ensure_ascii=False)
    second = json.dumps(model_of(full_document(links=[LINK])), sort_keys=True, ensure_ascii=False)
    assert first == second


def test_source_health_names_the_daemon_alerts() -> None:
    """Alert state from the daemon (store_health.statuses_with_alerts) reaches the digest."""
    since = "2026-11-20T06:00:00+00:00"
    statuses = [
        replace(
            status("broken", last_outcome="failed", consecutive_failures=3, last_error="HTTP 503"),
            details={"alert": "broken", "alert_since": since, "alert_reason": "3 failed runs"},
        ),
        replace(status("back"), details={"alert": "recovered", "alert_since": since}),
    ]
    model = model_of(document(), statuses)
    health = model["health"]
    assert health["problems"][0]["alert"] == "broken"
    assert health["healthy"][0]["alert"] == "recovered"
    text = render_digest(model, "text")
    assert f"FAILING: broken (broken alert sent {since})" in text
    assert f"RECOVERED: back (since {since})" in text


def test_what_every_entity_of_an_announcement_states_is_said_once_at_it() -> None:
    measures = "禁止向上述实体出口两用物项"
    entries = [
        record(
            f"uel:example-{n}|US", "uel", f"Example {n} Inc.", "US", status="active",
            measures=measures, status_since=since, listed_by="cn:商务部公告2025年第99号",
        )
        for n, since in (("one", "2025-09-13"), ("two", "2025-09-13"), ("three", "2025-09-14"))
    ]  # fmt: skip
    hit = [{"ref": "w1", "watch_name": "Example One", "reason": "tokens", "score": 0.9,
            "status": "new"}]  # fmt: skip
    doc = document(
        change(1, "added", MOFCOM, entries[0], hits=hit),
        *(change(i + 2, "added", MOFCOM, e) for i, e in enumerate(entries[1:])),
    )
    model = model_of(doc)
    [group] = model["groups"]
    assert group["shared"] == [
        {"label": "seen by ecmon", "value": "2025-09-13"},  # all three came in one run
        {"label": "status", "value": "active"}, {"label": "measures", "value": measures},
    ]  # fmt: skip
    assert group["sources"] == ["MOFCOM"]
    assert [e["evidence"] for e in group["entities"]] == [
        [{"label": "status since", "value": "2025-09-13"}],
        [{"label": "status since", "value": "2025-09-14"}],
        [{"label": "status since", "value": "2025-09-13"}],
    ]
    # The hit keeps its whole evidence: it is shown on its own, above the groups.
    [shown] = model["hits"]
    assert {"label": "measures", "value": measures} in shown["evidence"]
    for fmt in ("text", "markdown", "html"):
        assert render_digest(model, fmt).count(measures) == 2, fmt  # the hit, and the group


def test_a_list_filter_keeps_the_acts_that_concern_the_list() -> None:
    """An investigation answering a listing, a suspension naming the UEL: kept for a reader
    of the Chinese lists; an investigation answering nothing is not (issue 15)."""
    probe = record(
        "cn:商务部公告2025年第98号", "action", "商务部公告2025年第98号 反倾销立案调查", "CN",
        kind="anti_dumping", instrument="商务部公告2025年第98号", jurisdiction="CN",
    )  # fmt: skip
    pause = record(
        "cn:工作机制公告〔2025〕7号", "action", "不可靠实体清单工作机制公告〔2025〕7号", "CN",
        kind="continued_suspension", instrument="不可靠实体清单工作机制公告〔2025〕7号",
    )  # fmt: skip
    answer = {**LINK, "response": event("cn:商务部公告2025年第98号", jurisdiction="CN")}
    changes = (change(20, "added", MOFCOM, probe), change(21, "added", MOFCOM, pause))
    linked = filter_document(document(*changes, links=[answer]), lists=["ecl"])
    assert [c["key"] for c in linked["changes"]] == ["cn:商务部公告2025年第98号"]
    assert len(linked["links"]) == 1
    alone = filter_document(document(*changes), lists=["ecl", "uel"])
    assert [c["key"] for c in alone["changes"]] == ["cn:工作机制公告〔2025〕7号"]
    assert filter_document(document(*changes, links=[answer]), lists=["el"])["changes"] == []
