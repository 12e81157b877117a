"""MOFCOM orders (商务部令, issue 13 item 1): the default configuration reads an order published
under 政策发布, with no id configured, on a real 127.0.0.1 server.

The order is 商务部令2025年第6号 of 2025-10-14 (countermeasures on five US subsidiaries of Hanwha
Ocean), RECONSTRUCTED from facts (fixtures/cn_mofcom_announcements/texts/
order_2025_6_hanwha_countermeasures.reconstructed.txt says which) and rendered in the mirror's
SYNTHETIC page chrome. It is not in the demo mirror: this test copies the ``later`` stage (the
order's real date, 2025-10-14, falls in it) and lists the order first under 政策发布 there.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from monitor.models import RunOutcome
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.sources.mofcom.pages import builder
from tests.sources.mofcom.test_source import MIRROR, NAME, fetch_and_parse, run, settings_for

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
