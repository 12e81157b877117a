"""The FR full-text XML reader and the summary helpers, on literals.

Entity names in the synthetic rules below ("Example ...") are placeholders, not real
entries; the layout is the one of SOURCES.md section 3.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ParseError, ShapeError
from monitor.sources.federal_register.rule import parse_rule, split_entity
from monitor.sources.federal_register.text import (
    count_flags,
    country_counts,
    destination_iso,
    effective_from_dates,
    reason_sentences,
    stated_counts,
)

URL = "https://www.federalregister.gov/documents/full_text/xml/x.xml"
FIXTURE = Path(__file__).resolve().parents[3] / "fixtures/us_federal_register/full_text"
HEADER = (
    "<BOXHD><CHED H='1'>Country</CHED><CHED H='1'>Entity</CHED>"
    "<CHED H='1'>License requirement</CHED><CHED H='1'>License review policy</CHED>"
    "<CHED H='1'>Federal Register citation</CHED></BOXHD>"
)


def rule(amdpar: str, rows: str, *, header: str = HEADER, suplinf: str = "") -> bytes:
    return (
        "<RULE><PREAMB><SUM><HD SOURCE='HED'>SUMMARY:</HD>Summary text.</SUM></PREAMB>"
        f"<SUPLINF>{suplinf}</SUPLINF><REGTEXT PART='744' TITLE='15'><AMDPAR>{amdpar}</AMDPAR>"
        f"<GPOTABLE COLS='5'>{header}{rows}</GPOTABLE></REGTEXT></RULE>"
    ).encode()


def row(*cells: str) -> str:
    return "<ROW>" + "".join(f"<ENT>{c}</ENT>" if c else "<ENT/>" for c in cells) + "</ROW>"


STARS = "<ROW><ENT I='22'>*   *   *</ENT></ROW>"
MIXED = (
    "Supplement No. 4 to part 744 is amended: a. By adding under CHINA, PEOPLE'S REPUBLIC OF, "
    "in alphabetical order, entries for “Example Alpha Co., Ltd.,” and “Example Beta Inc.”; "
    "b. By revising under INDIA, the entry for “Example Gamma Ltd.”; and c. By removing under "
    "TAIWAN, the entry for “Example Delta Corp.” The additions and revision read as follows:"
)
ROWS = (
    row("CHINA, PEOPLE'S REPUBLIC OF", "", "", "", "")
    + STARS
    + row("", "Example Alpha Co., Ltd., Room 1, No. 2 Road, Beijing, China.", "r", "p", "90 FR 1")
    + row("", "Example Beta Inc.<SU>1</SU>, a.k.a., Example B. No. 3 Road.", "r", "p", "")
    + STARS
    + row("INDIA", "", "", "", "")
    + row("", "Example Gamma Ltd., Mumbai, India.", "r", "p", "75 FR 1, 1/1/10. 90 FR 2.")
)


def test_the_fixture_full_text_names_zhipu() -> None:
    text = parse_rule((FIXTURE / "2025-00704.xml").read_bytes(), url=URL)
    [party] = text.parties
    assert party.name == "Beijing Zhipu Huazhang Technology Co., Ltd."
    assert party.aliases == ("Zhipu AI", "Beijing Knowledge Atlas Technology Co., Ltd.")
    assert (party.country, party.citations, party.operation) == ("CN", ("90 FR 4619",), "add")
    assert text.summary.startswith("In this rule, the Bureau of Industry and Security")
    assert text.flags == ()


def test_operations_follow_the_instruction_clause_by_clause() -> None:
    text = parse_rule(rule(MIXED, ROWS), url=URL)
    found = [(p.name, p.country, p.operation, p.citations) for p in text.parties]
    assert found == [
        ("Example Alpha Co., Ltd.", "CN", "add", ("90 FR 1",)),
        ("Example Beta Inc.", "CN", "add", ()),
        ("Example Gamma Ltd.", "IN", "revise", ("75 FR 1", "90 FR 2")),
        ("Example Delta Corp.", "TW", "remove", ()),  # named only in the instruction
    ]
    assert text.parties[1].aliases == ("Example B",)  # the footnote marker <SU>1</SU> dropped
    assert text.summary == "Summary text."


def test_an_operation_the_instruction_does_not_settle_is_flagged() -> None:
    amdpar = "Supplement No. 4 to part 744 is amended by adding and revising entries:"
    rows = row("INDIA", "", "", "", "") + row("", "Example Gamma Ltd., Mumbai.", "", "", "")
    text = parse_rule(rule(amdpar, rows), url=URL)
    assert text.parties[0].operation == ""
    assert text.flags == ("operation not stated for 'Example Gamma Ltd.'",)


def test_an_unknown_country_heading_is_flagged_not_guessed() -> None:
    rows = row("ATLANTIS", "", "", "", "") + row("", "Example Epsilon Ltd., Somewhere.", "", "", "")
    text = parse_rule(rule("Supplement No. 4 to part 744 is amended by adding", rows), url=URL)
    assert text.parties[0].country == ""
    assert text.flags == ("unknown country heading 'ATLANTIS' in the Entity List table",)


def test_reasons_come_from_the_supplementary_information() -> None:
    prose = (
        "<P>Background sentence. The ERC determined that Example Alpha Co., Ltd. be added to "
        "the Entity List for acquiring items in support of a program. Other prose.</P>"
    )
    text = parse_rule(rule(MIXED, ROWS, suplinf=prose), url=URL)
    assert text.reasons == (
        "The ERC determined that Example Alpha Co., Ltd. be added to the Entity List for "
        "acquiring items in support of a program.",
    )
    assert reason_sentences(["Nothing to see. Still nothing."]) == ()


def test_other_tables_are_skipped_but_an_entity_list_table_must_have_its_columns() -> None:
    other = "<BOXHD><CHED H='1'>Validated end-user</CHED></BOXHD>"
    veu = "Supplement No. 7 to part 748 is amended by removing"
    assert parse_rule(rule(veu, row("x"), header=other), url=URL).parties == ()
    with pytest.raises(ShapeError, match="columns") as caught:
        parse_rule(rule("Supplement No. 4 to part 744 is amended", "", header=other), url=URL)
    assert (caught.value.source, caught.value.url) == ("us_federal_register", URL)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (rule("Supplement No. 4 to part 744", row("", "Example Zeta Ltd.", "", "", "")), "before"),
        (rule("Supplement No. 4 to part 744", row("A", "B", "C", "D", "E", "F")), "6 cells"),
        (b"<NOTICE><SUM>x</SUM></NOTICE>", "not <RULE>"),
        (b"<!DOCTYPE html><html></html>", "HTML page"),
        (b'<!DOCTYPE r [<!ENTITY a "aaaa">]><RULE>&a;</RULE>', "entities"),
        # The same in UTF-16, where a search of the bytes for "<!ENTITY" finds nothing.
        (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE RULE [<!ENTITY a "injected">]>'
            "<RULE><SUM>&a;</SUM></RULE>".encode("utf-16"),
            "entities",
        ),
        (b'<!DOCTYPE RULE SYSTEM "file:///etc/passwd"><RULE/>', "DTD"),
        (b"", "empty"),
    ],
)
def test_bad_full_texts_raise_shape_error(raw: bytes, message: str) -> None:
    with pytest.raises(ShapeError, match=message) as caught:
        parse_rule(raw, url=URL)
    assert (caught.value.source, caught.value.url) == ("us_federal_register", URL)


def test_broken_xml_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="well-formed"):
        parse_rule(b"<RULE><SUM>", url=URL)


def test_entity_cells() -> None:
    assert split_entity("Example Eta Co., Ltd., a.k.a., Example H. Road 1, City.") == (
        "Example Eta Co., Ltd.",
        ("Example H",),
    )
    assert split_entity("Example Theta Corporation, 5 Road, City, Country.") == (
        "Example Theta Corporation",
        (),
    )


def test_summary_counts() -> None:
    summary = (
        "by adding 70 entities to the Entity List, under the destinations of China, People's "
        "Republic of (China) (42); Iran (2); Pakistan (19); South Africa (3); and the United Arab "
        "Emirates (UAE) (4). These entities ..."
    )
    counts, flags = country_counts(summary)
    assert counts == ("CN=42", "IR=2", "PK=19", "ZA=3", "AE=4") and flags == ()
    assert stated_counts(summary) == (70, None)
    assert count_flags(summary.replace("70", "71"), counts) == (
        "summary country counts add to 70, summary states 71 entities",
    )
    assert country_counts("under the destinations of Atlantis (2).") == (
        ("??=2",),
        ("unknown destination 'Atlantis' in the summary",),
    )
    assert stated_counts("by adding 11 entities under 11 entries to the Entity List") == (11, 11)
    assert destination_iso("CHINA, PEOPLE’S REPUBLIC OF") == "CN"
    assert effective_from_dates("Effective November 10, 2025, the amendments ...") == "2025-11-10"
    assert effective_from_dates("Comments due ...") == ""


# The layout of the real rule 2023-03929 (blank CHEDs, column titles in a ROW, the
# instruction split over AMDPARs a.-b., spacer rows, an address in a row of its own, the
# printer's citation placeholder, PRTPAGE markers). SYNTHETIC: placeholder names.
BLANK_HEADER = "<BOXHD>" + "<CHED H='1'>\u2003</CHED>" * 5 + "</BOXHD>"
SPACER = "<ROW><ENT I='22'>\u2003</ENT></ROW>"
TITLES = (
    "<ROW><ENT I='25'>Country</ENT><ENT>Entity</ENT><ENT>License <LI>requirement</LI></ENT>"
    "<ENT>License <LI>review policy</LI></ENT><ENT><E T='02'>Federal Register</E> citation"
    "</ENT></ROW>"
)
PLACEHOLDER = "88 FR [INSERT FR PAGE NUMBER AND 2/27/2023]."
SPLIT_RULE = (
    "<RULE><PREAMB><SUM><HD SOURCE='HED'>SUMMARY:</HD>Summary.</SUM></PREAMB><SUPLINF/>"
    "<PRTPAGE P='12171'/><REGTEXT PART='744' TITLE='15'>"
    "<AMDPAR>1. The authority citation for 15 CFR part 744 continues to read as follows:</AMDPAR>"
    "</REGTEXT><REGTEXT PART='744' TITLE='15'>"
    "<AMDPAR>2. Supplement No. 4 to part 744 is amended:</AMDPAR>"
    "<AMDPAR>a. Under CANADA, by adding in alphabetical order, entries for “Example One Inc.” "
    "and “Example Two Inc.”;</AMDPAR>"
    "<AMDPAR>b. Under LUXEMBOURG, by adding in alphabetical order, an entry for "
    "“Example Three S.A.”<PRTPAGE P='12172'/></AMDPAR>"
    f"<GPOTABLE COLS='5'>{BLANK_HEADER}{SPACER}{STARS}{TITLES}{SPACER}{STARS}"
    "<ROW><ENT I='01'>CANADA</ENT><ENT A='03'>*   *   *</ENT></ROW>"
    "<ROW><ENT I='22'>\u2003</ENT><ENT>Example One Inc., a.k.a., the following one alias:"
    "<LI>—Example One.</LI><LI>1 Example Road, Quebec H4T 1Z6 Canada.</LI></ENT>"
    "<ENT>For all items subject to the EAR. (See §§ 734.9(g),<SU>3</SU> 744.21(b))</ENT>"
    f"<ENT>Policy of denial.</ENT><ENT>{PLACEHOLDER}</ENT></ROW>"
    "<ROW><PRTPAGE P='12173'/><ENT I='22'>\u2003</ENT><ENT>Example Two Inc., a.k.a., the "
    "following two aliases:<LI>—Example Two; <E T='03'>and</E></LI><LI>—Example 2 Corp.</LI>"
    f"</ENT><ENT>For all items subject to the EAR.</ENT><ENT>Policy of denial.</ENT><ENT>"
    f"{PLACEHOLDER}</ENT></ROW>"
    "<ROW><ENT I='22'>\u2003</ENT><ENT>2 Example Street, 3<SU>rd</SU> Floor, Montreal, "
    "Canada.</ENT></ROW>"
    f"{SPACER}{STARS}"
    "<ROW><ENT I='01'>LUXEMBOURG</ENT><ENT A='03'>*   *   *</ENT></ROW>"
    "<ROW><ENT I='22'>\u2003</ENT><ENT>Example Three S.A., 9 Avenue, Esch, Luxembourg.</ENT>"
    f"<ENT>For all items subject to the EAR.</ENT><ENT>Policy of denial.</ENT><ENT>"
    f"{PLACEHOLDER}</ENT></ROW>"
    "</GPOTABLE></REGTEXT></RULE>"
)


def test_blank_cheds_split_instructions_spacers_and_address_rows() -> None:
    parsed = parse_rule(SPLIT_RULE.encode(), url=URL)
    assert parsed.flags == ()
    one, two, three = parsed.parties
    assert (one.name, one.aliases, one.country, one.operation) == (
        "Example One Inc.",
        ("Example One",),
        "CA",
        "add",
    )
    assert one.addresses == ("1 Example Road, Quebec H4T 1Z6 Canada",)
    assert (
        one.license_requirement == "For all items subject to the EAR. (See §§ 734.9(g),3 744.21(b))"
    )
    assert one.footnotes == ("3",) and one.license_policy == "Policy of denial."
    # The placeholder is the rule's own citation: the page the entry is printed on.
    assert one.citations == ("88 FR 12172",) and one.citation_text == "88 FR 12172, 2/27/2023."
    assert (two.name, two.aliases, two.citations) == (
        "Example Two Inc.",
        ("Example Two", "Example 2 Corp."),
        ("88 FR 12173",),
    )
    assert two.addresses == ("2 Example Street, 3rd Floor, Montreal, Canada",)
    assert (three.name, three.country, three.operation) == ("Example Three S.A.", "LU", "add")


def test_the_instructions_and_the_table_are_cross_checked() -> None:
    """The quoted names of the instructions are a second reading of the parties."""
    missing = SPLIT_RULE.replace("“Example Two Inc.”", "“Example Twenty Inc.”")
    flags = parse_rule(missing.encode(), url=URL).flags
    assert "table entry 'Example Two Inc.' (CA) is not named in the amendment instructions" in flags
    assert (
        "amendment instructions name 'Example Twenty Inc.' under CA, the table has no such entry"
        in flags
    )


def test_entry_counts_are_checked_against_the_entries() -> None:
    summary = (
        "by adding 10 entities under 13 entries to the Entity List. These entities are listed "
        "on the Entity List under the destinations of Canada (2), China (5), France (1), "
        "Luxembourg (1), Netherlands (1), and Russia (3)."
    )
    counts, flags = country_counts(summary)
    assert flags == () and "LU=1" in counts
    assert count_flags(summary, counts) == ()
    assert count_flags(
        summary.replace("(3)", "(4)"), country_counts(summary.replace("(3)", "(4)"))[0]
    ) == ("summary country counts add to 14, summary states 13 entries",)
