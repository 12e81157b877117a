"""Countermeasure links and chains on literal records: the time window (never backwards,
never the same day), the evidence a link needs, derived BIS triggers, and chains."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.actions import action_record
from monitor.analysis.chains import find_chains
from monitor.analysis.link_events import all_events, build_events
from monitor.analysis.links import ListAddition, find_links
from monitor.analysis.sectors import SectorTag, classify_record, default_taxonomy
from monitor.models import FieldValue, Record

TAXONOMY = default_taxonomy()


def tags(_source: str, record: Record) -> tuple[SectorTag, ...]:
    return classify_record(record, TAXONOMY)


def bis_entry(
    name: str, country: str = "CN", start: str = "2025-09-12", **more: FieldValue
) -> Record:
    fields: dict[str, FieldValue] = {"name": name, "start_date": start, "citations": ()}
    fields.update(more)
    return Record(
        key=f"{name}|{country}", list_name="el", name=name, country=country, fields=fields
    )


def cn_action(key: str, kind: str, published: str, body: str, **more: FieldValue) -> Record:
    return action_record(
        key=key,
        kind=kind,
        jurisdiction="CN",
        title=key,
        fields={"published": published, "body": body, "instrument": key, **more},
    )


def additions(*records: Record) -> list[ListAddition]:
    return [
        ListAddition("us_csl_entity_list", r, r.get_text("start_date"), "CSL start_date")
        for r in records
    ]


SEPT = additions(
    bis_entry("Shanghai Fudan Microelectronics Group Co., Ltd."),
    bis_entry("Sino IC Technology"),
    bis_entry("Shanghai Fudan Microelectronics (HK) Co., Ltd.", country="HK"),
)
ANTI_DUMPING = cn_action(
    "cn:ad",
    "anti_dumping",
    "2025-09-13",
    "商务部决定对原产于美国的进口相关模拟芯片进行反倾销立案调查。",
    party_countries=("US",),
)


def links_for(
    actions: Sequence[Record], found: Sequence[ListAddition] = SEPT, window: int = 14
) -> list[tuple[str, str]]:
    triggers, responses = build_events([("s", a) for a in actions], found, tags)
    return [(k.trigger.key, k.response.key) for k in find_links(triggers, responses, window)]


def test_derived_trigger_groups_additions_by_announcement_day() -> None:
    triggers, _ = build_events([], SEPT, tags)
    [event] = triggers
    assert event.key == "us:el-additions:2025-09-12"
    assert event.title == "BIS Entity List additions of 2025-09-12: 3 entities (CN 2, HK 1)"
    assert event.date == "2025-09-12" and event.derived
    assert dict(event.sector_counts) == {"semiconductors": 3}


def test_ecfr_additions_join_the_csl_group_of_the_same_key() -> None:
    ecfr = [
        ListAddition("us_ecfr_entity_list", a.record, "2025-09-16", "eCFR valid for") for a in SEPT
    ]
    triggers, _ = build_events([], [*SEPT, *ecfr], tags)
    assert [(t.date, len(t.members)) for t in triggers] == [("2025-09-12", 3)]


def test_a_response_the_next_day_links_with_every_kind_of_evidence() -> None:
    triggers, responses = build_events([("s", ANTI_DUMPING)], SEPT, tags)
    [link] = find_links(triggers, responses)
    assert link.days == 1
    kinds = {e.kind: e.text for e in link.evidence}
    assert set(kinds) == {"time", "sectors", "reference", "country"}
    assert "semiconductors" in kinds["sectors"] and "'芯片'" in kinds["sectors"]
    assert "chips ('芯片')" in kinds["reference"]
    assert link.score == 0.9


def test_never_backwards_never_the_same_day_never_outside_the_window() -> None:
    for published in ("2025-09-11", "2025-09-12", "2025-09-27"):
        action = cn_action("cn:x", "anti_dumping", published, "相关模拟芯片，原产于美国")
        assert links_for([action]) == [], published
    late = cn_action("cn:x", "anti_dumping", "2025-09-20", "相关模拟芯片，原产于美国")
    assert links_for([late]) != []
    assert links_for([late], window=7) == []  # the window is configurable


def test_time_and_country_alone_never_link() -> None:
    drones = cn_action(
        "cn:uel",
        "uel_addition",
        "2025-09-13",
        "将某某无人机公司列入不可靠实体清单。",
        party_countries=("US",),
    )
    assert links_for([drones]) == []


def test_china_own_lists_and_laws_are_not_references_to_us_measures() -> None:
    own = cn_action(
        "cn:ecl",
        "ecl_addition",
        "2025-09-13",
        "根据《中华人民共和国出口管制法》，将其列入出口管制管控名单和不可靠实体清单。",
    )
    assert links_for([own]) == []
    named = cn_action("cn:ecl2", "ecl_addition", "2025-09-13", "针对美方将中国实体列入实体清单。")
    assert links_for([named]) == [("us:el-additions:2025-09-12", "cn:ecl2")]


def test_suspensions_are_chain_steps_not_responses() -> None:
    suspension = cn_action("cn:s", "suspension", "2025-09-13", "暂停相关芯片措施")
    assert links_for([suspension]) == []


def test_a_rule_we_hold_absorbs_the_group_its_citations_point_at() -> None:
    rule = action_record(
        key="us:2025-00704",
        kind="entity_list_rule",
        jurisdiction="US",
        title="Addition of Entities to the Entity List",
        fields={
            "published": "2025-01-16",
            "volume": "90",
            "start_page": "4617",
            "end_page": "4620",
        },
    )
    zhipu = bis_entry(
        "Beijing Zhipu Huazhang Technology (Zhipu AI)",
        start="2025-01-16",
        citations=("90 FR 4619",),
    )
    triggers, _ = build_events([("us_federal_register", rule)], additions(zhipu), tags)
    [event] = triggers
    assert event.key == "us:2025-00704"
    assert "advanced_computing_ai" in {t.sector for t in event.sectors}
    assert any("BIS Entity List additions of 2025-01-16" in n for n in event.notes)


def test_chains_follow_verbs_with_the_clause_that_names_the_target() -> None:
    added = cn_action(
        "cn:7",
        "uel_addition",
        "2025-04-04",
        "列入不可靠实体清单",
        instrument="不可靠实体清单工作机制公告〔2025〕7号",
    )
    suspended = cn_action(
        "cn:s",
        "suspension",
        "2025-05-14",
        "自2025年5月14日起，暂停4月4日公告（不可靠实体清单工作机制〔2025〕7号）相关措施90天，另有安排。",
        verbs=("suspension:cn:7",),
        verb_terms=("90天",),
        refers_to=("cn:7",),
    )
    early = cn_action("cn:e", "stop", "2025-03-01", "停止〔2025〕7号", verbs=("stop:cn:7",))
    records = [added, suspended, early]
    triggers, responses = build_events([("s", r) for r in records], [], tags)
    [chain] = find_chains(records, all_events(triggers, responses))
    [step] = chain.steps
    assert (step.verb, step.term, step.days) == ("suspension", "90天", 40)
    assert step.evidence == "暂停4月4日公告（不可靠实体清单工作机制〔2025〕7号）相关措施90天"
    assert chain.problems and "dated before it" in chain.problems[0]  # never chained backwards


# --- MFA decisions (real texts of fixtures/cn_mfa_countermeasures/texts) ---------------------

# The US act the 2024-05-22 decision names ("以所谓涉俄罗斯因素为由对多家中国实体滥施非法单边
# 制裁"): BIS's Entity List additions of 9 May 2024, 37 Chinese entities, for shipping US
# items to Russia, aiding China's military or quantum capabilities, or the 2023 balloon (facts
# from cmtradelaw.com, 2024-05; its FR document is not held, so the record is keyed by date).
BIS_2024_05_09 = action_record(
    key="us:el-additions-2024-05-09",
    kind="entity_list_rule",
    jurisdiction="US",
    title="Additions to the Entity List (37 entities under China)",
    fields={
        "published": "2024-05-09",
        "reasons": (
            "shipped U.S. controlled items to Russia",
            "attempted to acquire controlled items to aid China's military modernization or"
            " quantum technologies capabilities",
        ),
        "country_counts": ("CN=37",),
    },
)


def test_an_mfa_decision_links_to_the_us_listing_it_names() -> None:
    from tests.sources.mfa.pages import fixture_text

    decision = fixture_text("anti-sanction-list__20240522.md")
    assert "us_sanctions" in decision.get_tuple("triggers")
    triggers, responses = build_events([("us", BIS_2024_05_09), ("mfa", decision)], [], tags)
    [link] = find_links(triggers, responses)
    assert (link.trigger.key, link.response.key) == (BIS_2024_05_09.key, "cn:外交部令2024年第7号")
    assert link.days == 13 and link.score >= 0.5
    evidence = {e.kind: e.text for e in link.evidence}
    assert (
        "US sanctions on Chinese parties ('对多家中国实体滥施非法单边制裁')"
        in evidence["reference"]
    )
    assert "both state Russia" in evidence["reference"]
    assert "defence" in evidence["sectors"]


def test_an_mfa_decision_answering_an_arms_sale_is_not_a_reply_to_a_rule() -> None:
    from tests.sources.mfa.pages import fixture_text

    decision = fixture_text("anti-sanction-list__20240918.md")  # 向中国台湾地区出售武器
    assert decision.get_tuple("triggers") == ("arms_sale_taiwan",)
    rule = action_record(
        key="us:x", kind="entity_list_rule", jurisdiction="US", title="Additions",
        fields={"published": "2024-09-16", "reasons": ("China's military modernization",),
                "country_counts": ("CN=3",)},
    )  # fmt: skip
    triggers, responses = build_events([("us", rule), ("mfa", decision)], [], tags)
    assert find_links(triggers, responses) == []
    # the same decision with no stated trigger would pass on sector, time and country alone
    bare = Record(decision.key, decision.list_name, decision.name, decision.country,
                  {**decision.fields, "triggers": ()}, decision.meta)  # fmt: skip
    triggers, responses = build_events([("us", rule), ("mfa", bare)], [], tags)
    assert len(find_links(triggers, responses)) == 1


def test_with_a_window_only_groups_that_can_link_or_fold_are_tagged() -> None:
    """Tag once (issue 17): building link events tags the members of a group only when a
    response can follow it within the window or a rule absorbs it; the links are the
    same as when every group is tagged."""
    old = additions(
        *(bis_entry(f"Old Entity {n} Microelectronics", start="2019-05-01") for n in range(5))
    )
    rule = action_record(
        key="us:2025-00704",
        kind="entity_list_rule",
        jurisdiction="US",
        title="Addition of Entities to the Entity List",
        fields={
            "published": "2025-01-16",
            "volume": "90",
            "start_page": "4617",
            "end_page": "4620",
        },
    )
    folded = additions(bis_entry("Zhipu AI", start="2025-01-16", citations=("90 FR 4619",)))
    asked: list[str] = []

    def counting(source: str, record: Record) -> tuple[SectorTag, ...]:
        asked.append(record.name)
        return tags(source, record)

    held = [("s", ANTI_DUMPING), ("us_federal_register", rule)]
    every = build_events(held, [*old, *SEPT, *folded], tags)
    triggers, responses = build_events(held, [*old, *SEPT, *folded], counting, 14)
    assert not any(name.startswith("Old Entity") for name in asked)
    assert {a.record.name for a in SEPT} | {"Zhipu AI"} <= set(asked)
    pairs = [(k.trigger, k.response, k.score) for k in find_links(triggers, responses, 14)]
    assert pairs == [(k.trigger, k.response, k.score) for k in find_links(*every, 14)]
    assert pairs
    [absorbed] = [t for t in triggers if t.key == "us:2025-00704"]
    assert absorbed == next(t for t in every[0] if t.key == "us:2025-00704")
