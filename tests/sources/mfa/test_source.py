"""The MFA countermeasure source against its fixture mirror (real texts in SYNTHETIC chrome,
fixtures/cn_mfa_countermeasures/README.md) and broken pages, on a real 127.0.0.1 server."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from monitor.config import Settings, SourceSettings
from monitor.errors import ConfigError, FetchError, ShapeError
from monitor.http import HttpClient
from monitor.models import Record, RunOutcome
from monitor.pipeline import RunContext, run_sources
from monitor.sources.bundle import unpack
from monitor.sources.mfa.info import COLUMN, INFO, NAME
from monitor.sources.mfa.source import MfaCountermeasuresSource
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.support import FAST_HTTP, FIXTURES

SOURCE = MfaCountermeasuresSource()
SITE = "https://www.mfa.gov.cn"
SHIPING = "cn:外交部令2025年第17号"
MCCAUL = "cn:2023-04-13/关于对美国反华议员迈克·麦考尔采取反制措施的决定"
PAGE_2_ONLY = "cn:外交部令2022年第4号"  # 余茂春、托德·斯坦恩: listed on index_1.shtml only


def pager(current: int, count: int) -> str:
    """The TRS pager declaration a column page carries (the fixture README: its form)."""
    return f"<script>var currentPage = {current};//所在页从0开始\nvar countPage = {count}</script>"


ONE_PAGE = pager(0, 1)
DECISION = (
    "<html><head><meta charset='utf-8'></head><body><div><h1>关于对某某采取反制措施的决定</h1>"
    "<p>2025-01-02 10:00</p><div>{body}</div></div></body></html>"
)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(root=FIXTURES) as running:
        yield running


def settings(base: str, **options: Any) -> SourceSettings:
    own = INFO.default_settings()
    own = replace(own, options=MappingProxyType({**own.options, **options}))
    return SOURCE.rebase(own, base)


def fetch(own: SourceSettings, previous: Mapping[str, Record] | None = None) -> bytes:
    with HttpClient(FAST_HTTP, sleep=lambda _s: None) as client:
        return SOURCE.fetch(client, own, None, previous or {}).content


def parse(own: SourceSettings, raw: bytes) -> dict[str, Record]:
    return {r.key: r for r in SOURCE.parse(raw, url=own.url, settings=own)}


def test_the_mirror_gives_every_decision_once_on_its_public_url(server: FixtureServer) -> None:
    own = settings(server.url_for(f"{NAME}/after"))
    actions = parse(own, fetch(own))
    assert len(actions) == 14
    assert {a.get_text("kind") for a in actions.values()} == {"countermeasure"}
    assert all(a.get_text("url").startswith(SITE + "/") for a in actions.values())
    # a link written without /web/ (as recorded for 2023-04-13) is followed as it is
    assert actions[MCCAUL].get_text("url") == (
        SITE + "/wjb_673085/zfxxgk_674865/gknrlb/fzcqdcs/202304/t20230413_11058780.shtml"
    )
    assert actions[SHIPING].get_tuple("parties_zh") == ("石平",)
    derived = SOURCE.derive(actions)
    assert len(derived) == 116 and {r.list_name for r in derived} == {"mfa"}


def test_the_column_is_read_page_by_page_as_it_declares(server: FixtureServer) -> None:
    """The mirror's column declares 2 pages (countPage = 2): both are read, in order, and a
    decision linked from the second page only is found."""
    own = settings(server.url_for(f"{NAME}/after"))
    raw = fetch(own)
    pages = [item.url for item in unpack(raw, source=NAME, url="") if item.role == "index"]
    assert [url.rsplit("/", 1)[-1] for url in pages] == ["index.shtml", "index_1.shtml"]
    first = (FIXTURES / NAME / "after" / COLUMN.strip("/") / "index.shtml").read_text("utf-8")
    assert "t20221222_10993979" not in first  # the test means page 2
    action = parse(own, raw)[PAGE_2_ONLY]
    assert action.get_text("url").endswith("/202212/t20221222_10993979.shtml")


def test_held_decisions_are_not_fetched_again(server: FixtureServer) -> None:
    own = settings(server.url_for(f"{NAME}/after"))
    first = parse(own, fetch(own))
    held = {k: v for k, v in first.items() if k != SHIPING}
    raw = fetch(own, held)
    fetched = [item for item in unpack(raw, source=NAME, url="") if item.role == "decision"]
    assert [item.url.rsplit("/", 1)[-1] for item in fetched] == ["t20250908_11704050.shtml"]
    again = parse(own, raw)
    assert set(again) == {SHIPING}


def _column(tmp_path: Path, index: str, pages: Mapping[str, str] = MappingProxyType({})) -> Path:
    root = tmp_path / "site"
    folder = root / COLUMN.strip("/")
    folder.mkdir(parents=True)
    (folder / "index.shtml").write_text(index, "utf-8")
    for name, text in pages.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, "utf-8")
    return root


def test_a_column_page_linking_no_decision_fails_naming_the_source(tmp_path: Path) -> None:
    root = _column(
        tmp_path, f"<html><body><a href='/web/'>首页</a><p>改版</p>{ONE_PAGE}</body></html>"
    )
    with FixtureServer(root=root) as running:
        own = settings(running.url_for(""))
        with pytest.raises(ShapeError, match="links no decision") as info:
            fetch(own)
    assert info.value.source == NAME and str(info.value.url).endswith("index.shtml")


def test_a_decision_page_without_its_date_line_fails(tmp_path: Path) -> None:
    index = f"<html><body><a href='./202501/t20250102_1.shtml'>决定</a>{ONE_PAGE}</body></html>"
    page = DECISION.replace("<p>2025-01-02 10:00</p>", "").format(body="<p>依据…</p>")
    root = _column(tmp_path, index, {"202501/t20250102_1.shtml": page})
    with FixtureServer(root=root) as running:
        own = settings(running.url_for(""))
        raw = fetch(own)
        with pytest.raises(ShapeError, match="date line") as info:
            parse(own, raw)
    assert info.value.source == NAME and "t20250102_1.shtml" in str(info.value.url)


def test_links_elsewhere_are_not_items(tmp_path: Path) -> None:
    index = (
        "<html><body><a href='https://evil.example/fzcqdcs/202501/t20250102_1.shtml'>x</a>"
        "<a href='./202501/t20250102_1.shtml'>决定</a><a href='./202501/t20250102_1.shtml'>"
        f"again</a><a href='../other/202501/t20250102_2.html'>other</a>{ONE_PAGE}</body></html>"
    )
    body = "<p>依据《中华人民共和国反外国制裁法》第四条规定，中方决定对某某采取以下反制措施：</p>"
    body += "<p>一、冻结在我国境内的动产、不动产和其他各类财产。</p>"
    body += "<p>本决定自2025年1月2日起施行。</p>"
    body += "<p>外交部</p><p>2025年1月2日</p><p>附件</p><p>反制清单</p><p>某某（Mou Mou），男</p>"
    root = _column(tmp_path, index, {"202501/t20250102_1.shtml": DECISION.format(body=body)})
    with FixtureServer(root=root) as running:
        own = settings(running.url_for(""))
        [action] = parse(own, fetch(own)).values()
    assert action.get_tuple("parties_en") == ("Mou Mou",)
    assert action.get_tuple("party_types") == ("person",)
    assert action.get_tuple("party_measures") == ("asset_freeze",)
    assert action.get_text("url") == SITE + COLUMN + "202501/t20250102_1.shtml"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"options": {"max_pages": 0}}, "max_pages"),
        ({"options": {"max_pages": 101}}, "max_pages"),
        ({"options": {"pages": 2}}, "option pages is gone"),
        ({"options": {"skip_urls": "x"}}, "skip_urls"),
        ({"url": "https://www.mfa.gov.cn/web/"}, "反制裁 column"),
    ],
)
def test_bad_settings_are_refused(change: dict[str, Any], message: str) -> None:
    own = INFO.default_settings()
    if "options" in change:
        own = replace(own, options=MappingProxyType({**own.options, **change["options"]}))
    else:
        own = replace(own, url=change["url"])
    assert INFO.check is not None
    with pytest.raises(ConfigError, match=message):
        INFO.check(own)


def _run(store: Store, db: Path, own: SourceSettings) -> RunOutcome:
    config = Settings(
        config_path=None,
        database=db,
        max_shrink=0.25,
        http=FAST_HTTP,
        sources=MappingProxyType({NAME: replace(own, min_records=1)}),
        origins=MappingProxyType({}),
    )
    with HttpClient(config.http, sleep=lambda _s: None) as client:
        [summary] = run_sources(RunContext(config, store, client), [NAME])
    return summary.outcome


def test_before_then_after_adds_one_decision_and_its_party(
    tmp_path: Path, server: FixtureServer
) -> None:
    db = tmp_path / "mfa.db"
    with Store.open(db) as store:
        assert _run(store, db, settings(server.url_for(f"{NAME}/before"))) == RunOutcome.BASELINE
        assert _run(store, db, settings(server.url_for(f"{NAME}/after"))) == RunOutcome.CHANGED
        added = {
            (c.change.list_name, c.change.key) for c in store.changes() if c.change.kind == "added"
        }
        held = store.accepted_records(NAME)
    assert added == {("action", SHIPING), ("mfa", "mfa:石平|JP")}
    assert sum(1 for r in held.values() if r.list_name == "mfa") == 116
    entry = held["mfa:石平|JP"]
    assert entry.get_text("role") == "日本参议员" and entry.get_text("status") == "active"
    assert entry.get_text("measures") == "asset_freeze; transaction_ban; entry_ban"


# --- paging: what the column declares, and what fails ------------------------------------------

ITEM = "<a href='./202501/t{day}_{n}.shtml'>关于对某某采取反制措施的决定</a>"


def _decision(day: str) -> str:
    body = "<p>依据《中华人民共和国反外国制裁法》第四条规定，中方决定对某某采取以下反制措施：</p>"
    body += "<p>一、冻结在我国境内的动产、不动产和其他各类财产。</p>"
    body += f"<p>本决定自{day[:4]}年{int(day[4:6])}月{int(day[6:])}日起施行。</p>"
    body += "<p>外交部</p><p>附件</p><p>反制清单</p><p>某某（Mou Mou），男</p>"
    return DECISION.replace("2025-01-02", f"{day[:4]}-{day[4:6]}-{day[6:]}").format(body=body)


def _two_pages(tmp_path: Path, second: str | None, first_pager: str = pager(0, 2)) -> Path:
    """A column of two pages, one decision on each (page 2's text is ``second``; None: the
    page is missing)."""
    index = f"<html><body>{ITEM.format(day='20250102', n=1)}{first_pager}</body></html>"
    pages = {
        "202501/t20250102_1.shtml": _decision("20250102"),
        "202501/t20250103_2.shtml": _decision("20250103"),
    }
    if second is not None:
        pages["index_1.shtml"] = second
    return _column(tmp_path, index, pages)


PAGE_2 = f"<html><body>{ITEM.format(day='20250103', n=2)}{pager(1, 2)}</body></html>"


def test_a_decision_listed_on_page_2_is_found(tmp_path: Path) -> None:
    with FixtureServer(root=_two_pages(tmp_path, PAGE_2)) as running:
        own = settings(running.url_for(""))
        actions = parse(own, fetch(own))
        asked = [seen.path.rsplit("/", 1)[-1] for seen in running.requests]
    assert sorted(a.get_text("published") for a in actions.values()) == [
        "2025-01-02",
        "2025-01-03",
    ]
    assert asked[:2] == ["index.shtml", "index_1.shtml"]


def test_the_trs_createpagehtml_call_is_read_too(tmp_path: Path) -> None:
    call = '<script>createPageHTML(2, 0, "index", "shtml");</script>'
    page_2 = PAGE_2.replace(pager(1, 2), '<script>createPageHTML(2, 1, "index", "shtml");</script>')
    with FixtureServer(root=_two_pages(tmp_path, page_2, call)) as running:
        own = settings(running.url_for(""))
        assert len(parse(own, fetch(own))) == 2


def test_a_missing_declared_page_fails_loudly_and_the_state_stands(tmp_path: Path) -> None:
    db = tmp_path / "mfa.db"
    one = _column(
        tmp_path / "one",
        f"<html><body>{ITEM.format(day='20250102', n=1)}{ONE_PAGE}</body></html>",
        {"202501/t20250102_1.shtml": _decision("20250102")},
    )
    with Store.open(db) as store:
        with FixtureServer(root=one) as running:
            assert _run(store, db, settings(running.url_for(""))) == RunOutcome.BASELINE
        held = store.accepted_records(NAME)
        with FixtureServer(root=_two_pages(tmp_path / "two", None)) as running:
            own = settings(running.url_for(""))
            assert _run(store, db, own) == RunOutcome.FAILED
            with (
                HttpClient(FAST_HTTP, sleep=lambda _s: None) as client,
                pytest.raises(FetchError) as info,
            ):
                SOURCE.fetch(client, own, None, held)
        assert store.accepted_records(NAME) == held
        [last] = store.runs()[:1]
    message = str(info.value)
    assert "declares 2 pages, but page index_1.shtml could not be fetched" in message
    assert own.url.rstrip("/") in message and info.value.status == 404
    assert last["outcome"] == RunOutcome.FAILED.value


@pytest.mark.parametrize(
    ("first_pager", "second", "message"),
    [
        ("<script>var x = 1;</script>", PAGE_2, "declares no page count"),
        (pager(0, 2), PAGE_2.replace(pager(1, 2), pager(0, 2)), "declares page 0 of 2, not page 1"),
        (pager(0, 2), PAGE_2.replace(pager(1, 2), pager(1, 3)), "declares page 1 of 3, not page 1"),
        (pager(0, 2), PAGE_2.replace(pager(1, 2), ""), "declares no page count"),
        (pager(0, 2) + pager(0, 3), PAGE_2, "conflicting paging"),
        (
            '<script>createPageHTML(2, 0, "default", "shtml");</script>',
            PAGE_2,
            "declares its pages as default_N.shtml",
        ),
        (pager(0, 31), PAGE_2, "declares 31 pages; max_pages is 30"),
    ],
)
def test_paging_it_cannot_follow_fails_naming_the_column(
    tmp_path: Path, first_pager: str, second: str, message: str
) -> None:
    with FixtureServer(root=_two_pages(tmp_path, second, first_pager)) as running:
        own = settings(running.url_for(""))
        with pytest.raises(ShapeError, match=re.escape(message)) as info:
            fetch(own)
    assert info.value.source == NAME and f"the 反制裁 column {own.url}" in str(info.value)


def test_a_page_answered_from_another_address_fails(tmp_path: Path) -> None:
    """The site answers a removed page by redirecting to a "system" page (a public crawler of
    it detects them by URL): page 2 redirected elsewhere is not page 2."""
    with FixtureServer(root=_two_pages(tmp_path, None)) as running:
        own = settings(running.url_for(""))
        system = f"/{COLUMN.strip('/')}/index.shtml"
        running.set_route(
            f"/{COLUMN.strip('/')}/index_1.shtml", b"", status=302, headers={"Location": system}
        )
        with pytest.raises(ShapeError, match="was answered from") as info:
            fetch(own)
    assert info.value.source == NAME and "index_1.shtml" in str(info.value.url)


def test_max_pages_lets_a_longer_column_be_read(tmp_path: Path) -> None:
    with FixtureServer(root=_two_pages(tmp_path, PAGE_2)) as running:
        assert len(parse(settings(running.url_for("")), fetch(settings(running.url_for(""))))) == 2
        with pytest.raises(ShapeError, match="declares 2 pages; max_pages is 1"):
            fetch(settings(running.url_for(""), max_pages=1))
