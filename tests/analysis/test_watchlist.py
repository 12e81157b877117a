"""Watchlist screening: name folding and scores, Chinese names, cross-language matches
through MOFCOM's bilingual names, the watchlist file, and decisions that hold only while
the record is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.actions import action_record
from monitor.analysis.namematch import compare, fold_zh, token_ratio, words
from monitor.analysis.watchlist import (
    DEFAULT_THRESHOLD,
    Lexicon,
    WatchEntry,
    effective_status,
    lexicon_from,
    screen,
)
from monitor.analysis.watchlist_file import read_watchlist
from monitor.errors import ConfigError
from monitor.models import FieldValue, Record
from monitor.store import Store
from monitor.store import analysis as store_analysis

FUDAN = (
    "Shanghai Fudan Microelectronics Group Co., Ltd.",
    "Beijing Fudan Microelectronics Technology Co., Ltd.",
    "Shenzhen Fudan Microelectronics Co., Ltd.",
    "Shanghai Fudan Microelectronics (HK) Co., Ltd.",
)
OTHERS = (
    "Shanghai Fukong Hualong Microsystem Technology Co., Ltd.",
    "Shanghai Fuwei Xunjie Digital Technology Co., Ltd.",
    "Sino IC Technology",
)


def el(name: str, country: str = "CN", **fields: str | tuple[str, ...]) -> Record:
    return Record(
        key=f"{name}|{country}", list_name="el", name=name, country=country, fields=fields
    )


def ecl(english: str, chinese: str) -> Record:
    fields = {"name_en": english, "name_zh": chinese, "listed_by": "cn:商务部公告2025年第1号"}
    return Record(
        key=f"ecl:{english}|US", list_name="ecl", name=english, country="US", fields=fields
    )


def hits_for(entry: WatchEntry, records: list[Record], lexicon: Lexicon | None = None) -> list[str]:
    found = screen([entry], [("s", r) for r in records], lexicon=lexicon)
    return [h.key for h in found]


def test_fudan_microelectronics_grp_finds_the_fudan_entries_only() -> None:
    records = [el(n) for n in (*FUDAN, *OTHERS)]
    found = hits_for(WatchEntry("W1", "Fudan Microelectronics Grp", country="CN"), records)
    assert sorted(found) == sorted(f"{n}|CN" for n in FUDAN)


def test_fudan_university_stays_below_the_default_threshold() -> None:
    for name in FUDAN:
        assert compare("Fudan University", name).score < DEFAULT_THRESHOLD, name
    assert hits_for(WatchEntry("W2", "Fudan University"), [el(n) for n in FUDAN]) == []


def test_general_dynamics_finds_the_mofcom_entry_by_its_annex_names() -> None:
    records = [ecl("General Dynamics", "通用动力公司"), ecl("Anduril Industries", "安杜里尔公司")]
    [hit] = screen([WatchEntry("W3", "General Dynamics")], [("m", r) for r in records])
    assert hit.record_name == "通用动力公司（General Dynamics）"
    assert hit.score == 1.0 and "same words" in hit.reason
    [by_chinese] = screen([WatchEntry("W4", "通用动力公司")], [("m", r) for r in records])
    assert by_chinese.key == "ecl:General Dynamics|US"


def test_cross_language_through_the_mofcom_pairs() -> None:
    notice = action_record(
        key="cn:商务部公告2025年第1号",
        kind="ecl_addition",
        jurisdiction="CN",
        title="ECL",
        fields={
            "parties_en": ("Lockheed Martin Corporation",),
            "parties_zh": ("洛克希德·马丁公司",),
        },
    )
    lexicon = lexicon_from([notice])
    english_only = el("Lockheed Martin Corporation", country="US")
    entry = WatchEntry("W5", "洛克希德·马丁公司")
    assert hits_for(entry, [english_only]) == []  # scripts are never compared directly
    [hit] = screen([entry], [("s", english_only)], lexicon=lexicon)
    assert "via the MOFCOM pair 洛克希德·马丁公司 = Lockheed Martin Corporation" in hit.reason
    assert "cn:商务部公告2025年第1号" in hit.reason


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        (
            "Shanghai Fudan Microelectronics (HK) Co., Ltd.",
            ("shanghai", "fudan", "microelectronics", "hk"),
        ),
        ("Texas Instruments Inc.", ("texas", "instruments")),
        ("Edge Autonomy Operations LLC", ("edge", "autonomy", "operations")),
        ("Fudan Microelectronics Grp", ("fudan", "microelectronics", "group")),
        ("ＡＢＣ Ｃｏ．，Ｌｔｄ．", ("abc",)),  # full width
    ],
)
def test_legal_forms_and_punctuation_are_folded(name: str, folded: tuple[str, ...]) -> None:
    assert words(name) == folded


def test_chinese_legal_forms_are_folded() -> None:
    assert fold_zh("上海复旦微电子集团股份有限公司") == "上海复旦微电子"
    assert fold_zh("香港索辰信息科技有限公司") == "香港索辰信息科技"
    assert fold_zh("洛克希德·马丁公司") == "洛克希德马丁"
    assert compare("复旦微电子", "上海复旦微电子集团股份有限公司").score >= DEFAULT_THRESHOLD
    assert compare("复旦大学", "上海复旦微电子集团股份有限公司").score < 0.5


@pytest.mark.parametrize(
    ("a", "b", "at_least", "below"),
    [
        ("IronMountain Solutions", "Iron Mountain Solutions", 0.95, 1.01),  # spacing
        ("Shanghai Fudan Microelectronic Group", FUDAN[0], 0.9, 1.0),  # typo costs a little
        ("Applied Technologies Group", "Applied Materials", 0.0, 0.85),  # one shared word
        ("Hudson Group", "Hudson Technologies Co.", 0.85, 1.0),  # generic words differ
        ("Skydio", "Skydio Inc.", 1.0, 1.01),
    ],
)
def test_scores(a: str, b: str, at_least: float, below: float) -> None:
    assert at_least <= compare(a, b).score < below


def test_token_ratio_ignores_order_but_not_the_words_that_differ() -> None:
    assert token_ratio(("a", "b"), ("b", "a")) == 1.0
    assert token_ratio(("fudan", "university"), ("fudan", "microelectronics")) < 0.6
    # Sharing common words is not enough (fuzzywuzzy's token_set_ratio gives 0.86 here).
    mine = ("ungwqz", "star", "institute", "electronics")
    assert compare(" ".join(mine), "Gjjoow Electronics Holdings Institute Co., Ltd.").score < 0.8


def test_a_different_country_costs_a_little_and_says_so() -> None:
    [same] = screen(
        [WatchEntry("W", "Sino IC Technology", country="HK")], [("s", el("Sino IC Technology"))]
    )
    assert same.score == 1.0  # CN and HK count as one region
    [other] = screen(
        [WatchEntry("W", "Sino IC Technology", country="US")], [("s", el("Sino IC Technology"))]
    )
    assert other.score == 0.95 and "country differs" in other.reason


def test_parties_of_investigations_are_screened_but_not_of_listings() -> None:
    fields: dict[str, FieldValue] = {
        "parties_en": ("Texas Instruments",),
        "party_countries": ("US",),
        "instrument": "No. 27",
    }
    investigation = action_record(
        key="cn:ad", kind="anti_dumping", jurisdiction="CN", title="AD", fields=fields
    )
    listing = action_record(
        key="cn:ecl", kind="ecl_addition", jurisdiction="CN", title="ECL", fields=fields
    )
    found = screen(
        [WatchEntry("W", "Texas Instruments Inc.")], [("s", investigation), ("s", listing)]
    )
    assert [(h.key, h.country, h.record_name) for h in found] == [
        ("cn:ad", "US", "Texas Instruments (named in No. 27)")
    ]


def test_the_watchlist_file_toml_and_csv(tmp_path: Path) -> None:
    toml = tmp_path / "w.toml"
    toml.write_text(
        '[[entry]]\nref = "A1"\nname = "Fudan Microelectronics Grp"\n'
        'aliases = ["复旦微电子"]\ncountry = "cn"\n',
        encoding="utf-8",
    )
    [entry] = read_watchlist(toml)
    assert entry == WatchEntry("A1", "Fudan Microelectronics Grp", ("复旦微电子",), "CN")
    csv = tmp_path / "w.csv"
    csv.write_text(
        "ref,name,aliases,country\nB1,General Dynamics,GD; 通用动力,US\n", encoding="utf-8"
    )
    assert read_watchlist(csv)[0].aliases == ("GD", "通用动力")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[entry]]\nname = "X"\n', "needs a 'ref' and a 'name'"),
        ('[[entry]]\nref = "1"\nname = "X"\n[[entry]]\nref = "1"\nname = "Y"\n', "used twice"),
        ('[[entry]]\nref = "1"\nname = "X"\ncolour = "red"\n', "unknown fields colour"),
        ("[[entry]\n", "not valid TOML"),
    ],
)
def test_a_bad_watchlist_is_a_configuration_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "w.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        read_watchlist(path)


def test_a_dismissal_holds_only_for_the_record_it_was_made_on() -> None:
    assert effective_status("dismissed", "h1", "h1") == "dismissed"
    assert effective_status("dismissed", "h1", "h2") == "new"
    assert effective_status("confirmed", "h1", "h2") == "confirmed"


def test_stored_hits_stay_dismissed_until_the_record_changes(tmp_path: Path) -> None:
    entry = WatchEntry("W1", "Fudan Microelectronics Grp")
    first = el(FUDAN[0])
    changed = el(FUDAN[0], aliases=("FMSH",))
    at = datetime(2025, 9, 13, tzinfo=UTC)
    with Store.open(tmp_path / "h.db") as store:
        [hit] = store_analysis.save_hits(store, screen([entry], [("s", first)]), at)
        store_analysis.decide(store, hit.id, "dismissed", "a different firm", at)
        [again] = store_analysis.save_hits(store, screen([entry], [("s", first)]), at)
        assert (again.id, again.status) == (hit.id, "dismissed")
        [reopened] = store_analysis.save_hits(store, screen([entry], [("s", changed)]), at)
        assert reopened.status == "new"
        log = store_analysis.decisions(store, hit.id)
        assert [d["status"] for d in log] == ["dismissed", "new"]
        assert "reopened" in log[1]["note"]
        store_analysis.save_hits(store, [], at)  # a full screening that no longer finds it
        [gone] = store_analysis.stored_hits(store)
        assert not gone.present
