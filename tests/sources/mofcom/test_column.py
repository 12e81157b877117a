"""MOFCOM columns declared by their own pages (issue 13, item 1), on a real 127.0.0.1 server.

The mirror's column pages (fixtures/cn_mofcom_announcements/*/www/…/index.html) carry the
documented ``<script src="…unitbuild.js" url="…" queryData="{…}">`` declaration in SYNTHETIC
chrome; the source is pointed at the mirror by URL only (``rebase``), never given an id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from monitor.errors import ShapeError
from monitor.models import RunOutcome
from monitor.sources.mofcom.classify import title_matters
from monitor.sources.mofcom.column import declared_target
from monitor.sources.mofcom.options import read_options
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.sources.mofcom.test_source import (
    AD_27,
    API,
    MIRROR,
    NAME,
    SOURCE,
    UEL_5,
    UEL_6,
    UEL_7,
    fetch_and_parse,
    run,
    server,
    settings_for,
)

__all__ = ["server"]  # the fixture, shared with test_source

ANSWER_1105 = "cn:2025-11-05/商务部新闻发言人就不可靠实体清单相关措施调整答记者问"
COLUMNS = {
    "policy": "/www/zwgk/zcfb/index.html",
    "aqygzj": "/aqygzj/flzc/gzjgfxwj/index.html",
    "spokesperson": "/www/xwfb/xwfyrth/index.html",
    "news": "/www/syxwfb/index.html",
    "trade_remedy": "/www/zcfb/zgdwjjmywg/index.html",
}
SPOKESPERSON = COLUMNS["spokesperson"]


def column_route(stage: str, name: str) -> str:
    return f"/{NAME}/{stage}{COLUMNS[name]}"


def declared_page_ids(stage: str) -> dict[str, str]:
    """The pageId each column page of ``stage`` declares, read here with a plain regex."""
    found = {}
    for name, path in COLUMNS.items():
        page = (MIRROR / stage / path.lstrip("/")).read_text("utf-8")
        start = page.index("'pageId':'") + len("'pageId':'")
        found[name] = page[start : page.index("'", start)]
    return found


def test_ids_of_every_default_column_are_read_from_its_page(
    tmp_path: Path, server: FixtureServer
) -> None:
    settings = settings_for(tmp_path / "db", server, "after")
    indexes = settings.source(NAME).options["indexes"]
    assert isinstance(indexes, Mapping)
    assert all(not any(k.endswith("_id") for k in table) for table in indexes.values())
    actions = fetch_and_parse(settings)
    paths = [urlsplit(r.path).path for r in server.requests]
    for name in COLUMNS:
        assert paths.count(column_route("after", name)) == 1, name
    asked = {
        parse_qs(urlsplit(r.path).query)["pageId"][0] for r in server.requests if API in r.path
    } | {
        parse_qs(urlsplit(r.path).query)["pageId"][0]
        for r in server.requests
        if "/aqygzj/api-gateway/" in r.path
    }
    assert asked == set(declared_page_ids("after").values())
    # The anti-dumping initiation is read from the trade-remedy column.
    assert AD_27 in actions
    trade = [r for r in server.requests if "zgdwjjmywg-page-id" in r.path]
    assert len(trade) == 1 and "/zcfb/zgdwjjmywg/art/" in actions[AD_27].get_text("url")


def test_a_list_title_that_names_no_act_is_not_fetched(
    tmp_path: Path, server: FixtureServer
) -> None:
    fetch_and_parse(settings_for(tmp_path / "db", server, "before"))
    articles = [r.path for r in server.requests if "/art/" in r.path]
    assert articles and not [p for p in articles if "/syxwfb/" in p or "/zgdwjjmywg/" in p]
    assert not title_matters("商务部召开例行新闻发布会")
    assert not title_matters("贸易救济调查局举办业务培训")
    assert title_matters("商务部新闻发言人就不可靠实体清单相关措施调整答记者问")
    assert title_matters("商务部令2025年第6号 关于对韩华海洋株式会社美国子公司采取反制措施的决定")
    assert title_matters("关于对原产于美国的进口相关模拟芯片进行反倾销立案调查的公告")
    assert title_matters("商务部公告2025年第21号")  # a bare 文号 says nothing: read the page


def test_the_november_answer_under_the_news_column_suspends_7_and_stops_5_and_6(
    tmp_path: Path, server: FixtureServer
) -> None:
    db = tmp_path / "db"
    with Store.open(db) as store:
        for stage in ("before", "after", "later"):
            assert run(store, settings_for(db, server, stage)).outcome in (
                RunOutcome.BASELINE,
                RunOutcome.CHANGED,
            )
        state = store.accepted_records(NAME)
    answer = state[ANSWER_1105]
    assert answer.get_text("url") == (
        "https://www.mofcom.gov.cn/syxwfb/art/2025/art_adc429fe09db443cb2e5837524bc2eda.html"
    )
    assert answer.get_tuple("verbs") == (
        f"continued_suspension:{UEL_7}",
        f"stop:{UEL_5}",
        f"stop:{UEL_6}",
    )
    by_notice: dict[str, set[str]] = {}
    for record in state.values():
        if record.list_name == "uel":
            by_notice.setdefault(record.get_text("listed_by"), set()).add(record.get_text("status"))
    assert by_notice[UEL_7] == {"suspended"}
    assert by_notice[UEL_5] == {"stopped"}
    illumina = state["uel:illumina-inc|US"]  # the 6号 measure's entity
    assert (illumina.get_text("status"), illumina.get_text("status_action")) == (
        "stopped",
        ANSWER_1105,
    )
    assert (
        state["uel:skydio-inc|US"].get_tuple("history")[-1] == f"2025-11-10 suspended {ANSWER_1105}"
    )


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (
            "<html><body><div id='分页列表'></div>"
            "<script src='/js/list.js'></script></body></html>",
            "no unitbuild.js declaration",
        ),
        (
            '<html><body><script src="/static/jpaas/unitbuild.js"'
            ' url="/api-gateway/jpaas-publish-server/front/page/build/unit"'
            " queryData=\"{'webId':'a','pageId':\"></script></body></html>",
            "queryData is not readable",
        ),
        (
            '<html><body><script src="/static/jpaas/unitbuild.js"'
            ' url="/api-gateway/jpaas-publish-server/front/page/build/unit"'
            " queryData=\"{'webId':'a','tplSetId':'b','tagId':'分页列表'}\">"
            "</script></body></html>",
            "queryData has no pageId",
        ),
        (
            '<html><body><script src="/static/jpaas/unitbuild.js"'
            " queryData=\"{'webId':'a','tplSetId':'b','tagId':'c','pageId':'d'}\"></script>"
            "</body></html>",
            "declaration has no url attribute",
        ),
    ],
    ids=["no-declaration", "malformed-querydata", "no-page-id", "no-url"],
)
def test_a_column_page_that_declares_no_readable_list_fails_naming_it(
    tmp_path: Path, server: FixtureServer, page: str, message: str
) -> None:
    db = tmp_path / "db"
    with Store.open(db) as store:
        assert run(store, settings_for(db, server, "before")).outcome == RunOutcome.BASELINE
        held, raw_sha = store.accepted_hashes(NAME), store.accepted_raw_sha256(NAME)
        server.set_route(
            column_route("after", "spokesperson"), page.encode(), content_type="text/html"
        )
        summary = run(store, settings_for(db, server, "after"))
        assert (summary.outcome, summary.error_kind) == (RunOutcome.FAILED, "ShapeError")
        assert message in summary.message
        assert (
            "column spokesperson (新闻发言人谈话, https://www.mofcom.gov.cn/xwfb/xwfyrth/index.html)"
            in (summary.message)
        )
        assert store.accepted_hashes(NAME) == held
        assert store.accepted_raw_sha256(NAME) == raw_sha


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"success": True, "code": "200", "data": {"list": []}}, "no data.html text"),
        ({"success": True, "code": "500", "data": {"html": ""}}, "code '500'"),
        ({"success": False, "message": "参数错误"}, "success != true"),
        (
            {"success": True, "code": "200", "data": {"html": "<div class='list'><p>x</p></div>"}},
            "list page has no items",
        ),
    ],
    ids=["no-html", "error-code", "not-success", "no-items"],
)
def test_a_list_answer_of_another_shape_fails_naming_the_column(
    tmp_path: Path, server: FixtureServer, answer: dict[str, object], message: str
) -> None:
    db = tmp_path / "db"
    with Store.open(db) as store:
        assert run(store, settings_for(db, server, "before")).outcome == RunOutcome.BASELINE
        held, raw_sha = store.accepted_hashes(NAME), store.accepted_raw_sha256(NAME)
        # The one path every www list request goes to (they differ by query only).
        body = json.dumps(answer, ensure_ascii=False).encode()
        server.set_route(f"/{NAME}/after{API}", body, content_type="application/json")
        summary = run(store, settings_for(db, server, "after"))
        assert (summary.outcome, summary.error_kind) == (RunOutcome.FAILED, "ShapeError")
        assert message in summary.message and "column policy (政策发布," in summary.message
        assert store.accepted_hashes(NAME) == held
        assert store.accepted_raw_sha256(NAME) == raw_sha


def test_configured_ids_override_the_declared_ones(tmp_path: Path, server: FixtureServer) -> None:
    declared = declared_page_ids("before")
    settings = settings_for(tmp_path / "db", server, "before")
    options = read_options(settings.source(NAME).url, settings.source(NAME).options)
    policy = next(i for i in options.indexes if i.name == "policy")
    page = (MIRROR / "before" / COLUMNS["policy"].lstrip("/")).read_bytes()
    target = declared_target(page, None, index=policy, options=options)
    assert target.page_id == declared["policy"] and target.declared
    assert (
        target.endpoint == policy.base + "/api-gateway/jpaas-publish-server/front/page/build/unit"
    )
    # One id configured: the page is still read, that id wins.
    own = {"indexes": {"policy": {"page_id": "configured"}}}
    pinned = settings_for(tmp_path / "db", server, "before", **own).source(NAME)
    options = read_options(pinned.url, pinned.options)
    policy = next(i for i in options.indexes if i.name == "policy")
    target = declared_target(page, None, index=policy, options=options)
    assert (
        target.page_id == "configured"
        and target.query["webId"] == "8f43c7ad3afc411fb56f281724b73708"
    )
    # Every id configured: the column page is not read at all.
    ids = {
        "web_id": "8f43c7ad3afc411fb56f281724b73708",
        "tpl_set_id": "52551ea0e2c14bca8c84792f7aa37ead",
        "tag_id": "分页列表",
        "page_id": declared["policy"],
    }
    actions = fetch_and_parse(
        settings_for(tmp_path / "db", server, "before", indexes={"policy": ids})
    )
    assert UEL_7 in actions
    paths = [urlsplit(r.path).path for r in server.requests]
    assert column_route("before", "policy") not in paths
    assert column_route("before", "spokesperson") in paths


def test_several_declarations_the_list_one_is_taken_or_the_run_fails(
    tmp_path: Path, server: FixtureServer
) -> None:
    settings = settings_for(tmp_path / "db", server, "before")
    options = read_options(settings.source(NAME).url, settings.source(NAME).options)
    policy = next(i for i in options.indexes if i.name == "policy")

    def script(tag: str, page_id: str) -> str:
        return (
            '<script src="/static/jpaas/unitbuild.js" url="/api/unit"'
            f" queryData=\"{{'webId':'w','tplSetId':'t','tagId':'{tag}','pageId':'{page_id}'}}\">"
            "</script>"
        )

    two = f"<html><body>{script('导航', 'nav')}{script('分页列表', 'list')}</body></html>"
    assert declared_target(two.encode(), "utf-8", index=policy, options=options).page_id == "list"
    both = f"<html><body>{script('头条', 'a')}{script('要闻', 'b')}</body></html>"
    with pytest.raises(ShapeError, match=r"2 unitbuild\.js declarations .* set tag_id"):
        declared_target(both.encode(), "utf-8", index=policy, options=options)


def test_an_unchanged_column_page_is_revalidated_not_read_again(
    tmp_path: Path, server: FixtureServer
) -> None:
    db = tmp_path / "db"
    with Store.open(db) as store:
        assert run(store, settings_for(db, server, "before")).outcome == RunOutcome.BASELINE
        server.requests.clear()
        second = run(store, settings_for(db, server, "before"))
    assert second.outcome == RunOutcome.UNCHANGED  # same bundle bytes: the cached page is in it
    column = [r for r in server.requests if urlsplit(r.path).path == column_route("before", "news")]
    assert len(column) == 1 and column[0].headers.get("if-none-match")


def test_a_declared_api_off_the_configured_hosts_is_refused(
    tmp_path: Path, server: FixtureServer
) -> None:
    settings = settings_for(tmp_path / "db", server, "before")
    options = read_options(settings.source(NAME).url, settings.source(NAME).options)
    policy = next(i for i in options.indexes if i.name == "policy")
    page = (MIRROR / "before" / COLUMNS["policy"].lstrip("/")).read_text("utf-8")
    moved = page.replace('url="/api-gateway', 'url="https://elsewhere.example/api-gateway')
    with pytest.raises(ShapeError, match="off the configured hosts"):
        declared_target(moved.encode(), "utf-8", index=policy, options=options)


def test_the_source_needs_no_id_in_its_defaults() -> None:
    tables = SOURCE.info.options["indexes"]
    assert isinstance(tables, Mapping)
    assert {name: bool(t.get("enabled")) for name, t in tables.items()} == dict.fromkeys(
        COLUMNS, True
    )
    assert not [k for t in tables.values() for k in t if k.endswith("_id")]
