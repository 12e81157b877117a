"""Sector tags: the taxonomy as data, bilingual cues, HS codes, evidence, listing
inheritance, party-name masking and analyst overrides."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.actions import action_record
from monitor.analysis.sectors import (
    apply_overrides,
    classify_record,
    default_taxonomy,
    parse_overrides,
    parse_taxonomy,
    scan,
    tags_to_dicts,
)
from monitor.analysis.taxonomy import normalise
from monitor.errors import ConfigError
from monitor.models import Record

TAXONOMY = default_taxonomy()
ISSUE_SECTORS = {
    "semiconductors",
    "advanced_computing_ai",
    "biotech",
    "aerospace",
    "quantum",
    "timing_navigation",
    "industrial_software",
    "logistics",
    "defence",
    "drones",
    "maritime",
    "telecommunications",
    "surveillance",
    "rare_earths",
    "batteries_energy",
}


def entry(name: str, **fields: str | tuple[str, ...]) -> Record:
    return Record(
        key=f"{name.casefold()}|CN",
        list_name="el",
        name=name,
        country="CN",
        fields={"name": name, **fields},
    )


def sectors_of(record: Record, listing: Record | None = None) -> set[str]:
    return {t.sector for t in classify_record(record, TAXONOMY, listing)}


def test_the_taxonomy_has_every_sector_of_the_issue_with_both_languages() -> None:
    assert set(TAXONOMY.ids()) == ISSUE_SECTORS
    for sector in TAXONOMY.sectors:
        rules = {c.rule for c in TAXONOMY.cues if c.sector == sector.id}
        assert {"term", "term_zh"} <= rules, sector.id
        assert sector.name and sector.name_zh


@pytest.mark.parametrize(
    ("name", "sector"),
    [
        ("Shanghai Fudan Microelectronics Group Co., Ltd.", "semiconductors"),
        ("GMC Semiconductor Technology (Wuxi) Co.", "semiconductors"),
        ("Sino IC Technology", "semiconductors"),
        ("上海复旦微电子集团股份有限公司", "semiconductors"),
        ("某某集成电路有限公司", "semiconductors"),
        ("某某芯片公司", "semiconductors"),
        ("相关模拟芯片", "semiconductors"),
        ("某某生物科技", "biotech"),
        ("某某基因公司", "biotech"),
        ("中国科学院空天信息创新研究院", "aerospace"),
        ("某某遥感公司", "aerospace"),
        ("某某量子科技", "quantum"),
        ("某某物流公司", "logistics"),
        ("某某无人机公司", "drones"),
        ("某某稀土公司", "rare_earths"),
        ("Saiho Quantum Technology", "quantum"),
        ("Beijing Zhipu Huazhang Technology (Zhipu AI)", "advanced_computing_ai"),
    ],
)
def test_english_and_chinese_cues(name: str, sector: str) -> None:
    assert sector in sectors_of(entry(name))


@pytest.mark.parametrize(
    "name",
    [
        "Hong Kong Suochen Information Technology",  # known name: industrial software only
        "Aerospace Information Research Institute, CAS",
        "Electronic Trading Co.",  # "IC" must not match inside a word
        "Basic Ic Holdings",  # acronyms are exact case
        "A.C. International",
    ],
)
def test_names_that_are_not_semiconductors(name: str) -> None:
    assert "semiconductors" not in sectors_of(entry(name))


def test_evidence_names_the_field_and_the_matched_text() -> None:
    record = entry("Hebei Research", aliases=("Hebei Semiconductor Research Institute",))
    [tag] = classify_record(record, TAXONOMY)
    assert tag.sector == "semiconductors"
    assert (tag.evidence[0].field, tag.evidence[0].matched, tag.evidence[0].rule) == (
        "aliases",
        "Semiconductor",
        "term",
    )
    [item] = tags_to_dicts((tag,), TAXONOMY)
    assert item == {
        "sector": "semiconductors",
        "label": "Semiconductors and integrated circuits",
        "field": "aliases",
        "matched": "Semiconductor",
        "rule": "term",
    }


def test_known_names_carry_their_note() -> None:
    [tag] = classify_record(entry("Shanghai Fuwei Xunjie Digital Technology Co., Ltd."), TAXONOMY)
    assert tag.sector == "semiconductors"
    assert tag.evidence[0].rule == "known" and "复旦微电子" in tag.evidence[0].note


def test_full_width_text_is_normalised() -> None:
    assert "semiconductors" in sectors_of(entry("ＳＩＮＯ ＩＣ"))  # NFKC folds the width


def test_hs_codes_and_products_tag_an_action() -> None:
    action = action_record(
        key="cn:ad",
        kind="anti_dumping",
        jurisdiction="CN",
        title="关于对原产于美国的进口相关产品进行反倾销立案调查的公告",
        fields={"hs_codes": ("85423990",), "products": ("相关模拟芯片",)},
    )
    [tag] = classify_record(action, TAXONOMY)
    assert tag.sector == "semiconductors"
    fields = {(e.field, e.matched, e.rule) for e in tag.evidence}
    assert ("hs_codes", "85423990", "hs") in fields
    assert ("products", "芯片", "term_zh") in fields


def uel_notice() -> Record:
    return action_record(
        key="cn:uel-1",
        kind="uel_addition",
        jurisdiction="CN",
        title="关于对洛克希德·马丁导弹与火控公司等美国企业采取措施的公告",
        fields={
            "body": "决定将参与对台湾地区军售的洛克希德·马丁导弹与火控公司、某某无人机公司列入清单",
            "parties_en": ("Lockheed Martin Missiles and Fire Control", "Some Drone Co"),
            "parties_zh": ("洛克希德·马丁导弹与火控公司", "某某无人机公司"),
        },
    )


def test_an_action_reports_party_cues_as_the_parties_not_as_its_body() -> None:
    tags = {t.sector: t for t in classify_record(uel_notice(), TAXONOMY)}
    assert {e.field for e in tags["drones"].evidence} <= {"parties_en", "parties_zh"}
    body = [e for e in tags["defence"].evidence if e.field == "body"]
    assert [e.matched for e in body] == ["军售"]  # 导弹 is inside a party's name: masked


def test_a_listed_entry_inherits_only_what_its_notice_says_of_all_parties() -> None:
    unrelated = Record(
        key="uel:x|US", list_name="uel", name="Some Software Co", country="US", fields={}
    )
    tags = {t.sector: t for t in classify_record(unrelated, TAXONOMY, uel_notice())}
    assert set(tags) == {"defence", "industrial_software"}  # 军售 from the notice; its own name
    [inherited] = tags["defence"].evidence
    assert inherited.rule == "listing" and inherited.field == "body of cn:uel-1"
    assert "drones" not in tags  # another party's name is not passed on


def test_overrides_set_add_and_remove_with_evidence() -> None:
    data = {
        "override": [
            {"key": "a|CN", "set": ["logistics"], "note": "analyst: a freight forwarder"},
            {"key": "b|CN", "source": "us_csl_entity_list", "add": ["quantum"]},
            {"key": "b|CN", "remove": ["semiconductors"]},
        ]
    }
    overrides = parse_overrides(data, TAXONOMY, origin="overrides.toml")
    chip = classify_record(entry("Chip Co"), TAXONOMY)
    set_tags = apply_overrides(chip, overrides, source="any", key="a|CN")
    assert [t.sector for t in set_tags] == ["logistics"]
    assert set_tags[0].evidence[0].rule == "override"
    assert set_tags[0].evidence[0].matched == "analyst: a freight forwarder"
    adjusted = apply_overrides(chip, overrides, source="us_csl_entity_list", key="b|CN")
    assert [t.sector for t in adjusted] == ["quantum"]
    other_source = apply_overrides(chip, overrides, source="us_ecfr_entity_list", key="b|CN")
    assert [t.sector for t in other_source] == []  # the remove applies to every source


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"key": "a", "set": ["chips"]}, "unknown sector 'chips'"),
        ({"set": ["quantum"]}, "needs a text 'key'"),
        ({"key": "a", "sectors": ["quantum"]}, "unknown settings sectors"),
    ],
)
def test_bad_overrides_are_configuration_errors(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_overrides({"override": [table]}, TAXONOMY, origin="o.toml")


def test_a_taxonomy_file_is_checked() -> None:
    with pytest.raises(ConfigError, match="duplicate sector id"):
        parse_taxonomy({"sector": [{"id": "a", "name": "A", "name_zh": "甲"}] * 2})
    with pytest.raises(ConfigError, match="list of text"):
        parse_taxonomy({"sector": [{"id": "a", "name": "A", "name_zh": "甲", "terms": "x"}]})


def _one_by_one(text: str) -> list[tuple[str, str]]:
    """The plain reading the gated search must equal: every cue's regex searched."""
    normalised = normalise(text)
    found = []
    for cue in TAXONOMY.cues:
        if cue.pattern is not None and (match := cue.pattern.search(normalised)):
            found.append((cue.sector, match.group(0)))
    return found


_CUE_TEXTS = [cue.text for cue in TAXONOMY.cues if cue.pattern is not None]
# Separators, plural endings, full-width forms and the letters a case-insensitive re folds
# into ASCII (dotted and dotless i, long s, Kelvin sign).
_GLUE = [" ", "-", "的", "Co., Ltd.", "s", "es", "X", "9", "（", "ＩＣ", "&", "/", "."]
_GLUE += ["\u0130", "\u0131", "\u017f", "\u212a", "e", "_"]


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_CUE_TEXTS),
            st.sampled_from(_GLUE),
            st.text(max_size=6),
        ),
        max_size=8,
    ),
    st.booleans(),
)
def test_gated_cue_search_equals_searching_each_cue(parts: list[str], upper: bool) -> None:
    text = "".join(parts)
    text = text.upper() if upper else text
    got = [(sector, evidence.matched) for sector, evidence in scan(TAXONOMY, "name", text)]
    assert got == _one_by_one(text)


@pytest.mark.parametrize(("letter", "folded"), [("i", "\u0131"), ("I", "\u0130"), ("s", "\u017f")])
def test_gated_search_sees_letters_that_re_folds(letter: str, folded: str) -> None:
    """A case-insensitive cue matches "chıp" as re does; the gate must not skip it."""
    texts = [f"x {c.replace(letter, folded, 1)} y" for c in _CUE_TEXTS if letter in c]
    assert texts
    for text in texts:
        got = [(sector, evidence.matched) for sector, evidence in scan(TAXONOMY, "name", text)]
        assert got == _one_by_one(text), text
