"""MOFCOM orders (商务部令, issue 13 item 1): the default configuration reads an order published
under 政策发布, with no id configured, on a real 127.0.0.1 server.

The order is 商务部令2025年第6号 of 2025-10-14 (countermeasures on five US subsidiaries of Hanwha
Ocean), RECONSTRUCTED from facts (fixtures/cn_mofcom_announcements/texts/
order_2025_6_hanwha_countermeasures.reconstructed.txt says which) and rendered in the mirror's
SYNTHETIC page chrome. It is not in the demo mirror: this test copies the ``later`` stage (the
order's real date, 2025-10-14, falls in it) and lists the order first under 政策发布 there.
"""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Mapping
from pathlib import Path

from monitor.models import RunOutcome
from monitor.sources.mofcom.classify import instrument_key, title_key
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.sources.mofcom.pages import builder
from tests.sources.mofcom.test_ecsite import EC_API, ec_settings
from tests.sources.mofcom.test_source import (
    MIRROR,
    NAME,
    fetch_and_parse,
    run,
    server,
    settings_for,
)

__all__ = ["server"]  # the fixture, shared with test_source
TEXTS = MIRROR / "texts"

ORDER = "cn:商务部令2025年第6号"
ORDER_TEXT = "order_2025_6_hanwha_countermeasures.reconstructed.txt"
HANWHA = (
    "Hanwha Shipping LLC",
    "Hanwha Philly Shipyard Inc.",
    "Hanwha Ocean USA International LLC",
    "Hanwha Shipping Holdings LLC",
    "HS USA Holdings Corp.",
)


def mirror_with_order(root: Path) -> str:
    """The ``later`` stage under ``root``, the order first in its 政策发布 list; its URL."""
    make = builder()
    stage = root / NAME / "later"
    shutil.copytree(MIRROR / "later", stage)
    path = "/zwgk/zcfb/art/2025/" + make.placeholder("2025101401")
    order = make.Page(ORDER_TEXT, "www", path, make.POLICY)
    (stage / "www" / path.lstrip("/")).write_bytes(make.render(order))
    policy = [order, *make.STAGES["later"]["policy"]]
    answer = make.list_answer(policy, size=15, number=1, count=len(policy))
    (stage / "lists" / "www_policy_size15_page1.json").write_bytes(answer)
    return "https://www.mofcom.gov.cn" + path


def test_the_default_configuration_reads_an_order_published_under_the_policy_column(
    tmp_path: Path,
) -> None:
    url = mirror_with_order(tmp_path / "mirror")
    db = tmp_path / "db"
    with FixtureServer(tmp_path / "mirror") as server:
        settings = settings_for(db, server, "later")
        indexes = settings.source(NAME).options["indexes"]
        assert isinstance(indexes, Mapping)
        assert all(not any(key.endswith("_id") for key in table) for table in indexes.values())
        with Store.open(db) as store:
            assert run(store, settings).outcome == RunOutcome.BASELINE
            order = store.accepted_records(NAME)[ORDER]
        asked = [r.path for r in server.requests if r.path.endswith(url.rsplit("/", 1)[1])]
    assert len(asked) == 1 and "/www/zwgk/zcfb/art/" in asked[0]
    assert order.get_text("kind") == "countermeasure"
    assert order.get_text("instrument") == "商务部令2025年第6号"
    assert order.get_text("url") == url
    assert order.get_text("published") == order.get_text("effective") == "2025-10-14"
    assert order.get_tuple("parties_en") == HANWHA
    assert order.get_tuple("party_countries") == ("US",) * 5
    assert order.get_tuple("measures") == ("禁止中国境内的组织和个人与其进行有关交易、合作等活动",)
    assert order.get_tuple("review") == ()


def test_without_the_order_in_the_list_no_order_is_read(tmp_path: Path) -> None:
    """The control: the same stage as served to the demo has no 商务部令."""
    shutil.copytree(MIRROR / "later", tmp_path / "mirror" / NAME / "later")
    with FixtureServer(tmp_path / "mirror") as server:
        actions = fetch_and_parse(settings_for(tmp_path / "db", server, "later"))
    assert ORDER not in actions
    assert not [a for a in actions.values() if "商务部令" in a.get_text("instrument")]


def test_an_order_is_one_key_however_its_number_is_written() -> None:
    """The export-control site titles the order 中华人民共和国商务部令二〇二五年第6号 (a public
    extract's heading, read_file id 56832122919); the page's 【发布文号】 is 商务部令2025年第6号."""
    assert instrument_key("中华人民共和国商务部令二〇二五年第6号") == ORDER
    assert instrument_key("商务部令 2025年 第06号") == ORDER
    assert title_key("中华人民共和国商务部令二〇二五年第6号 关于对韩华海洋株式会社…的决定") == ORDER
    assert title_key("关于对韩华海洋株式会社5家美国相关子公司采取反制措施的决定") == ""


def test_an_order_listed_only_by_the_export_control_site_is_read(
    tmp_path: Path, server: FixtureServer
) -> None:
    """The order under its real export-control URL (…/zcfggzqd/202510/1181.html), its text the
    reconstructed one, in a row of the control-list column; the main site (``before``) lacks it."""
    lines = [
        line
        for line in (TEXTS / ORDER_TEXT).read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    row = {
        "id": 1181,
        "title": "中华人民共和国商务部令二〇二五年第6号 " + lines[0],
        "url": "/article/zcfg/gnzcfg/zcfggzqd/202510/1181.html",
        "publishTimeStr": "2025-10-15 00:00:00",
        "source": "商务部",
        "columnName": "管制清单",
        "content": "".join(f"<p>{html.escape(line)}</p>" for line in lines[1:]),
    }
    body = json.dumps({"pageInfo": {"rows": [row], "maxPageNum": 1}}, ensure_ascii=False)
    server.set_route(EC_API, body.encode(), content_type="application/json")
    actions = fetch_and_parse(ec_settings(tmp_path / "db", server))
    order = actions[ORDER]
    assert order.get_text("kind") == "countermeasure"
    assert order.get_text("url") == (
        "https://exportcontrol.mofcom.gov.cn/article/zcfg/gnzcfg/zcfggzqd/202510/1181.html"
    )
    assert order.get_text("published") == "2025-10-14"  # the order's date, not the row's
    assert order.get_tuple("parties_en") == HANWHA
