"""A large day stays readable: 150 new entities (labelled synthetic, tests/digest/support.py
``large_day``) keep the HTML part under Gmail's clipping limit, long groups become one
compact table, every entity is still named, and the rest of each entry is in the JSON.
The layout (chain section on the first screen) is measured in chromium by test_browser.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bs4 import BeautifulSoup

from monitor.digest.model import build_model
from monitor.digest.render import render_digest
from monitor.digest.types import DigestModel
from tests.digest.support import SYNTHETIC_PREFIX, first, large_day

GMAIL_CLIPS_AT = 102 * 1000  # Gmail clips a message whose HTML is larger ("102 KB")


def large_model(count: int = 150) -> DigestModel:
    return build_model(
        large_day(count),
        actions={}, statuses=[], source_titles={},
        period={"label": "synthetic day", "first_change_id": None, "last_change_id": None},
        generated_at=datetime(2025, 9, 13, 7, tzinfo=UTC),
    )  # fmt: skip


def test_150_new_entities_stay_under_the_gmail_clipping_limit() -> None:
    html = render_digest(large_model(150), "html")
    size = len(html.encode("utf-8"))
    print(f"HTML digest of 150 new entities: {size} bytes")  # the figure, for the record (-s)
    assert size < GMAIL_CLIPS_AT, f"{size} bytes: Gmail would clip it"
    soup = BeautifulSoup(html, "html.parser")
    rows = soup.find_all("tr", class_="entity-row")
    assert len(rows) == 150 and not soup.find_all("table", class_="entity")
    assert all(SYNTHETIC_PREFIX in row.text for row in rows)
    assert "ecmon digest --format json" in first(soup, ".compact-note").text
    assert first(soup, "#timeline .chain-summary").text == (
        "BIS +150 (150 semiconductors) → MOFCOM anti-dumping next day"
    )


def test_the_json_keeps_every_entry_whole() -> None:
    model = json.loads(render_digest(large_model(150), "json"))
    [group] = model["groups"]
    assert len(group["entities"]) == 150
    assert {"label": "license policy", "value": "Presumption of denial."} in group["shared"]
    first = group["entities"][0]
    assert first["sectors"][0]["evidence"] == ["name: “Microelectronics”"]
    assert first["sources"] == ["us_csl_entity_list", "us_ecfr_entity_list"]


def test_a_short_group_keeps_its_cards() -> None:
    soup = BeautifulSoup(render_digest(large_model(12), "html"), "html.parser")
    assert len(soup.find_all("table", class_="entity")) == 12
    assert not soup.find_all("tr", class_="entity-row")
