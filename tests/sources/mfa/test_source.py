"""The MFA countermeasure source against its fixture mirror (real texts in SYNTHETIC chrome,
fixtures/cn_mfa_countermeasures/README.md) and broken pages, on a real 127.0.0.1 server."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from monitor.config import Settings, SourceSettings
from monitor.errors import ConfigError, ShapeError
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
    root = _column(tmp_path, "<html><body><a href='/web/'>首页</a><p>改版</p></body></html>")
    with FixtureServer(root=root) as running:
        own = settings(running.url_for(""))
        with pytest.raises(ShapeError, match="links no decision") as info:
            fetch(own)
    assert info.value.source == NAME and str(info.value.url).endswith("index.shtml")


def test_a_decision_page_without_its_date_line_fails(tmp_path: Path) -> None:
    index = "<html><body><a href='./202501/t20250102_1.shtml'>决定</a></body></html>"
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
        "again</a><a href='../other/202501/t20250102_2.html'>other</a></body></html>"
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
        ({"options": {"pages": 0}}, "pages"),
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
