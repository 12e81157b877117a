"""The public inspection raw-text reader, on the fixture text and on literals.

Entity names in the literals ("Example ...") are placeholders, not real entries.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ShapeError
from monitor.sources.federal_register.raw_text import NO_TABLE, parse_raw_text

URL = "https://www.federalregister.gov/public-inspection/raw_text/202/599/912.txt"
FIXTURE = Path(__file__).resolve().parents[3] / "fixtures/us_federal_register/raw_text"
T = "\t"
COLUMNS = T.join(
    [
        "Country",
        "Entity",
        "License requirement",
        "License review policy",
        "Federal Register citation",
    ]
)
INSTRUCTION = (
    "2. Supplement No. 4 to part 744 is amended by adding under CANADA, in alphabetical order,\n"
    "an entry for “Example Trading Ltd.” to read as follows:\n"
)


def text(*table: str, instruction: str = INSTRUCTION) -> bytes:
    body = [
        "SUMMARY: BIS amends the EAR by adding one entity to the Entity List, under the",
        "destination of Canada (1).",
        "",
        "DATES: This rule is effective [INSERT DATE OF PUBLICATION IN THE FEDERAL REGISTER].",
        "",
        instruction,
        "",
        *table,
    ]
    return "\n".join(body).encode()


def test_the_fixture_names_its_eleven_entries() -> None:
    read = parse_raw_text((FIXTURE / "2025-99912.txt").read_bytes(), url=URL)
    assert read.scheduled == "2025-09-16"
    assert read.touches_entity_list
    assert read.flags == ()
    names = [p.name for p in read.parties]
    assert len(names) == 11 and names[0] == "Aerospace Information Research Institute, CAS"
    assert {p.country for p in read.parties} == {"CN"}
    suochen = next(p for p in read.parties if p.name == "Hong Kong Suochen Information Technology")
    assert suochen.addresses == ("Hong Kong",)
    assert read.parties[0].citations == ()  # a filed rule has no page yet
    assert "INSERT FR PAGE NUMBER" in read.parties[0].citation_text


def test_a_wrapped_address_line_belongs_to_the_row_above() -> None:
    read = parse_raw_text(
        text(
            "Supplement No. 4 to Part 744—Entity List",
            COLUMNS,
            "CANADA",
            T.join(
                ["", "Example Trading Ltd., 1 Example Street,", "For all items.", "Denial.", ""]
            ),
            "Toronto.",
            "",
            "Dated: September 11, 2025.",
        ),
        url=URL,
    )
    [party] = read.parties
    assert (party.name, party.country, party.operation) == ("Example Trading Ltd.", "CA", "add")
    assert party.addresses == ("1 Example Street, Toronto",)
    assert read.flags == ()


def test_without_a_table_the_instructions_name_the_parties() -> None:
    read = parse_raw_text(text(), url=URL)
    [party] = read.parties
    assert (party.name, party.country, party.operation) == ("Example Trading Ltd.", "CA", "add")
    assert read.flags == (NO_TABLE,)


def test_disagreements_and_unknown_headings_are_flagged() -> None:
    read = parse_raw_text(
        text(
            "Supplement No. 4 to Part 744—Entity List",
            COLUMNS,
            "ATLANTIS",
            T.join(["", "Example Other Co.", "For all items.", "Denial.", ""]),
        ),
        url=URL,
    )
    assert "unknown country heading 'ATLANTIS' in the raw text table" in read.flags
    assert any("'Example Trading Ltd.'" in f and "no such entry" in f for f in read.flags)


def test_a_table_with_other_columns_is_not_read() -> None:
    read = parse_raw_text(
        text("Supplement No. 4 to Part 744—Entity List", T.join(["Name", "Country"])), url=URL
    )
    assert "raw text Entity List table has no column line; table not read" in read.flags


def test_a_text_about_something_else_does_not_touch_the_list() -> None:
    read = parse_raw_text(b"SUMMARY: BIS revises License Exception ENC.\n", url=URL)
    assert not read.touches_entity_list and read.parties == ()


@pytest.mark.parametrize("body", [b"", b"<!DOCTYPE html><html>blocked</html>"])
def test_markup_or_nothing_raises(body: bytes) -> None:
    with pytest.raises(ShapeError) as caught:
        parse_raw_text(body, url=URL)
    assert caught.value.url == URL
