"""Text defects found on the real MOFCOM texts (issue 12), each at the depth it lives:
names with 、 inside, a party named in a sentence, one phrase acting on several notices,
measures at the 一、/（一） levels, entries with branches, investigations."""

from __future__ import annotations

from monitor.sources.mofcom.classify import state_changes
from monitor.sources.mofcom.entities import inline_parties, investigated_parties, stated_count
from monitor.sources.mofcom.lists import derive_lists
from tests.sources.mofcom.pages import parse
from tests.support import FIXTURES

BRANCHES = FIXTURES / "cn_mofcom_synthetic" / "uel_branches.synthetic.txt"
UEL = "不可靠实体清单工作机制公告〔2025〕"


def test_a_name_with_a_dun_comma_inside_stays_one_entity() -> None:
    body = (
        "决定将参与对台湾地区军售的波音防务、空间与安全集团（Boeing Defense, Space & Security）、"
        "洛克希德·马丁公司（Lockheed Martin Corporation）列入不可靠实体清单"
    )
    assert [(p.zh, p.en) for p in inline_parties(body, "US").parties] == [
        ("波音防务、空间与安全集团", "Boeing Defense, Space & Security"),
        ("洛克希德·马丁公司", "Lockheed Martin Corporation"),
    ]


def test_a_dun_comma_after_an_organisation_name_without_english_separates() -> None:
    # 〔2025〕4号: PVH has no bracketed English, but 集团 ends an organisation's name.
    body = "决定将美国PVH集团、因美纳公司（Illumina, Inc.）列入不可靠实体清单。"
    assert [p.zh for p in inline_parties(body, "").parties] == ["美国PVH集团", "因美纳公司"]


def test_a_party_named_in_a_sentence_of_a_measure_notice() -> None:
    # 〔2025〕6号: "决定于2025年2月4日将美国因美纳公司（Illumina, Inc.）列入…"
    body = "工作机制决定于2025年2月4日将美国因美纳公司（Illumina, Inc.）列入不可靠实体清单。"
    parties = inline_parties(body, "").parties
    assert [(p.zh, p.en, p.country) for p in parties] == [
        ("美国因美纳公司", "Illumina, Inc.", "US")
    ]


def test_one_phrase_acting_on_several_notices_acts_on_each() -> None:
    for phrase in ("5号和6号", "5号、6号", "5号及6号"):
        text = f"自2025年11月10日起，停止（不可靠实体清单工作机制公告〔2025〕{phrase}）相关措施。"
        assert [c.code for c in state_changes(text)] == [f"stop:cn:{UEL}5号", f"stop:cn:{UEL}6号"]
    text = "暂停商务部公告2025年第13号和第21号相关措施"
    assert [c.target for c in state_changes(text)] == [
        "cn:商务部公告2025年第13号",
        "cn:商务部公告2025年第21号",
    ]


def test_chinese_numerals_in_a_stated_count() -> None:
    assert stated_count(["关于对通用原子航空系统公司等三家美国企业采取措施的公告"]) == 3
    assert stated_count(["上述两家实体违反正常的市场交易原则"]) == 2
    assert stated_count(["将十二家实体列入"]) == 12


def test_an_investigation_names_its_party() -> None:
    body = "决定对美国PVH集团针对涉疆产品涉嫌违反正常的市场交易原则，采取歧视性措施等问题启动调查。"
    parties = investigated_parties(body, "").parties
    assert [(p.zh, p.country) for p in parties] == [("美国PVH集团", "US")]


def test_an_entry_with_branches_is_one_entity_with_its_branches() -> None:
    action = parse(BRANCHES, "SYNTHETIC text (fixtures/cn_mofcom_synthetic)")
    assert action.get_tuple("parties_en") == (
        "Alpha Inc.",  # the English name kept, "及其分支机构" not part of the name
        "Alpha Japan KK",
        "Alpha Korea Ltd.",
        "Beta LLC",  # "-Alpha Inc." repeats the parent: not a second record
    )
    assert action.get_tuple("parties_zh") == ("甲公司", "", "", "乙公司")
    assert action.get_tuple("party_parents") == ("", "Alpha Inc.", "Alpha Inc.", "")
    assert (action.get_text("stated_count"), action.get_text("parsed_count")) == ("2", "2")
    assert action.get_tuple("review") == ()
    entries = derive_lists({action.key: action})
    keys = [e.key for e in entries]
    assert len(keys) == len(set(keys)) == 4
    alpha = next(e for e in entries if e.get_text("name_en") == "Alpha Inc.")
    assert alpha.get_text("name_zh") == "甲公司" and "分支" not in alpha.key
