"""The eCFR Entity List source (15 CFR 744 Supp. 4): the real-format fixture mirrors, literal
tables for the table's conventions, strict errors, and fetch against a real HTTP server on
127.0.0.1 serving the versioner mirror. Literal rows reuse names from the reference; the
few texts that are not (notes, an unknown country) are labelled synthetic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import SourceSettings
from monitor.diff import diff_records
from monitor.errors import ConfigError, EcmonError, ParseError, ShapeError
from monitor.http import HttpClient
from monitor.keys import record_key
from monitor.models import Record, RunOutcome, RunSummary
from monitor.sources import REGISTRY
from monitor.sources.base import DatedSource
from monitor.sources.csl.source import CslEntityListSource
from monitor.sources.ecfr.source import EcfrEntityListSource, date_marker
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.support import (
    FAST_HTTP,
    FIXTURES,
    SEPT_2025_ADDITIONS,
    mirrored,
    run_stage,
    stage_url,
)

MIRROR = FIXTURES / "us_ecfr_entity_list"
NAME = "us_ecfr_entity_list"
URL = "https://www.ecfr.gov/api/versioner/v1/full/2025-09-16/title-15.xml?part=744"
SOURCE = EcfrEntityListSource()
SETTINGS = SOURCE.info.default_settings()
SUPPLEMENT = "Supplement No. 4 to Part 744"
HEADER = ("Country", "Entity", "License requirement", "License review policy",
          "Federal Register citation")  # fmt: skip
CHINA = "CHINA, PEOPLE'S REPUBLIC OF"
REQ = "For all items subject to the EAR."
POLICY = "Presumption of denial."
ZHIPU_CELL = (
    "Beijing Zhipu Huazhang Technology Co., Ltd., a.k.a., the following two aliases: "
    "—Zhipu AI; and —Beijing Knowledge Atlas Technology Co., Ltd. Floor 10, Building 9, "
    "No. 1, Zhongguancun East Road, Haidian District, Beijing, 100080, China."
)

CETC13 = record_key(
    "China Electronics Technology Group Corporation 13th Research Institute (CETC 13)", "CN"
)
ZHIPU = record_key("Beijing Zhipu Huazhang Technology Co., Ltd.", "CN")
AP_FINANCE = record_key("A.P. Finance Limited", "GB")
GROUP_32 = record_key("32 Group China Ltd.", "HK")
BEFORE_EL = {
    CETC13,
    GROUP_32,
    record_key("54th Research Institute of China", "CN"),
    record_key("A.C. International", "CN"),
    AP_FINANCE,
}
_HK = ("Shanghai Fudan Microelectronics (HK) Co., Ltd.", "Hong Kong Suochen Information Technology")
SEPT_HK = {record_key(name, "HK") for name in _HK}
SEPT_2025 = SEPT_HK | {record_key(name, "CN") for name in SEPT_2025_ADDITIONS if name not in _HK}
EXPECTED = {
    "2025-01-15": BEFORE_EL,
    "2025-01-16": BEFORE_EL | {ZHIPU},
    "2025-09-11": BEFORE_EL | {ZHIPU},
    "2025-09-16": (BEFORE_EL - {AP_FINANCE}) | SEPT_2025 | {ZHIPU},
}


def xml_file(date: str, stage: str = "later") -> Path:
    return MIRROR / stage / "full" / date / "title-15.xml"


def parse(raw: bytes) -> dict[str, Record]:
    records = SOURCE.parse(raw, url=URL, settings=SETTINGS)
    by_key = {r.key: r for r in records}
    assert len(by_key) == len(records)
    return by_key


def parse_date(date: str, stage: str = "later") -> dict[str, Record]:
    return parse(xml_file(date, stage).read_bytes())


def csl_el(stage: str) -> dict[str, Record]:
    csl = CslEntityListSource()
    path = FIXTURES / "us_csl_entity_list" / stage / "consolidated.csv"
    records = csl.parse(path.read_bytes(), url="csl", settings=csl.info.default_settings())
    return {r.key: r for r in records if r.list_name == "el"}


def tr(*cells: str) -> str:
    return "<TR>" + "".join(f"<TD>{c}</TD>" for c in cells) + "</TR>"


def table_xml(rows: list[str], *, header: tuple[str, ...] = HEADER, sections: bool = True) -> bytes:
    head = "<TR>" + "".join(f"<TH>{h}</TH>" for h in header) + "</TR>"
    inner = (
        f"<THEAD>{head}</THEAD><TBODY>{''.join(rows)}</TBODY>" if sections else head + "".join(rows)
    )
    return (
        f'<DIV5 N="744" TYPE="PART"><DIV9 N="{SUPPLEMENT}" TYPE="APPENDIX">'
        f"<DIV><TABLE>{inner}</TABLE></DIV></DIV9></DIV5>"
    ).encode()


# --- the fixture mirrors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "date"),
    [("later", d) for d in EXPECTED] + [("before", "2025-01-15"), ("before", "2025-01-16")],
)
def test_each_fixture_date_parses_to_exact_keys(stage: str, date: str) -> None:
    records = parse_date(date, stage)
    assert set(records) == EXPECTED[date]
    assert all(r.list_name == "el" for r in records.values())


def test_mirrors_hold_the_same_files_for_shared_dates() -> None:
    for date in ("2025-01-15", "2025-01-16"):
        assert xml_file(date, "before").read_bytes() == xml_file(date, "later").read_bytes()


@pytest.mark.parametrize(("csl_stage", "date"), [("before", "2025-09-11"), ("after", "2025-09-16")])
def test_keys_match_the_csl_source(csl_stage: str, date: str) -> None:
    assert set(parse_date(date)) == set(csl_el(csl_stage)) | {ZHIPU}


def test_diff_of_september_equals_the_csl_diff() -> None:
    ecfr = diff_records(parse_date("2025-09-11"), parse_date("2025-09-16"))
    csl = diff_records(csl_el("before"), csl_el("after"))
    assert {(c.key, c.kind) for c in ecfr} == {(c.key, c.kind) for c in csl}
    kinds = [c.kind for c in ecfr]
    # CETC 13 carries 87 FR 77505 (December 2022) in every table: no modification.
    assert (kinds.count("added"), kinds.count("removed"), kinds.count("modified")) == (11, 1, 0)
    [removed] = [c for c in ecfr if c.kind == "removed"]
    assert removed.key == AP_FINANCE


def test_zhipu_entry_from_the_verbatim_cell() -> None:
    record = parse_date("2025-01-16")[ZHIPU]
    assert record.name == "Beijing Zhipu Huazhang Technology Co., Ltd."
    assert record.country == "CN"
    assert record.fields["aliases"] == ("Zhipu AI", "Beijing Knowledge Atlas Technology Co., Ltd.")
    assert record.fields["addresses"] == (
        "Floor 10, Building 9, No. 1, Zhongguancun East Road, Haidian District, Beijing, "
        "100080, China",
    )
    assert record.fields["citations"] == ("90 FR 4619",)
    assert record.fields["federal_register_notice"] == "90 FR 4619, 1/16/25."
    assert (
        record.fields["license_requirement"]
        == "For all items subject to the EAR. (See § 744.11 of the EAR)"
    )
    assert record.fields["license_policy"] == "Presumption of denial"
    assert "start_date" not in record.fields
    assert not any("http" in str(v) for v in record.fields.values())


def test_cetc13_aliases_addresses_footnote_and_citations() -> None:
    before, after = parse_date("2025-09-11")[CETC13], parse_date("2025-09-16")[CETC13]
    assert before.fields["aliases"] == (
        "Hebei Semiconductor Research Institute",
        "HSRI",
        "Hebei Institute of Semiconductors",
        "Hebei Semiconductor Institute",
        "Hebei Semiconductor",
        "CETC Research Institute 13",
    )
    # The same aliases as the CSL row, whose alias cell is "A; B; ...; and F".
    assert set(before.fields["aliases"]) == set(csl_el("before")[CETC13].fields["aliases"])
    assert len(before.fields["addresses"]) == 3
    assert before.fields["footnotes"] == ("3",)
    assert before.fields["citations"] == after.fields["citations"] == ("83 FR 37423", "87 FR 77505")
    assert before.content_hash == after.content_hash


def test_country_from_address_else_from_the_country_column() -> None:
    records = parse_date("2025-09-16")
    # Hong Kong entries sit under CHINA in the table; their addresses say Hong Kong.
    group = records[GROUP_32]
    assert (group.country, group.meta["table_country"]) == ("HK", CHINA)
    assert group.fields["countries"] == ("HK",)
    assert all(records[k].country == "HK" for k in SEPT_HK)
    # No address (54th) or an address ending in a city (A.C. International): the column.
    assert records[record_key("A.C. International", "CN")].fields["countries"] == ("CN",)
    ap = parse_date("2025-09-11")[AP_FINANCE]
    assert (ap.country, ap.meta["table_country"]) == ("GB", "UNITED KINGDOM")


# --- literal tables: the table's conventions ------------------------------------------------


def test_country_carried_forward_and_bare_rows() -> None:
    rows = [
        tr(CHINA, "", "", "", ""),  # a country heading
        tr("", "Sino IC Technology", REQ, POLICY, ""),
        tr("", "GMC Semiconductor Technology (Wuxi) Co.", REQ, POLICY, ""),
        tr(
            "UNITED KINGDOM<sup>1</sup>",
            "A.P. Finance Limited, 38, Princes Court-88 Brompton Road",
            REQ,
            POLICY,
            "",
        ),
    ]
    with_sections = parse(table_xml(rows))
    bare = parse(table_xml(rows, sections=False))
    assert with_sections == bare
    assert [r.country for r in bare.values()] == ["CN", "CN", "GB"]


def test_reserved_stars_notes_and_marker_rows_are_skipped() -> None:
    rows = [
        tr("BURMA", "[Reserved]", "", "", ""),
        tr(CHINA, ZHIPU_CELL, REQ, POLICY, "90 FR 4619, 1/16/25."),
        tr("", "*  *  *", "*  *  *", "*  *  *", "*  *  *"),
        tr("", "Subordinate institution:", "", "", ""),
        tr("", "Affiliated entities: Sino IC Technology", REQ, POLICY, ""),
        tr("", "[Reserved]", "", "", ""),
        # Synthetic note texts in the reference's elided form.
        '<TR><TD colspan="5">1 For this entity …</TD></TR>',
        "<TR><TD>[63 FR 64325 …]</TD></TR>",
        tr("2 Cybersecurity …", "", "", "", ""),
    ]
    records = parse(table_xml(rows))
    assert set(records) == {ZHIPU, record_key("Sino IC Technology", "CN")}


def test_line_breaks_and_superscript_footnotes() -> None:
    cell = (
        "Beijing Zhipu Huazhang Technology Co., Ltd.<sup>4</sup>, a.k.a., the following two "
        "aliases:<br/>—Zhipu AI; and<br/>—Beijing Knowledge Atlas Technology Co., Ltd.<br/>"
        "Floor 10, Building 9, No. 1, Zhongguancun East Road, Haidian District, Beijing, "
        "100080, China."
    )
    requirement = "For all items subject to the EAR. (See § 744.11 of the EAR)<sup>1</sup>"
    flat = parse(table_xml([tr(CHINA, ZHIPU_CELL, REQ, POLICY, "")]))[ZHIPU]
    marked = parse(table_xml([tr(CHINA, cell, requirement, POLICY, "")]))[ZHIPU]
    for field in ("name", "aliases", "addresses", "countries"):
        assert marked.fields[field] == flat.fields[field]
    assert marked.fields["footnotes"] == ("4", "1")
    assert marked.get_text("license_requirement").endswith("EAR)1")  # glued, as the CSL shows it


@pytest.mark.parametrize(
    ("cell", "name", "aliases", "addresses"),
    [
        (  # a glued footnote (the reference: Fudan entries carry footnote 4)
            "Shanghai Fudan Microelectronics Group Co., Ltd.4",
            "Shanghai Fudan Microelectronics Group Co., Ltd.",
            (),
            (),
        ),
        (  # the single "a.k.a." form (synthetic alias: the MEU row's acronym)
            "Academy of Aerospace Solid Propulsion Technology, a.k.a., AASPT. "
            "Tian Wang te Zi #1, Baqiao District, Xian, China.",
            "Academy of Aerospace Solid Propulsion Technology",
            ("AASPT",),
            ("Tian Wang te Zi #1, Baqiao District, Xian, China",),
        ),
        (  # synthetic: an em dash inside the address is not an alias bullet
            ZHIPU_CELL.replace("Building 9", "Building\u20149"),
            "Beijing Zhipu Huazhang Technology Co., Ltd.",
            ("Zhipu AI", "Beijing Knowledge Atlas Technology Co., Ltd."),
            (
                "Floor 10, Building\u20149, No. 1, Zhongguancun East Road, Haidian District, "
                "Beijing, 100080, China",
            ),
        ),
        (  # a name with a comma, no address
            "Aerospace Information Research Institute, CAS",
            "Aerospace Information Research Institute, CAS",
            (),
            (),
        ),
    ],
)
def test_entity_cell_forms(
    cell: str, name: str, aliases: tuple[str, ...], addresses: tuple[str, ...]
) -> None:
    [record] = parse(table_xml([tr(CHINA, cell, REQ, POLICY, "")])).values()
    assert (record.name, record.fields["aliases"], record.fields["addresses"]) == (
        name,
        aliases,
        addresses,
    )


def test_alias_count_mismatch_is_noted_not_fatal() -> None:
    cell = ZHIPU_CELL.replace("two aliases", "three aliases")
    [record] = parse(table_xml([tr(CHINA, cell, REQ, POLICY, "")])).values()
    assert record.fields["aliases"] == ("Zhipu AI", "Beijing Knowledge Atlas Technology Co., Ltd.")
    assert "three" in record.meta["notes"]


def test_one_entity_printed_twice_is_merged() -> None:
    rows = [tr(CHINA, "Sino IC Technology", REQ, POLICY, "")] * 2
    [record] = parse(table_xml(rows)).values()
    assert record.meta["merged_rows"] == "2"


# --- strict errors ----------------------------------------------------------------------------

ZHIPU_ROW = tr(CHINA, ZHIPU_CELL, REQ, POLICY, "90 FR 4619, 1/16/25.")
NO_SUPPLEMENT = table_xml([ZHIPU_ROW]).replace(SUPPLEMENT.encode(), b"Supplement No. 5 to Part 744")
NO_TABLE = f'<DIV5 N="744"><DIV9 N="{SUPPLEMENT}"><P>x</P></DIV9></DIV5>'.encode()
GPO_TABLE = f'<DIV5><DIV9 N="{SUPPLEMENT}"><GPOTABLE COLS="5"/></DIV9></DIV5>'.encode()
EMPTY_TABLE = f'<DIV5><DIV9 N="{SUPPLEMENT}"><TABLE><THEAD/></TABLE></DIV9></DIV5>'.encode()
TWO_TABLES = table_xml([ZHIPU_ROW]).replace(b"</TABLE>", b"</TABLE><TABLE/>")


@pytest.mark.parametrize(
    ("raw", "error", "words"),
    [
        (NO_SUPPLEMENT, ShapeError, f'N="{SUPPLEMENT}"'),
        (NO_TABLE, ShapeError, "0 TABLE"),
        (GPO_TABLE, ShapeError, "GPOTABLE"),
        (TWO_TABLES, ShapeError, "2 TABLE"),
        (table_xml([ZHIPU_ROW], header=HEADER[:4]), ShapeError, "table header"),
        (table_xml([ZHIPU_ROW], header=(*HEADER[:4], "FR citation")), ShapeError, "header"),
        (EMPTY_TABLE, ShapeError, "no rows"),
        (table_xml([tr(CHINA, ZHIPU_CELL, REQ, POLICY)]), ShapeError, "4 cells"),
        (table_xml([tr("", ZHIPU_CELL, REQ, POLICY, "")]), ShapeError, "no country"),
        (table_xml([tr(CHINA, "", REQ, POLICY, "")]), ShapeError, "no entity"),
        (table_xml([tr(CHINA, "Subordinate institution:", REQ, "", "")]), ShapeError, "no entity"),
        (table_xml([tr(CHINA, ", a.k.a. Zhipu AI", REQ, POLICY, "")]), ShapeError, "no name"),
        # Synthetic: a Country column value that is no country.
        (
            table_xml([tr("NOT A COUNTRY", ZHIPU_CELL, REQ, POLICY, "")]),
            ShapeError,
            "NOT A COUNTRY",
        ),
        (b"", ShapeError, "empty body"),
        (b"<!DOCTYPE html><html><body>Sorry</body></html>", ShapeError, "HTML page"),
        (table_xml([ZHIPU_ROW])[:-20], ParseError, "not well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            + table_xml([tr(CHINA, "&lol2;", REQ, POLICY, "")]),
            ParseError,
            "DTD",
        ),
    ],
)
def test_strict_errors_name_the_source_and_url(
    raw: bytes, error: type[EcmonError], words: str
) -> None:
    with pytest.raises(error) as caught:
        parse(raw)
    assert words in caught.value.message
    assert (caught.value.source, caught.value.url) == (NAME, URL)


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    doctype = f'<!DOCTYPE DIV5 [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'.encode()
    raw = doctype + table_xml([tr(CHINA, "Sino IC Technology &xxe;", REQ, POLICY, "")])
    with pytest.raises(ParseError) as caught:
        parse(raw)
    assert "DTD" in caught.value.message
    assert "TOP-SECRET-VALUE" not in str(caught.value)
    assert (caught.value.source, caught.value.url) == (NAME, URL)


# --- fetch against the mirror on 127.0.0.1 ------------------------------------------------------


@pytest.fixture
def mirror() -> Iterator[FixtureServer]:
    with FixtureServer(root=FIXTURES) as server:
        yield server


def stage_settings(server: FixtureServer, stage: str) -> SourceSettings:
    return mirrored(NAME, stage_url(server, NAME, stage), min_records=None)


@pytest.mark.parametrize(("stage", "newest"), [("before", "2025-01-16"), ("later", "2025-09-16")])
def test_fetch_downloads_the_newest_amendment(
    mirror: FixtureServer, stage: str, newest: str
) -> None:
    with HttpClient(FAST_HTTP) as client:
        result = SOURCE.fetch(client, stage_settings(mirror, stage), None, {})
    assert not result.not_modified
    assert result.valid_for == newest
    assert result.validators == date_marker(newest)
    assert result.content == xml_file(newest, stage).read_bytes()
    assert result.url.endswith(f"/full/{newest}/title-15.xml?part=744")
    paths = [r.path for r in mirror.requests]
    assert paths == [
        f"/{NAME}/{stage}/versions/title-15.json?part=744",
        f"/{NAME}/{stage}/full/{newest}/title-15.xml?part=744",
    ]


def test_fetch_is_not_modified_when_the_validators_carry_that_date(mirror: FixtureServer) -> None:
    settings = stage_settings(mirror, "later")
    with HttpClient(FAST_HTTP) as client:
        same = SOURCE.fetch(client, settings, date_marker("2025-09-16"), {})
        assert same.not_modified and same.content == b""
        assert same.valid_for == "2025-09-16" and same.validators == date_marker("2025-09-16")
        assert not any("/full/" in r.path for r in mirror.requests)
        older = SOURCE.fetch(client, settings, date_marker("2025-01-16"), {})
    assert not older.not_modified and older.valid_for == "2025-09-16"


def test_fetch_as_of_any_date(mirror: FixtureServer) -> None:
    settings = stage_settings(mirror, "later")
    with HttpClient(FAST_HTTP) as client:
        result = SOURCE.fetch_as_of(client, settings, "2025-09-11")
        assert result.valid_for == "2025-09-11"
        assert result.validators == date_marker("2025-09-11")
        assert set(parse(result.content)) == EXPECTED["2025-09-11"]
        with pytest.raises(ConfigError):
            SOURCE.fetch_as_of(client, settings, "current")


def test_amendment_dates(mirror: FixtureServer) -> None:
    after, before = stage_settings(mirror, "later"), stage_settings(mirror, "before")
    with HttpClient(FAST_HTTP) as client:
        assert SOURCE.amendment_dates(client, after, None) == ["2025-01-16", "2025-09-16"]
        assert SOURCE.amendment_dates(client, after, "2025-02-01") == ["2025-09-16"]
        assert SOURCE.amendment_dates(client, after, "2025-09-16") == ["2025-09-16"]
        assert SOURCE.amendment_dates(client, after, "2025-09-17") == []
        assert SOURCE.amendment_dates(client, before, None) == ["2025-01-16"]
        with pytest.raises(ConfigError):
            SOURCE.amendment_dates(client, after, "16/09/2025")


def version(identifier: str, date: str, kind: str) -> dict[str, object]:
    return {"date": date, "amendment_date": date, "issue_date": date, "identifier": identifier,
            "name": identifier, "part": "744", "substantive": True, "removed": False,
            "subpart": None, "title": "15", "type": kind}  # fmt: skip


def write_index(root: Path, pages: list[list[dict[str, object]]]) -> None:
    """A versions index of several pages in a mirror with its _queries.json (synthetic)."""
    queries = {}
    for number, entries in enumerate(pages, start=1):
        doc = {"content_versions": entries, "meta": {"total_pages": len(pages), "result_count": 9}}
        (root / f"page{number}.json").write_text(json.dumps(doc), encoding="utf-8")
        query = "part=744" if number == 1 else f"page={number}&part=744"
        queries[f"/versions/title-15.json?{query}"] = f"page{number}.json"
    (root / "_queries.json").write_text(json.dumps(queries), encoding="utf-8")


def test_versions_pages_are_followed(tmp_path: Path) -> None:
    first = [
        version("744.11", "2025-03-25", "section"),
        version(SUPPLEMENT, "2025-01-16", "appendix"),
    ]
    second = [
        version(SUPPLEMENT, "2025-09-16", "appendix"),
        version("744.8", "2025-09-29", "section"),
    ]
    write_index(tmp_path, [first, second])
    with FixtureServer(root=tmp_path) as server, HttpClient(FAST_HTTP) as client:
        dates = SOURCE.amendment_dates(client, SOURCE.rebase(SETTINGS, server.url), None)
        assert [r.path for r in server.requests][-1] == "/versions/title-15.json?part=744&page=2"
    assert dates == ["2025-01-16", "2025-09-16"]  # sections' dates are not the list's


def test_without_a_supplement_entry_the_part_dates_are_used(tmp_path: Path) -> None:
    write_index(tmp_path, [[version("744.11", "2025-03-25", "section"),
                            version("744.8", "2025-09-29", "section")]])  # fmt: skip
    with FixtureServer(root=tmp_path) as server, HttpClient(FAST_HTTP) as client:
        assert SOURCE.amendment_dates(client, SOURCE.rebase(SETTINGS, server.url), None) == [
            "2025-03-25",
            "2025-09-29",
        ]


@pytest.mark.parametrize(
    ("body", "error", "words"),
    [
        (b"<html>not json</html>", ParseError, "not JSON"),
        (b'{"results": []}', ShapeError, "content_versions"),
        (b'{"content_versions": [], "meta": {"total_pages": 0}}', ShapeError, "total_pages"),
        (b'{"content_versions": []}', ShapeError, "neither"),
        (
            json.dumps(
                {
                    "content_versions": [
                        {**version(SUPPLEMENT, "x", "appendix"), "amendment_date": "soon"}
                    ]
                }
            ).encode(),
            ShapeError,
            "amendment_date",
        ),
    ],
)
def test_bad_versions_index(
    fixture_server: FixtureServer, body: bytes, error: type[EcmonError], words: str
) -> None:
    fixture_server.set_route("/versions/title-15.json", body, content_type="application/json")
    settings = SOURCE.rebase(SETTINGS, fixture_server.url)
    with HttpClient(FAST_HTTP) as client, pytest.raises(error) as caught:
        SOURCE.fetch(client, settings, None, {})
    assert words in caught.value.message and caught.value.source == NAME
    assert caught.value.url is not None and "/versions/title-15.json" in caught.value.url


# --- the whole pipeline -------------------------------------------------------------------------


def test_registered_and_versioned() -> None:
    assert isinstance(REGISTRY[NAME], EcfrEntityListSource)
    assert isinstance(REGISTRY[NAME], DatedSource)


def test_pipeline_baseline_changes_then_not_modified(tmp_path: Path, mirror: FixtureServer) -> None:
    def run(stage: str) -> RunSummary:
        return run_stage(store, tmp_path / "ecmon.db", mirror, NAME, stage)

    with Store.open(tmp_path / "ecmon.db") as store:
        assert run("before").outcome == RunOutcome.BASELINE
        changed = run("later")
        assert changed.outcome == RunOutcome.CHANGED, changed.message
        assert (changed.added, changed.removed, changed.modified) == (11, 1, 0)
        assert store.accepted_valid_for(NAME) == "2025-09-16"
        downloads = sum("/full/" in r.path for r in mirror.requests)
        assert run("later").outcome == RunOutcome.NOT_MODIFIED
        assert sum("/full/" in r.path for r in mirror.requests) == downloads
