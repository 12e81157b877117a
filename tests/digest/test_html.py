"""The HTML digest as a reader gets it, parsed with BeautifulSoup: after `ecmon demo`,
`ecmon digest --format html` shows the September 2025 additions, the MOFCOM actions in
Chinese and English and source health; sectors and linked actions when present; and it
is mail-client safe (inline CSS, no scripts or remote assets, readable on a phone)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from monitor.digest.model import build_model
from monitor.digest.render import environment, render_digest
from monitor.digest.types import Period
from tests.digest.support import build_demo_db, change, document, first
from tests.digest.test_model import ANNOUNCEMENT, LINK, MICRO, SECTOR_TAG
from tests.support import SEPT_2025_ADDITIONS, invoke_in

PERIOD: Period = {"label": "synthetic", "first_change_id": None, "last_change_id": None}
SEPTEMBER_ADDITIONS = set(SEPT_2025_ADDITIONS)
# The rule filed for public inspection on 2025-09-12 that names the September additions.
FILED_RULE = "us:2025-99912"


def ecmon(tmp_path: Path, *args: str) -> str:
    result = invoke_in(tmp_path, *args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> BeautifulSoup:
    tmp = tmp_path_factory.mktemp("html")
    db = build_demo_db(tmp / "demo.db")
    out = tmp / "digest.html"
    ecmon(tmp, "--db", str(db), "digest", "--format", "html", "--output", str(out))
    return BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")


def section(soup: BeautifulSoup, name: str) -> Tag:
    found = soup.find(id=name)
    assert isinstance(found, Tag), f"no section {name}"
    return found


def test_demo_digest_shows_the_september_2025_additions(demo_page: BeautifulSoup) -> None:
    listings = section(demo_page, "new-listings")
    group = listings.select_one(f'[data-group="action:{FILED_RULE}"]')
    assert isinstance(group, Tag)
    heading = group.find("h3")
    assert heading and "On public inspection, not yet published (filed 2025-09-12" in heading.text
    names = {first(t, "strong").text for t in group.select("table.entity")}
    assert names == SEPTEMBER_ADDITIONS
    # What all eleven state alike is said once, above them, not eleven times.
    shared = group.find(class_="shared")
    assert shared and "Presumption of denial." in shared.text
    assert "start date: 2025-09-12" in shared.text
    assert "reported by BIS Entity List (ITA Consolidated Screening List) and" in shared.text
    assert group.text.count("Presumption of denial.") == 1
    sino = group.find("table", attrs={"data-key": "sino-ic-technology|CN"})
    assert sino and "Presumption of denial." not in sino.text and "reported by" not in sino.text


def test_demo_digest_shows_sectors_and_the_linked_mofcom_investigations(
    demo_page: BeautifulSoup,
) -> None:
    group = demo_page.select_one(f'[data-group="action:{FILED_RULE}"]')
    assert isinstance(group, Tag)
    sino = group.find("table", attrs={"data-key": "sino-ic-technology|CN"})
    assert sino and "Semiconductors and integrated circuits" in sino.text
    headline = section(demo_page, "headline").get_text(" ", strip=True)
    assert "by sector: Semiconductors and integrated circuits 9" in headline
    timeline = section(demo_page, "timeline")
    [link] = timeline.find_all("table", class_="link")
    assert "FR Doc. 2025-99912" in link.text and "on public inspection" in link.text
    responses = link.find_all(class_="response")
    assert {"商务部公告2025年第27号", "商务部公告2025年第50号"} == {
        first(r, "strong").text for r in responses
    }
    for response in responses:
        assert "1 day later" in response.text and "investigation" in response.text
        assert any("shared sectors: semiconductors" in li.text for li in response.find_all("li"))


def test_demo_digest_headline_modifications_removals_and_health(demo_page: BeautifulSoup) -> None:
    headline = section(demo_page, "headline").get_text(" ", strip=True)
    # 22 UEL entries moved by the 5 November answer (later stage); CETC 13's 87 FR 77505
    # (December 2022) is in the baseline.
    assert "12 new listings, 22 modified, 1 removed, 7 government actions" in headline
    assert "BIS Entity List 11 0 1" in headline and "CN 9" in headline
    modified = section(demo_page, "modifications")
    cells = [td.get_text(" ", strip=True) for td in modified.find_all("td")]
    at = cells.index("status")
    assert cells[at + 1 : at + 3] == ["active", "stopped"]  # ACT1 Federal, stopped (5号)
    assert "A.P. Finance Limited" in section(demo_page, "removals").text
    health = section(demo_page, "source-health").get_text(" ", strip=True)
    assert "All 5 sources healthy" in health


def test_demo_digest_shows_mofcom_actions_in_chinese_and_english(demo_page: BeautifulSoup) -> None:
    actions = section(demo_page, "actions")
    investigation = actions.find("table", attrs={"data-key": "cn:商务部公告2025年第27号"})
    assert investigation and "anti-dumping investigation" in investigation.text
    assert "Texas Instruments" in investigation.text
    # The demo's mirror does not record 27号's real URL: marked, not linked as official.
    assert investigation.find("a") is None
    marked = investigation.select_one(".placeholder-url")
    assert marked is not None and "placeholder URL" in marked.text
    # The 5 November answer has its recorded page: linked as the official text.
    answer_key = "cn:2025-11-05/商务部新闻发言人就不可靠实体清单相关措施调整答记者问"
    listing = actions.find("table", attrs={"data-key": answer_key})
    link = listing.find("a") if listing else None
    assert link and str(link["href"]).startswith("https://www.mofcom.gov.cn/")
    assert link.text == "official text"
    # The 5 November answer moves UEL entries: shown with both names and the new status.
    modified = section(demo_page, "modifications")
    skydio = modified.find("table", attrs={"data-key": "uel:skydio-inc|US"})
    assert skydio and "Skydio Inc." in skydio.text and "斯凯迪奥公司" in skydio.text
    illumina = modified.find("table", attrs={"data-key": "uel:illumina-inc|US"})
    assert illumina and "美国因美纳公司" in illumina.text and "stopped" in illumina.text
    answer = actions.find("table", attrs={"data-key": answer_key})
    assert answer and "stated reason: 为落实中美经贸磋商共识" in answer.text


def test_demo_digest_is_mail_client_safe(demo_page: BeautifulSoup) -> None:
    assert not demo_page.find_all(["script", "style", "link", "img", "iframe", "object", "form"])
    assert not [t for t in demo_page.find_all(True) if any(a.startswith("on") for a in t.attrs)]
    assert all(str(a["href"]).startswith("https://") for a in demo_page.find_all("a"))
    viewport = demo_page.find("meta", attrs={"name": "viewport"})
    assert viewport and "width=device-width" in viewport["content"]
    outer = demo_page.find_all("table")[1]
    assert "max-width:640px" in outer["style"]  # one column that fits a phone
    assert all(t.get("style") for t in demo_page.find_all(["h1", "h2", "h3", "td", "th"]))


def test_sectors_and_linked_actions_render_when_present() -> None:
    doc = document(
        change(1, "added", "us_csl_entity_list", MICRO, sectors=[SECTOR_TAG]),
        change(2, "added", "cn_mofcom_announcements", ANNOUNCEMENT),
        links=[LINK],
    )
    model = build_model(
        doc, actions={}, statuses=[], source_titles={}, period=PERIOD,
        generated_at=datetime(2025, 9, 13, tzinfo=UTC),
    )  # fmt: skip
    soup = BeautifulSoup(render_digest(model, "html"), "html.parser")
    card = soup.find(class_="entity")
    assert card and "Semiconductors and integrated circuits name: “Microelectronics”" in " ".join(
        card.text.split()
    )
    assert "by sector: Semiconductors and integrated circuits 1" in section(soup, "headline").text
    timeline = section(soup, "timeline")
    assert "BIS Entity List additions of 2025-09-12" in timeline.text
    response = timeline.find(class_="response")
    assert response and "商务部公告2025年第99号" in response.text
    assert [li.text for li in response.find_all("li")] == [
        "shared sectors: semiconductors",
        "1 day after the trigger",
    ]
    for fmt in ("text", "markdown"):
        rendered = render_digest(model, fmt)
        assert "shared sectors: semiconductors" in rendered
        assert "Semiconductors and integrated circuits (name: “Microelectronics”)" in " ".join(
            rendered.replace("\\", "").split()
        )


def test_other_formats_render_the_same_model(tmp_path: Path) -> None:
    db = build_demo_db(tmp_path / "demo.db")
    text = ecmon(tmp_path, "--db", str(db), "digest")
    markdown = ecmon(tmp_path, "--db", str(db), "digest", "--format", "markdown")
    model = json.loads(ecmon(tmp_path, "--db", str(db), "digest", "--format", "json"))
    assert model["headline"]["added"] == 12  # 11 BIS, 1 MFA (石平)
    for rendered in (text, markdown):
        assert "On public inspection, not yet published (filed 2025-09-12" in rendered
        assert "Sino IC Technology" in rendered and "斯凯迪奥公司" in rendered
    assert "| BIS Entity List | 11 | 0 | 1 |" in markdown
    since = ecmon(tmp_path, "--db", str(db), "digest", "--since", "2100-01-01")
    assert "No changes on the monitored lists in this period." in since


def test_every_html_template_autoescapes() -> None:
    env = environment()
    names = [n for n in env.list_templates() if n.endswith((".html.j2", ".atom.j2"))]
    assert "digest.html.j2" in names and "_digest_macros.html.j2" in names
    assert callable(env.autoescape)
    assert all(env.autoescape(name) for name in names)
    assert not env.autoescape("digest.txt.j2")
