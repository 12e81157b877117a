"""The Atom feed: valid Atom 1.0 (RFC 4287: the required elements, one each; RFC 3339
times; IRI ids) and entry ids that stay the same across re-renders and rebuilds."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.digest.support import build_demo_db
from tests.support import invoke_db, isolated_env

A = "{http://www.w3.org/2005/Atom}"


def write_feed(tmp_path: Path, db: Path, name: str = "feed.xml") -> Path:
    out = tmp_path / name
    args = ["feed", "--output", str(out), "--since", "2000-01-01"]
    result = invoke_db(db, *args, env=isolated_env(tmp_path))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("feed") / "demo.db")


@pytest.fixture
def feed(demo_db: Path, tmp_path: Path) -> ET.Element:
    return ET.parse(write_feed(tmp_path, demo_db)).getroot()


def one(parent: ET.Element, tag: str) -> ET.Element:
    found = parent.findall(A + tag)
    assert len(found) == 1, f"{parent.tag} needs exactly one {tag}, has {len(found)}"
    return found[0]


def rfc3339(text: str | None) -> datetime:
    assert text and "T" in text
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert moment.tzinfo is not None
    return moment


def test_the_feed_has_every_required_atom_element(feed: ET.Element) -> None:
    assert feed.tag == A + "feed"
    assert one(feed, "id").text == "tag:ecmon,2025:feed"
    assert one(feed, "title").text
    rfc3339(one(feed, "updated").text)
    assert one(one(feed, "author"), "name").text == "ecmon"
    entries = feed.findall(A + "entry")
    # Actions, listing groups (BIS, MFA), modifications (22 UEL entries moved by the
    # 5 November answer), a removal.
    assert len(entries) == 7 + 2 + 22 + 1
    for entry in entries:
        entry_id = one(entry, "id").text or ""
        assert entry_id.startswith("tag:ecmon,2025:") and not set(entry_id) & set(' |<>"')
        assert one(entry, "title").text
        rfc3339(one(entry, "updated").text)
        content = one(entry, "content")
        assert content.get("type") == "html" and content.text
        for link in entry.findall(A + "link"):
            assert link.get("rel") == "alternate" and (link.get("href") or "").startswith(
                "https://"
            )
    ids = [one(e, "id").text for e in entries]
    assert len(set(ids)) == len(ids)


def test_entries_for_actions_and_change_groups(feed: ET.Element) -> None:
    entries = {one(e, "title").text: e for e in feed.findall(A + "entry")}
    investigation = next(e for t, e in entries.items() if t and "商务部公告2025年第27号" in t)
    assert one(investigation, "published").text == "2025-09-13T00:00:00Z"
    assert investigation.find(A + "link") is None  # a placeholder URL is no alternate page
    # The 5 November answer (the later stage) has its recorded page.
    listing = next(e for t, e in entries.items() if t and "相关措施调整答记者问" in t)
    assert one(listing, "link").get("href", "").startswith("https://www.mofcom.gov.cn/")
    # The 12 September additions are grouped under the rule filed that day, which names them.
    filed = (
        "On public inspection, not yet published (filed 2025-09-12 08:45, scheduled for 2025-09-16)"
    )
    group = entries[f"{filed}: FR Doc. 2025-99912 (11)"]
    html = BeautifulSoup(one(group, "content").text or "", "html.parser")
    assert "Sino IC Technology" in {s.text for s in html.find_all("strong")}
    assert "Removed: A.P. Finance Limited (EL)" in entries


def test_entry_ids_and_the_whole_file_are_stable_across_re_renders(
    demo_db: Path, tmp_path: Path
) -> None:
    first = write_feed(tmp_path, demo_db, "first.xml").read_bytes()
    second = write_feed(tmp_path, demo_db, "second.xml").read_bytes()
    assert first == second  # times come from the changes, not from the render


def test_entry_ids_survive_a_rebuilt_database(demo_db: Path, tmp_path: Path) -> None:
    rebuilt = build_demo_db(tmp_path / "rebuilt.db")

    def ids(path: Path) -> set[str | None]:
        return {one(e, "id").text for e in ET.parse(path).getroot().findall(A + "entry")}

    assert ids(write_feed(tmp_path, demo_db, "a.xml")) == ids(
        write_feed(tmp_path, rebuilt, "b.xml")
    )
