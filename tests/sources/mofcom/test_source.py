"""MOFCOM announcements against the fixture mirror on a real 127.0.0.1 server.

The mirror (fixtures/cn_mofcom_announcements, see its README) holds the list API answers and the
article pages up to 2025-08-12 (before/) and two 2025-09-13 announcements more (after/).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from monitor.config import Settings
from monitor.errors import ConfigError, ParseError, ShapeError
from monitor.http import HttpClient
from monitor.models import Record, RunOutcome, RunSummary
from monitor.sources import REGISTRY
from monitor.sources.bundle import unpack
from monitor.sources.mofcom.actions import action_from_article
from monitor.sources.mofcom.article import parse_article
from monitor.sources.mofcom.classify import classify, normalise_instrument, state_changes
from monitor.sources.mofcom.entities import annex_parties, inline_parties, split_name
from monitor.sources.mofcom.options import read_options
from monitor.sources.mofcom.source import MofcomAnnouncementsSource
from monitor.sources.mofcom.text import decode
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.support import FAST_HTTP, FIXTURES, run_source, stage_settings

NAME = "cn_mofcom_announcements"
SOURCE = REGISTRY[NAME]
MIRROR = FIXTURES / NAME
WWW = "https://www.mofcom.gov.cn"
ECL_1_PATH = "/www/zwgk/zcfb/art/2025/art_1ee79b1b7f21444ebf4797c0ff8500fd.html"
UEL_7_AQYGZJ_PATH = "/aqygzj/flzc/gzjgfxwj/art/2025/art_00000000000000000000000020250404.html"
API = "/www/api-gateway/jpaas-publish-server/front/page/build/unit"
POLICY_PAGE_ID = "fc8bdff48fa345a48b651c1285b70b8f"

ECL_1 = "cn:商务部公告2025年第1号"
ECL_22 = "cn:商务部公告2025年第22号"
UEL_1 = "cn:不可靠实体清单工作机制公告〔2025〕1号"
UEL_5 = "cn:不可靠实体清单工作机制公告〔2025〕5号"
UEL_6 = "cn:不可靠实体清单工作机制公告〔2025〕6号"
UEL_7 = "cn:不可靠实体清单工作机制公告〔2025〕7号"
UEL_8 = "cn:不可靠实体清单工作机制公告〔2025〕8号"
ANSWER_0514 = "cn:2025-05-14/商务部新闻发言人就暂停17家美国实体不可靠实体清单措施答记者问"
ANSWER_0812 = "cn:2025-08-12/商务部新闻发言人就调整不可靠实体清单措施答记者问"
AD_27 = "cn:商务部公告2025年第27号"
AD_50 = "cn:商务部公告2025年第50号"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(root=FIXTURES) as running:
        yield running


def settings_for(db: Path, server: FixtureServer, stage: str, **options: object) -> Settings:
    """``options`` are applied as a config file would, then the source is rebased."""
    return stage_settings(db, server, NAME, stage, **options)


def run(store: Store, settings: Settings) -> RunSummary:
    return run_source(store, settings, NAME)


def fetch_and_parse(
    settings: Settings, previous: Mapping[str, Record] | None = None
) -> dict[str, Record]:
    own = settings.source(NAME)
    with HttpClient(settings.http, sleep=lambda _s: None) as client:
        result = SOURCE.fetch(client, own, None, previous or {})
    return {r.key: r for r in SOURCE.parse(result.content, url=result.url, settings=own)}


def article_path(stage: str, path: str) -> str:
    return f"/{NAME}/{stage}{path}"


# --- discovery and parsing ---------------------------------------------------------------------


def test_before_stage_discovers_and_parses_every_announcement(
    tmp_path: Path, server: FixtureServer
) -> None:
    actions = fetch_and_parse(settings_for(tmp_path / "db", server, "before"))
    assert set(actions) == {
        ECL_1,
        ECL_22,
        UEL_1,
        UEL_5,
        UEL_6,
        UEL_7,
        UEL_8,
        ANSWER_0514,
        ANSWER_0812,
    }
    kinds = {key: r.get_text("kind") for key, r in actions.items()}
    assert kinds == {
        ECL_1: "ecl_addition",
        ECL_22: "ecl_addition",
        UEL_1: "uel_addition",
        UEL_5: "uel_addition",
        UEL_6: "uel_measure",
        UEL_7: "uel_addition",
        UEL_8: "uel_addition",
        ANSWER_0514: "suspension",
        ANSWER_0812: "continued_suspension",
    }
    counts = {
        k: (r.get_text("stated_count"), r.get_text("parsed_count")) for k, r in actions.items()
    }
    assert counts[ECL_1] == ("28", "28")
    assert counts[UEL_1] == ("10", "10")  # inline names, count from the title
    assert counts[UEL_5] == ("10", "10")
    assert counts[UEL_7] == ("11", "11")
    assert counts[UEL_8] == ("6", "6")
    assert all(not r.get_tuple("review") for r in actions.values())


def test_ecl_2025_1_has_28_bilingual_us_entities(tmp_path: Path, server: FixtureServer) -> None:
    ecl = fetch_and_parse(settings_for(tmp_path / "db", server, "before"))[ECL_1]
    assert ecl.name == "商务部公告2025年第1号 公布将28家美国实体列入出口管制管控名单"
    assert ecl.country == "CN"
    assert ecl.get_text("instrument") == "商务部公告2025年第1号"
    assert ecl.get_text("issuing_unit") == "安全与管制局"
    assert ecl.get_text("actor") == "MOFCOM"
    assert (ecl.get_text("published"), ecl.get_text("effective")) == ("2025-01-02", "2025-01-02")
    zh, en = ecl.get_tuple("parties_zh"), ecl.get_tuple("parties_en")
    assert len(zh) == len(en) == len(ecl.get_tuple("party_countries")) == 28
    assert (zh[0], en[0]) == ("通用动力公司", "General Dynamics")
    assert (zh[4], en[4]) == ("波音防务、空间与安全集团", "Boeing Defense, Space & Security")
    assert (zh[27], en[27]) == ("顶峰科技公司", "Summit Technologies Inc.")
    assert set(ecl.get_tuple("party_countries")) == {"US"}
    assert ecl.get_tuple("measures")[0].startswith("禁止向上述28家美国实体出口两用物项")
    assert ecl.get_tuple("reasons") == ("为维护国家安全和利益，履行防扩散等国际义务",)
    assert ecl.get_text("url") == WWW + ECL_1_PATH.removeprefix("/www")
    # Page chrome (footer) is not part of the text.
    assert "关闭窗口" not in ecl.get_text("body")


def test_uel_notices_inline_names_and_effective_time(tmp_path: Path, server: FixtureServer) -> None:
    actions = fetch_and_parse(settings_for(tmp_path / "db", server, "before"))
    uel_1, uel_8 = actions[UEL_1], actions[UEL_8]
    assert uel_1.get_text("actor") == "UEL working mechanism"
    # The reason before the first name ("参与对台湾地区军售的") is not part of it; mixed brackets.
    assert uel_1.get_tuple("parties_zh")[0] == "洛克希德·马丁导弹与火控公司"
    assert uel_1.get_tuple("parties_en")[2] == "Lockheed Martin Missile System Integration Lab"
    assert set(uel_1.get_tuple("party_countries")) == {"US"}
    assert len(uel_1.get_tuple("measures")) == 4
    # "…Group W公司（Group W）和哈德森技术公司（…）等6家实体": split at 和 after a bracket.
    assert uel_8.get_tuple("parties_en")[-2:] == ("Group W", "Hudson Technologies Co.")
    assert uel_8.get_text("effective") == "2025-04-10T12:01"
    assert uel_8.get_text("published") == "2025-04-09"


def test_one_announcement_under_two_urls_is_one_record(
    tmp_path: Path, server: FixtureServer
) -> None:
    uel_7 = fetch_and_parse(settings_for(tmp_path / "db", server, "before"))[UEL_7]
    assert uel_7.get_tuple("urls") == (
        WWW + "/zwgk/zcfb/art/2025/art_e4f474d3aeba4672913db1042d845d78.html",
        "https://aqygzj.mofcom.gov.cn" + UEL_7_AQYGZJ_PATH.removeprefix("/aqygzj"),
    )
    assert uel_7.get_text("url") == uel_7.get_tuple("urls")[0]
    # The two copies (UTF-8 and GB18030) agree, so no "copies differ" flag.
    assert uel_7.get_tuple("review") == ()
    assert uel_7.get_tuple("parties_en")[9:] == ("Rapid Flight LLC", "Insitu,Inc.")  # "10.急速…"


def test_spokesperson_answers_act_on_two_notices_each(
    tmp_path: Path, server: FixtureServer
) -> None:
    actions = fetch_and_parse(settings_for(tmp_path / "db", server, "before"))
    may, august = actions[ANSWER_0514], actions[ANSWER_0812]
    assert may.get_tuple("verbs") == (f"suspension:{UEL_7}", f"suspension:{UEL_8}")
    assert may.get_tuple("verb_terms") == ("90天", "")
    assert august.get_tuple("verbs") == (f"continued_suspension:{UEL_7}", f"stop:{UEL_8}")
    for answer in (may, august):
        assert answer.get_tuple("refers_to") == (UEL_7, UEL_8)
        assert answer.get_text("issuing_unit") == "商务部新闻办公室"
        assert answer.get_text("stated_count") == "17"
        assert answer.get_tuple("review") == ()
    # The question mentions "自2025年4月2日起"; the answer's own date is the effective one.
    assert may.get_text("effective") == "2025-05-14"
    assert august.get_text("published") == "2025-08-12"
    assert may.meta["published_time"] == "22:00"


# --- charsets ----------------------------------------------------------------------------------


def test_gb18030_page_is_served_declared_and_decoded(server: FixtureServer) -> None:
    url = server.url_for(f"{NAME}/before{UEL_7_AQYGZJ_PATH}")
    with HttpClient(FAST_HTTP) as client:
        page = client.get(url, source=NAME)
    assert page.charset == "gb18030"
    with pytest.raises(UnicodeDecodeError):
        page.content.decode("utf-8")  # the bytes really are GB18030
    article = parse_article(decode(page.content, page.charset, url=url), url=url)
    assert article.document_number == "不可靠实体清单工作机制公告〔2025〕7号"
    # Without the header the page's <meta charset> decides; without both, detection does.
    assert decode(page.content, None, url=url) == decode(page.content, "gb18030", url=url)
    bare = page.content.replace(b'<meta charset="gb18030">', b"")
    assert "斯凯迪奥公司" in decode(bare, None, url=url)


def test_bytes_that_contradict_the_declared_charset_fail() -> None:
    raw = (MIRROR / f"before{UEL_7_AQYGZJ_PATH}").read_bytes()
    with pytest.raises(ParseError, match="declared by the HTTP header"):
        decode(raw, "utf-8", url="u")
    with pytest.raises(ParseError, match="meta charset"):
        decode(raw.replace(b'charset="gb18030"', b'charset="utf-8"'), None, url="u")


# --- derived lists -----------------------------------------------------------------------------


def test_derive_after_before_stage(tmp_path: Path, server: FixtureServer) -> None:
    actions = fetch_and_parse(settings_for(tmp_path / "db", server, "before"))
    derived = {r.key: r for r in SOURCE.derive(actions)}
    assert len([k for k in derived if k.startswith("ecl:")]) == 28 + 12  # Nos. 1 and 22
    assert len([k for k in derived if k.startswith("uel:")]) == 27 + 10 + 1  # 5号, 6号 Illumina
    skydio = derived["uel:skydio-inc|US"]  # 〔2025〕7号
    assert skydio.name == "Skydio Inc."
    assert skydio.get_text("name_zh") == "斯凯迪奥公司"
    assert skydio.get_text("status") == "suspended"
    assert skydio.get_text("status_action") == ANSWER_0812
    assert skydio.get_text("status_since") == "2025-08-12"
    assert (skydio.get_text("listed_by"), skydio.get_text("listed_on")) == (UEL_7, "2025-04-04")
    assert skydio.get_tuple("history") == (
        f"2025-04-04 active {UEL_7}",
        f"2025-05-14 suspended {ANSWER_0514}",
        f"2025-08-12 suspended {ANSWER_0812}",
    )
    assert "禁止上述企业在中国境内新增投资" in skydio.get_text("measures")
    shield = derived["uel:shield-ai-inc|US"]  # 〔2025〕8号, effective 2025-04-10 12:01
    assert (shield.get_text("status"), shield.get_text("status_action")) == ("stopped", ANSWER_0812)
    assert shield.get_tuple("history")[0] == f"2025-04-10 active {UEL_8}"
    statuses: dict[str, set[str]] = {r.get_text("listed_by"): set() for r in derived.values()}
    for r in derived.values():
        statuses[r.get_text("listed_by")].add(r.get_text("status"))
    assert statuses == {
        ECL_1: {"active"},
        ECL_22: {"active"},
        UEL_1: {"active"},
        UEL_5: {"active"},
        UEL_6: {"active"},
        UEL_7: {"suspended"},
        UEL_8: {"stopped"},
    }
    # The same company on both lists is two records.
    assert {
        "ecl:general-dynamics-mission-systems|US",
        "uel:general-dynamics-mission-systems|US",
    } <= set(derived)


# --- pipeline ----------------------------------------------------------------------------------


def test_two_runs_accumulate_and_known_articles_are_not_fetched_again(
    tmp_path: Path, server: FixtureServer
) -> None:
    db = tmp_path / "db"
    with Store.open(db) as store:
        first = run(store, settings_for(db, server, "before"))
        assert first.outcome == RunOutcome.BASELINE
        assert first.record_count == 9 + 28 + 12 + 38  # ECL No. 22 is in the baseline
        server.requests.clear()
        second = run(store, settings_for(db, server, "after"))
        # after/ adds the two 2025-09-13 announcements.
        assert (second.outcome, second.added, second.removed, second.modified) == (
            RunOutcome.CHANGED,
            2,
            0,
            0,
        )
        added = [c.change for c in store.changes() if c.provenance.run_id == second.run_id]
        assert {c.key for c in added} == {AD_27, AD_50}
        articles = [r.path for r in server.requests if "/art/" in r.path]
        assert sorted(articles) == sorted(
            article_path("after", p)
            for p in (
                "/www/zcfb/zgdwjjmywg/art/2025/art_00000000000000000000002025091301.html",
                "/www/zwgk/zcfb/art/2025/art_00000000000000000000002025091302.html",
            )
        )
        state = store.accepted_records(NAME)
    ad, probe = state[AD_27], state[AD_50]
    assert ad.get_text("kind") == "anti_dumping"
    assert ad.get_tuple("products") == ("相关模拟芯片",)
    assert ad.get_tuple("hs_codes") == ("85423990",)
    assert ad.get_tuple("parties_en") == ("Texas Instruments", "ADI", "Broadcom", "onsemi")
    assert ad.get_tuple("party_countries") == ("US",) * 4
    assert ad.get_text("petitioner") == "江苏省半导体行业协会"
    assert ad.get_text("dumping_period") == "2024-01-01/2024-12-31"
    assert ad.get_text("injury_period") == "2022-01-01/2024-12-31"
    assert ad.get_text("investigation_end") == "2026-09-13"
    assert any("trade-remedy 文号" in flag for flag in ad.get_tuple("review"))
    assert probe.get_text("kind") == "anti_discrimination"
    assert "第七条、第三十六条、第三十七条" in probe.get_text("legal_basis")
    assert len(probe.get_tuple("measures_investigated")) == 4
    # The derived lists did not move: the Sept announcements list no entity.
    assert state["uel:skydio-inc|US"].get_text("status") == "suspended"


def test_paging_follows_full_pages(tmp_path: Path, server: FixtureServer) -> None:
    settings = settings_for(tmp_path / "db", server, "after", indexes={"policy": {"page_size": 4}})
    actions = fetch_and_parse(settings)
    assert {AD_27, AD_50, ECL_1, UEL_1} <= set(actions)
    queries = [parse_qs(urlsplit(r.path).query) for r in server.requests if API in r.path]
    policy = [json.loads(q["paramJson"][0]) for q in queries if q["pageId"] == [POLICY_PAGE_ID]]
    assert policy == [{"pageNo": 1, "pageSize": 4}, {"pageNo": 2, "pageSize": 4}]


def test_an_announcement_seen_later_under_a_new_url_keeps_its_old_url(
    tmp_path: Path, server: FixtureServer
) -> None:
    db = tmp_path / "db"
    without_bureau = {"indexes": {"aqygzj": {"enabled": False}}}
    with Store.open(db) as store:
        assert run(store, settings_for(db, server, "before", **without_bureau)).outcome == (
            RunOutcome.BASELINE
        )
        summary = run(store, settings_for(db, server, "before"))
        assert (summary.added, summary.removed, summary.modified) == (0, 0, 1)
        [change] = [c.change for c in store.changes() if c.provenance.run_id == summary.run_id]
        assert change.key == UEL_7
        assert [f.field for f in change.fields] == ["urls"]
        assert len(store.accepted_records(NAME)[UEL_7].get_tuple("urls")) == 2


def test_empty_first_list_page_fails_and_keeps_state(tmp_path: Path, server: FixtureServer) -> None:
    db = tmp_path / "db"
    empty = json.dumps({"success": True, "message": "", "data": {"html": ""}}).encode()
    with Store.open(db) as store:
        assert run(store, settings_for(db, server, "before")).outcome == RunOutcome.BASELINE
        held, raw_sha = store.accepted_hashes(NAME), store.accepted_raw_sha256(NAME)
        server.set_route(f"/{NAME}/after{API}", empty, content_type="application/json")
        summary = run(store, settings_for(db, server, "after"))
        assert (summary.outcome, summary.error_kind) == (RunOutcome.FAILED, "ShapeError")
        assert "list page has no items" in summary.message
        assert store.accepted_hashes(NAME) == held
        assert store.accepted_raw_sha256(NAME) == raw_sha


def test_policy_page_without_metadata_block_fails(tmp_path: Path, server: FixtureServer) -> None:
    # No block and no 文号 line either (the title keeps only its subject): no stable key.
    page = (MIRROR / f"before{ECL_1_PATH}").read_text("utf-8")
    start, end = page.index('<div class="meta">'), page.index('<div class="content">')
    page = (page[:start] + page[end:]).replace("<h1>商务部公告2025年第1号 ", "<h1>")
    server.set_route(article_path("before", ECL_1_PATH), page.encode(), content_type="text/html")
    db = tmp_path / "db"
    with Store.open(db) as store:
        summary = run(store, settings_for(db, server, "before"))
        assert (summary.outcome, summary.error_kind) == (RunOutcome.FAILED, "ShapeError")
        assert "【发布文号】" in summary.message and ECL_1_PATH in summary.message
        assert store.accepted_records(NAME) == {}


def test_a_release_that_opens_with_its_number_has_the_key_of_that_number() -> None:
    # 商务部公告2025年第21号 (real text, /zcfb/blgg/): no block; the 文号 line, the subject, the
    # text and the signature date. Same key as a copy with the block.
    page = (MIRROR / f"before{ECL_1_PATH}").read_text("utf-8")
    start, end = page.index('<div class="meta">'), page.index('<div class="content">')
    article = parse_article(page[:start] + page[end:], url="u")
    assert (article.document_number, article.published, article.issuing_unit) == (
        "商务部公告2025年第1号",
        "2025-01-02",
        "",
    )
    assert article.title == "公布将28家美国实体列入出口管制管控名单"
    assert action_from_article(article, url="u").key == "cn:商务部公告2025年第1号"


def test_stated_count_that_does_not_match_the_annex_is_flagged(
    tmp_path: Path, server: FixtureServer
) -> None:
    page = (MIRROR / f"before{ECL_1_PATH}").read_text("utf-8")
    line = "<p>28. 顶峰科技公司（Summit Technologies Inc.）</p>\n"
    assert line in page
    server.set_route(
        article_path("before", ECL_1_PATH),
        page.replace(line, "").encode(),
        content_type="text/html",
    )
    ecl = fetch_and_parse(settings_for(tmp_path / "db", server, "before"))[ECL_1]
    assert ecl.get_tuple("review") == ("stated 28, parsed 27",)
    assert len(ecl.get_tuple("parties_en")) == 27


def test_skip_urls_are_not_fetched(tmp_path: Path, server: FixtureServer) -> None:
    skipped = WWW + ECL_1_PATH.removeprefix("/www")
    actions = fetch_and_parse(settings_for(tmp_path / "db", server, "before", skip_urls=[skipped]))
    assert not [r for r in server.requests if r.path.endswith(ECL_1_PATH)]
    # The skipped page is not read; the act is then read from the export-control site's own
    # listing of it (another URL, its text in the list answer), never from the skipped page.
    assert actions[ECL_1].get_tuple("urls") == (
        "https://exportcontrol.mofcom.gov.cn/article/zcfg/gnzcfg/zcfggzqd/202501/9091.html",
    )
    skip_both = [skipped, actions[ECL_1].get_text("url")]
    actions = fetch_and_parse(settings_for(tmp_path / "db", server, "before", skip_urls=skip_both))
    assert ECL_1 not in actions


def test_bundle_holds_lists_articles_and_known_urls(tmp_path: Path, server: FixtureServer) -> None:
    settings = settings_for(tmp_path / "db", server, "before")
    own = settings.source(NAME)
    with HttpClient(settings.http) as client:
        result = SOURCE.fetch(client, own, None, {})
    roles = [item.role for item in unpack(result.content, source=NAME, url=result.url)]
    # Five column pages, one list answer each, the pages whose titles matter (not the two
    # unrelated news and training items), the known URLs.
    assert roles.count("column") == 5 and roles.count("list") == 5
    assert roles.count("article") == 10 and roles[-1] == "known"


# --- units -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("不可靠实体清单工作机制〔2025〕8号", "不可靠实体清单工作机制公告〔2025〕8号"),
        ("不可靠实体清单工作机制公告 [2025] 08号", "不可靠实体清单工作机制公告〔2025〕8号"),
        ("不可靠实体清单工作机制【２０２５】７号", "不可靠实体清单工作机制公告〔2025〕7号"),
        ("商务部公告 2025 年第 01 号", "商务部公告2025年第1号"),
        ("商务部　海关总署公告2025年第18号", "商务部海关总署公告2025年第18号"),
    ],
)
def test_instrument_spellings_share_one_key(raw: str, normal: str) -> None:
    assert normalise_instrument(raw) == normal


@pytest.mark.parametrize(
    ("line", "zh", "en"),
    [
        ("通用动力公司（General Dynamics）", "通用动力公司", "General Dynamics"),
        (
            "洛克希德·马丁先进技术实验室（Lockheed Martin Advanced Technology Laboratories)",
            "洛克希德·马丁先进技术实验室",
            "Lockheed Martin Advanced Technology Laboratories",
        ),
        ("某公司（香港）", "某公司（香港）", ""),
        ("甲公司（Foo (HK) Ltd.）", "甲公司", "Foo (HK) Ltd."),
        ("TechInsights Japan KK", "", "TechInsights Japan KK"),
    ],
)
def test_split_name(line: str, zh: str, en: str) -> None:
    assert split_name(line) == (zh, en)


def test_annex_sub_entities_and_numbering() -> None:
    lines = [
        "附件",
        "名单",
        "1. 甲公司（Alpha Inc.）",
        "-Alpha Japan KK",
        "-Alpha Korea",
        "3、乙公司（Beta）",
        "打印本页",
    ]
    parsed = annex_parties(lines, "US")
    assert parsed.numbered == 2
    assert [p.en for p in parsed.parties] == ["Alpha Inc.", "Alpha Japan KK", "Alpha Korea", "Beta"]
    assert [p.parent for p in parsed.parties] == ["", "Alpha Inc.", "Alpha Inc.", ""]
    assert parsed.problems == ("annex numbering is not 1..2: 1, 3",)


def test_inline_names_never_split_inside_a_name() -> None:
    # 〔2025〕4号 (reference sample uel_2025_04), then a name with 和 inside it (ECL No. 13 annex).
    body = (
        "不可靠实体清单工作机制决定将美国PVH集团、因美纳公司（Illumina, Inc.）列入不可靠实体清单。"
    )
    parsed = inline_parties(body, "")
    assert [(p.zh, p.en, p.country) for p in parsed.parties] == [
        ("美国PVH集团", "", "US"),  # the name itself starts with 美国
        ("因美纳公司", "Illumina, Inc.", ""),
    ]
    body = "决定将吉布斯和考克斯公司（Gibbs&Cox, Inc.）和莱多斯公司（Leidos）列入出口管制管控名单"
    assert [p.zh for p in inline_parties(body, "US").parties] == [
        "吉布斯和考克斯公司",
        "莱多斯公司",
    ]


def test_uel_measure_on_an_entity_listed_earlier() -> None:
    # Operative lines of 不可靠实体清单工作机制〔2025〕6号 (reference sample uel_2025_06).
    body = (
        "不可靠实体清单工作机制决定于2025年2月4日"
        "将美国因美纳公司（Illumina, Inc.）列入不可靠实体清单。"
        "现决定对该企业采取以下处理措施：\n禁止其向中国出口基因测序仪。"
    )
    assert (
        classify("关于对美国因美纳公司采取不可靠实体清单处理措施的公告", body, "") == "uel_measure"
    )
    assert state_changes(body) == []


def test_news_page_without_header_or_block_is_a_shape_error() -> None:
    page = "<html><body><h1>标题</h1><p>正文。</p><p>商务部</p><p>2025年1月2日</p></body></html>"
    with pytest.raises(ShapeError, match="no 【发布单位】"):
        parse_article(page, url="u")


def test_options_refuse_an_enabled_index_without_a_column_page() -> None:
    options = {"indexes": {"trade_remedy": {"column": ""}}}
    with pytest.raises(ConfigError, match="trade_remedy is enabled but has no column page"):
        read_options("https://www.mofcom.gov.cn", options)
    live = read_options("https://www.mofcom.gov.cn", SOURCE.info.options)
    assert [i.name for i in live.indexes] == [
        "policy",
        "aqygzj",
        "spokesperson",
        "news",
        "trade_remedy",
    ]
    # No id in the defaults: every column is read from its page.
    assert all(not i.overrides and not i.pinned for i in live.indexes)


def test_rebase_points_both_hosts_at_the_mirror() -> None:
    source = MofcomAnnouncementsSource()
    own = source.rebase(source.info.default_settings(), "http://127.0.0.1:9/m/before/")
    options = read_options(own.url, own.options)
    assert {i.name: i.base for i in options.indexes} == {
        "policy": "http://127.0.0.1:9/m/before/www",
        "aqygzj": "http://127.0.0.1:9/m/before/aqygzj",
        "spokesperson": "http://127.0.0.1:9/m/before/www",
        "news": "http://127.0.0.1:9/m/before/www",
        "trade_remedy": "http://127.0.0.1:9/m/before/www",
    }
    fetched = "http://127.0.0.1:9/m/before/aqygzj/flzc/x.html"
    assert options.site_url(fetched) == "https://aqygzj.mofcom.gov.cn/flzc/x.html"
    assert options.fetch_url("https://aqygzj.mofcom.gov.cn/flzc/x.html") == fetched


def test_an_impossible_date_is_refused_not_stored() -> None:
    from monitor.errors import ShapeError
    from monitor.sources.mofcom.trade import iso

    assert iso("2025", "9", "13") == "2025-09-13"
    with pytest.raises(ShapeError, match="impossible date"):
        iso("2025", "2", "30")
