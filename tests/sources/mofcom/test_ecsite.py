"""The export-control site's own list API (issue 13, item 1), on a real 127.0.0.1 server.

The main site is the demo mirror's ``before`` stage (fixtures/cn_mofcom_announcements); the
export-control host is pointed at fixtures/cn_mofcom_exportcontrol, whose answers carry the
real texts of 商务部公告2025年第21号 (on the export-control site only, here) and 第22号 and the
2025-05-14 answer (on both sites). See that folder's README for what is synthetic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from urllib.parse import parse_qs

from monitor.actions import action_key
from monitor.config import Settings
from monitor.models import RunOutcome
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.sources.mofcom.pages import builder
from tests.sources.mofcom.test_source import (
    ECL_22,
    NAME,
    fetch_and_parse,
    run,
    server,
    settings_for,
)

__all__ = ["server"]  # the fixture, shared with test_source

EC = "/cn_mofcom_exportcontrol"
EC_API = f"{EC}/edi_ecms_web_front/front/column/getColumnList"
EC_FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "cn_mofcom_exportcontrol"
ECL_21 = action_key("CN", "商务部公告2025年第21号")
ANSWER_0514 = "cn:2025-05-14/商务部新闻发言人就暂停17家美国实体不可靠实体清单措施答记者问"
ORIGIN = "https://exportcontrol.mofcom.gov.cn"


def ec_settings(db: Path, server: FixtureServer, **options: object) -> Settings:
    """The ``before`` main-site mirror, the export-control host at this test's fixture."""
    settings = settings_for(db, server, "before", **options)
    own = settings.source(NAME)
    current = own.options["hosts"]
    assert isinstance(current, Mapping)
    hosts = {**current, "exportcontrol": server.url_for(EC)}
    own = replace(own, options=MappingProxyType({**own.options, "hosts": hosts}))
    return replace(settings, sources=MappingProxyType({NAME: own}))


def test_an_ecl_act_listed_only_on_the_export_control_site_is_read(
    tmp_path: Path, server: FixtureServer
) -> None:
    actions = fetch_and_parse(ec_settings(tmp_path / "db", server))
    act = actions[ECL_21]
    assert act.get_text("kind") == "ecl_addition"
    assert act.get_tuple("urls") == (f"{ORIGIN}/article/zcfg/gnzcfg/zcfggzqd/202504/1116.html",)
    assert act.get_text("published") == "2025-04-04"
    parties = act.get_tuple("parties_en")
    assert len(parties) == 16 and act.get_tuple("review") == ()
    assert parties[0] == "High Point Aerotechnologies" and "ACT1 Federal" in parties
    # Asked as the site's own XHR: a form POST per column, never a GET; its text came in the
    # list answer, so no article page of the export-control site was fetched.
    posts = [r for r in server.requests if r.path == EC_API]
    assert [r.method for r in posts] == ["POST", "POST"]
    assert all(r.headers["x-requested-with"] == "XMLHttpRequest" for r in posts)
    assert [parse_qs(r.body.decode(), keep_blank_values=True) for r in posts] == [
        {"pageNumber": ["1"], "columnID": [str(n)], "title": [""]} for n in (9, 1)
    ]
    assert not [r for r in server.requests if r.path.startswith(f"{EC}/article/")]


def test_an_act_on_both_sites_is_one_act(tmp_path: Path, server: FixtureServer) -> None:
    db = tmp_path / "db"
    with Store.open(db) as store:
        assert run(store, ec_settings(db, server)).outcome == RunOutcome.BASELINE
        state = store.accepted_records(NAME)
    # 第22号 is on both sites: one act, read from the main site, by its 文号.
    [copy] = [r for r in state.values() if r.get_text("instrument") == "商务部公告2025年第22号"]
    assert copy.key == ECL_22
    assert copy.get_text("url").startswith("https://www.mofcom.gov.cn/zwgk/zcfb/")
    assert not [u for u in copy.get_tuple("urls") if u.startswith(ORIGIN)]
    # The answer of 2025-05-14 (no 文号) is one act too, by its date and title.
    assert not state[ANSWER_0514].get_text("url").startswith(ORIGIN)
    # 第21号's entities are on the derived ECL list.
    listed = [
        r for r in state.values() if r.list_name == "ecl" and r.get_text("listed_by") == ECL_21
    ]
    assert len(listed) == 16


def _mangled(body: bytes) -> bytes:
    """The answer as the site sends it to a request without the XHR header: '?' for every
    Chinese character, still HTTP 200 (read_file 60818714583, 5142803736)."""
    return re.sub(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", "?", body.decode()).encode()


def _changed(body: bytes) -> bytes:
    doc = json.loads(body)
    return json.dumps({"data": {"list": doc["pageInfo"]["rows"]}}, ensure_ascii=False).encode()


def test_a_mangled_or_changed_answer_fails_naming_the_column_with_state_untouched(
    tmp_path: Path, server: FixtureServer
) -> None:
    db = tmp_path / "db"
    real = (EC_FIXTURE / "column9_page1.json").read_bytes()
    cases = [
        (_mangled(real), "ShapeError", "came back as '?'"),
        (_changed(real), "ShapeError", "no pageInfo.rows list"),
        (b"[]", "ShapeError", "no pageInfo.rows list"),
        (json.dumps({"pageInfo": {"rows": []}}).encode(), "ShapeError", "has no rows"),
    ]
    with Store.open(db) as store:
        assert run(store, ec_settings(db, server)).outcome == RunOutcome.BASELINE
        held, raw_sha = store.accepted_hashes(NAME), store.accepted_raw_sha256(NAME)
        for body, kind, message in cases:
            server.set_route(EC_API, body, content_type="application/json;charset=UTF-8")
            summary = run(store, ec_settings(db, server))
            assert (summary.outcome, summary.error_kind) == (RunOutcome.FAILED, kind)
            assert message in summary.message
            assert "export_control.enabled = false stops reading this site" in summary.message
            assert "export-control column control_lists (管制清单, columnID=9" in summary.message
            assert store.accepted_hashes(NAME) == held
            assert store.accepted_raw_sha256(NAME) == raw_sha


def test_the_export_control_site_can_be_switched_off(tmp_path: Path, server: FixtureServer) -> None:
    actions = fetch_and_parse(
        ec_settings(tmp_path / "db", server, export_control={"enabled": False})
    )
    assert ECL_21 not in actions and ECL_22 in actions
    assert not [r for r in server.requests if r.path.startswith(EC)]


def test_a_row_without_its_text_is_read_from_its_page_only_if_not_held(
    tmp_path: Path, server: FixtureServer
) -> None:
    """A few rows come without ``content`` (read_file 60818714583): their page is fetched,
    unless the row's 文号 is already held. The page is the real text of 第21号 in the mirror's
    SYNTHETIC chrome (the export-control site's own page layout is not known)."""
    doc = json.loads((EC_FIXTURE / "column9_page1.json").read_bytes())
    for row in doc["pageInfo"]["rows"]:
        row["content"] = ""
    server.set_route(
        EC_API, json.dumps(doc, ensure_ascii=False).encode(), content_type="application/json"
    )
    lines = [
        line
        for line in (EC_FIXTURE / "texts" / "ecl_2025_21_16_us_entities.txt")
        .read_text("utf-8")
        .splitlines()
        if line.strip() and not line.startswith(("#", "https://"))
    ]
    page = builder().render_text(lines, origin="ecl_2025_21_16_us_entities.txt", note="test")
    page_21 = f"{EC}/article/zcfg/gnzcfg/zcfggzqd/202504/1116.html"
    server.set_route(page_21, page, content_type="text/html; charset=utf-8")
    db = tmp_path / "db"
    with Store.open(db) as store:
        assert run(store, ec_settings(db, server)).outcome == RunOutcome.BASELINE
        act = store.accepted_records(NAME)[ECL_21]
    assert act.get_tuple("urls") == (f"{ORIGIN}/article/zcfg/gnzcfg/zcfggzqd/202504/1116.html",)
    assert len(act.get_tuple("parties_en")) == 16
    fetched = [r.path for r in server.requests if r.path.startswith(f"{EC}/article/")]
    # 第22号's row names a 文号 a main-site list title of this run names too: not fetched.
    assert fetched == [page_21]
