"""Every output is written for readers: no internal notes of the project (references to
its source notes, reviewers' to-dos) reach the demo, diff, digest, feed, links or sectors
output, in any format. The taxonomy's notes say what they are ("inferred: ...") and each
format says the same thing."""

from __future__ import annotations

import json

import pytest

from tests.digest.support import build_demo_db
from tests.digest.test_html import ecmon

# What an internal note looks like: a reference to the project's source notes, a
# reviewer's to-do, the bracketed hedges written for the taxonomy's maintainers.
MARKERS = (
    "SOURCES.md", "confirm or overrule", "[inferred, not stated", "not stated in the reference",
)  # fmt: skip


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("reader")
    db = build_demo_db(tmp / "demo.db")
    found: dict[str, str] = {}
    for command, formats in (("digest", ("text", "html", "markdown", "json")),
                             ("diff", ("text", "markdown", "json", "csv"))):  # fmt: skip
        for fmt in formats:
            out = tmp / f"{command}.{fmt}"
            ecmon(tmp, "--db", str(db), command, "--format", fmt, "--output", str(out))
            found[f"{command} --format {fmt}"] = out.read_text(encoding="utf-8")
    feed = tmp / "feed.xml"
    ecmon(tmp, "--db", str(db), "feed", "--output", str(feed))
    found["feed"] = feed.read_text(encoding="utf-8")
    found["links"] = ecmon(tmp, "--db", str(db), "links")
    found["sectors"] = ecmon(tmp, "--db", str(db), "sectors")
    found["demo"] = ecmon(tmp, "--db", str(tmp / "again.db"), "demo")
    return found


def test_no_output_carries_an_internal_note(outputs: dict[str, str]) -> None:
    assert len(outputs) == 12
    leaks = [
        f"{name}: {marker!r}" for name, text in outputs.items() for marker in MARKERS
        if marker in text
    ]  # fmt: skip
    assert not leaks, leaks


def test_an_inference_is_said_so_in_every_format(outputs: dict[str, str]) -> None:
    note = "inferred: 索辰 is a simulation-software (CAE) maker"
    for name in ("digest --format html", "digest --format text", "digest --format markdown"):
        assert note in outputs[name], name
    model = json.loads(outputs["digest --format json"])
    entities = [e for g in model["groups"] for e in g["entities"]]
    suochen = [e for e in entities if e["name"].startswith("Hong Kong Suochen")]
    assert [s["note"] for e in suochen for s in e["sectors"]] == [note]


PLACEHOLDER = "art_00000000000000000000002025091301.html"  # the demo's 27号: URL not recorded
REAL = "art_adc429fe09db443cb2e5837524bc2eda.html"  # the 5 November answer: its recorded page


def test_a_placeholder_url_is_marked_and_never_the_official_text(
    outputs: dict[str, str],
) -> None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(outputs["digest --format html"], "html.parser")
    links = {str(a["href"]).rsplit("/", 1)[-1]: a.text for a in soup.find_all("a", href=True)}
    assert links[REAL] == "official text"  # a MOFCOM act links to its official page
    assert PLACEHOLDER not in links
    marked = soup.find_all(class_="placeholder-url")
    assert marked and all("placeholder URL" in m.text for m in marked)
    # The demo's per-list detail is the diff text since the baseline (a bare ``diff`` shows
    # MOFCOM's latest run: the demo's later stage, whose answer has its recorded page).
    for name in ("digest --format text", "digest --format markdown", "demo", "feed"):
        lines = [line for line in outputs[name].splitlines() if PLACEHOLDER in line]
        assert lines, name
        assert all("placeholder URL" in line and "official" not in line for line in lines), name
    model = json.loads(outputs["digest --format json"])
    notes = {a["url"].rsplit("/", 1)[-1]: a["url_note"] for a in model["actions"]}
    assert notes[REAL] == "" and notes[PLACEHOLDER].startswith("placeholder URL")
    # The demo's synthetic public-inspection filing (FR Doc. 2025-99912) likewise.
    assert notes["2025-99912.pdf"].startswith("placeholder URL")
    assert links.get("2025-99912.pdf") != "official text"
