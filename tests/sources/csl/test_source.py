"""The CSL source parser against the real-format fixtures and literal rows."""

from __future__ import annotations

import csv
import io
import json
import logging

import pytest

from monitor.config import SourceSettings
from monitor.errors import ConfigError, ParseError, ShapeError
from monitor.keys import record_key
from monitor.models import Record
from monitor.sources.csl.source import CslEntityListSource
from tests.support import FIXTURES

URL = "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv"
NAME = "us_csl_entity_list"
MIRROR = FIXTURES / NAME
SOURCE = CslEntityListSource()

HEADER = (
    "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,"
    "start_date,end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,"
    "gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,"
    "alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,source_information_url,ids"
)
COLUMNS = HEADER.split(",")
EL = "Entity List (EL) - Bureau of Industry and Security"
MEU = "Military End User (MEU) List - Bureau of Industry and Security"
OLD_URL = (
    "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/entity-list"
)
NEW_LIST_URL = "https://www.bis.gov/regulations/ear/744#supplement-4-744"

CETC13 = "China Electronics Technology Group Corporation 13th Research Institute (CETC 13)"
BEFORE_EL = {
    record_key(CETC13, "CN"),
    record_key("32 Group China Ltd.", "HK"),
    record_key("54th Research Institute of China", "CN"),
    record_key("A.C. International", "CN"),
    record_key("A.P. Finance Limited", "GB"),
}
SEPT_2025 = {
    record_key(name, country)
    for name, country in (
        ("Shanghai Fudan Microelectronics Group Co., Ltd.", "CN"),
        ("Beijing Fudan Microelectronics Technology Co., Ltd.", "CN"),
        ("Shenzhen Fudan Microelectronics Co., Ltd.", "CN"),
        ("Shanghai Fudan Microelectronics (HK) Co., Ltd.", "HK"),
        ("Shanghai Fukong Hualong Microsystem Technology Co., Ltd.", "CN"),
        ("Shanghai Fuwei Xunjie Digital Technology Co., Ltd.", "CN"),
        ("Sino IC Technology", "CN"),
        ("GMC Semiconductor Technology (Wuxi) Co.", "CN"),
        ("Jicun Semiconductor Technology (Shanghai)", "CN"),
        ("Aerospace Information Research Institute, CAS", "CN"),
        ("Hong Kong Suochen Information Technology", "HK"),
    )
}
FIELD_NAMES = {
    "name", "aliases", "addresses", "countries", "citations", "federal_register_notice",
    "start_date", "end_date", "license_requirement", "license_policy", "remarks",
    "standard_order", "programs", "footnotes",
}  # fmt: skip


def settings(*lists: str) -> SourceSettings:
    return SourceSettings(name=NAME, enabled=True, url=URL, lists=lists or ("EL",))


def parse(raw: bytes, *lists: str) -> list[Record]:
    return SOURCE.parse(raw, url=URL, settings=settings(*lists))


def by_key(records: list[Record]) -> dict[str, Record]:
    keyed = {r.key: r for r in records}
    assert len(keyed) == len(records), "parse returned two records with one key"
    return keyed


def fixture(name: str) -> bytes:
    return (MIRROR / name).read_bytes()


def row(**values: str) -> list[str]:
    """One current-layout row: an EL row with the given columns set, the rest empty."""
    cells = dict.fromkeys(COLUMNS, "")
    cells.update(_id="0f", source=EL, name="Example Entity", addresses="Somewhere, CN")
    cells.update(values)
    return [cells[c] for c in COLUMNS]


def csv_body(*rows: list[str], header: list[str] = COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def one(raw: bytes, *lists: str) -> Record:
    records = parse(raw, *lists)
    assert len(records) == 1, records
    return records[0]


# --- the fixture pair ---------------------------------------------------------------------------


def test_before_has_exactly_the_expected_entity_list_keys() -> None:
    records = parse(fixture("before/consolidated.csv"))
    assert set(by_key(records)) == BEFORE_EL
    assert {r.list_name for r in records} == {"el"}


def test_after_adds_the_eleven_sept_2025_entries_and_drops_ap_finance() -> None:
    before = set(by_key(parse(fixture("before/consolidated.csv"))))
    after = set(by_key(parse(fixture("after/consolidated.csv"))))
    assert after - before == SEPT_2025
    assert before - after == {record_key("A.P. Finance Limited", "GB")}
    assert len(after) == 15


def test_cetc13_is_the_same_in_both_files_whatever_its_url_columns() -> None:
    """CETC 13 carries both its citations in both files (87 FR 77505 was appended in December
    2022, before either file's date); only its URL columns differ (the BIS site migration),
    which are not hashed, so it is no change."""
    key = record_key(CETC13, "CN")
    old = by_key(parse(fixture("before/consolidated.csv")))[key]
    new = by_key(parse(fixture("after/consolidated.csv")))[key]
    assert (
        old.get_tuple("citations") == new.get_tuple("citations") == ("83 FR 37423", "87 FR 77505")
    )
    assert new.get_text("federal_register_notice") == "83 FR 37423; 87 FR 77505"
    assert {k for k in FIELD_NAMES if old.fields[k] != new.fields[k]} == set()
    assert old.content_hash == new.content_hash
    before_row = next(
        line for line in fixture("before/consolidated.csv").splitlines() if b"CETC 13" in line
    )
    after_row = next(
        line for line in fixture("after/consolidated.csv").splitlines() if b"CETC 13" in line
    )
    assert before_row != after_row  # the URL columns


def test_cetc13_fields_as_published() -> None:
    record = by_key(parse(fixture("after/consolidated.csv")))[record_key(CETC13, "CN")]
    assert record.name == CETC13 and record.country == "CN" and record.list_name == "el"
    assert record.get_tuple("addresses") == (
        "113 Hezuo Road, Shijiazhuang, Hebei, China",
        "21 Changsheng Street, Shijiazhuang, Hebei, China",
        "21 Changsheng Road, Shijiazhuang, Hebei, China, Shijiazhuang, Hebei Province, CN",
    )
    assert record.get_tuple("countries") == ("CN",)
    assert record.get_tuple("aliases") == (
        "Hebei Semiconductor Research Institute",
        "HSRI",
        "Hebei Institute of Semiconductors",
        "Hebei Semiconductor Institute",
        "Hebei Semiconductor",
        "CETC Research Institute 13",
    )
    assert record.get_text("start_date") == "2018-08-01"
    assert record.get_tuple("footnotes") == ("3",)
    assert record.meta["row_id"] == "99ed1b052fdb09695fae1ba87516d8a0882b0df04652e07aeb5ce7be"


def test_url_only_churn_leaves_content_hashes_unchanged() -> None:
    before = by_key(parse(fixture("before/consolidated.csv")))
    after = by_key(parse(fixture("after/consolidated.csv")))
    unchanged = (set(before) & set(after)) - {record_key(CETC13, "CN")}
    assert len(unchanged) == 3
    for key in unchanged:
        assert before[key].meta["source_list_url"] == OLD_URL
        assert after[key].meta["source_list_url"] == NEW_LIST_URL
        assert before[key].content_hash == after[key].content_hash, key


@pytest.mark.parametrize("lists", [("EL",), ("EL", "MEU", "UVL", "DPL")])
def test_csv_and_json_of_after_give_identical_records(lists: tuple[str, ...]) -> None:
    from_csv = parse(fixture("after/consolidated.csv"), *lists)
    from_json = parse(fixture("after/consolidated.json"), *lists)
    assert from_csv == from_json
    assert [r.content_hash for r in from_csv] == [r.content_hash for r in from_json]
    assert len(from_csv) == (15 if lists == ("EL",) else 19)


def test_sept_2025_entry_carries_only_verified_facts() -> None:
    key = record_key("Shanghai Fudan Microelectronics (HK) Co., Ltd.", "HK")
    record = by_key(parse(fixture("after/consolidated.json")))[key]
    assert record.country == "HK"
    assert record.get_tuple("addresses") == ("HK",)
    assert record.get_tuple("citations") == ()
    assert record.get_tuple("aliases") == ()
    assert record.get_text("start_date") == "2025-09-12"
    assert record.get_text("license_policy") == "Presumption of denial."


def test_url_columns_and_row_ids_are_meta_never_fields() -> None:
    for record in parse(fixture("after/consolidated.csv"), "EL", "MEU", "UVL", "DPL"):
        assert set(record.fields) == FIELD_NAMES
        assert set(record.meta) == {"row_id", "source_list_url", "source_information_url"}
        assert not any("http" in v for v in record.fields.values() if isinstance(v, str))


# --- lists --------------------------------------------------------------------------------------


def test_meu_uvl_dpl_kept_only_when_enabled_and_sdn_isn_never() -> None:
    raw = fixture("before/consolidated.csv")
    assert {r.list_name for r in parse(raw, "EL")} == {"el"}
    with_meu = parse(raw, "EL", "MEU")
    assert {r.list_name for r in with_meu} == {"el", "meu"}
    meu = [r for r in with_meu if r.list_name == "meu"]
    assert [r.name for r in meu] == ["Academy of Aerospace Solid Propulsion Technology (AASPT)"]
    assert meu[0].country == "CN" and meu[0].get_tuple("citations") == ("85 FR 83799",)
    every = parse(raw, "EL", "MEU", "UVL", "DPL")
    assert {r.list_name for r in every} == {"el", "meu", "uvl", "dpl"}
    assert not any(r.name in {"RIM, Ryong Nam", "7TH OF TIR"} for r in every)


def test_only_meu_enabled_drops_the_entity_list_rows() -> None:
    records = parse(fixture("before/consolidated.csv"), "MEU")
    assert [r.list_name for r in records] == ["meu"]


def test_unknown_list_code_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse(fixture("before/consolidated.csv"), "EL", "SDNX")
    assert "SDNX" in str(caught.value) and caught.value.source == NAME


def test_a_configured_list_with_no_rows_is_a_shape_error() -> None:
    """An empty list would read as mass removals (e.g. a reworded ``source`` label)."""
    body = csv_body(row(source="Specially Designated Nationals (SDN) - Treasury Department"))
    for raw in (body, csv_body()):
        with pytest.raises(ShapeError, match="no rows of the configured list") as caught:
            parse(raw)
        assert caught.value.source == NAME
    renamed = fixture("before/consolidated.csv").replace(
        b"Military End User (MEU) List", b"Military End-User (MEU) List"
    )
    with pytest.raises(ShapeError, match="MEU"):
        parse(renamed, "EL", "MEU")


# --- field rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notice", "expected"),
    [
        ("83 FR 37423; 87 FR 77505", ("83 FR 37423", "87 FR 77505")),
        (
            "66 FR 24266, 77 FR 58006 (no. 182), 81 FR 64694",
            ("66 FR 24266", "77 FR 58006", "81 FR 64694"),
        ),
        ("76 FR 50407 (8/15/2011)", ("76 FR 50407",)),
        (
            "67 F.R. 56530 9/4/02 67 F.R. 10890 3/11/02 71 F.R. 38843 7/10/06",
            ("67 FR 56530", "67 FR 10890", "71 FR 38843"),
        ),
        ("46 F.R. 46154 9/17/81 and 46 F.R. 19290 3/30/81", ("46 FR 46154", "46 FR 19290")),
        ("90 FR 4619, 1/16/25.", ("90 FR 4619",)),
        ("83 FR 37423; 83 FR 37423", ("83 FR 37423",)),
        ("Vol. 88, No. 151, 08/08/2023", ()),
        ("", ()),
    ],
)
def test_citations_are_normalised(notice: str, expected: tuple[str, ...]) -> None:
    record = one(csv_body(row(federal_register_notice=notice)))
    assert record.get_tuple("citations") == expected
    assert record.get_text("federal_register_notice") == notice


@pytest.mark.parametrize(
    ("alt_names", "expected"),
    [
        (
            "Hebei Semiconductor Research Institute; HSRI; Hebei Semiconductor; "
            "and CETC Research Institute 13",
            (
                "Hebei Semiconductor Research Institute",
                "HSRI",
                "Hebei Semiconductor",
                "CETC Research Institute 13",
            ),
        ),
        (
            "China Electronics Technology Group Corp. (CETC) 54th Research Institute; "
            "Communication, Telemetry and Telecontrol Research Institute (CTI); and "
            "Shijiazhuang Communication Observation and Control Technology Institute.",
            (
                "China Electronics Technology Group Corp. (CETC) 54th Research Institute",
                "Communication, Telemetry and Telecontrol Research Institute (CTI)",
                "Shijiazhuang Communication Observation and Control Technology Institute",
            ),
        ),
        ("Zhipu AI; and Beijing Knowledge Atlas Technology Co., Ltd.",
         ("Zhipu AI", "Beijing Knowledge Atlas Technology Co., Ltd.")),
        ("HSRI; ; HSRI", ("HSRI",)),
        ("", ()),
    ],
)  # fmt: skip
def test_aliases_split_and_cleaned(alt_names: str, expected: tuple[str, ...]) -> None:
    assert one(csv_body(row(alt_names=alt_names))).get_tuple("aliases") == expected


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        (
            "For all items subject to the EAR. (See §§ 734.9(g),3 746.8(a)(3), and 744.21(b) "
            "of the EAR)",
            ("3",),
        ),
        ("For all items subject to the EAR.4 (See §§ 734.9(e)(2) and 744.11 of the EAR)", ("4",)),
        ("For all items subject to the EAR. (See §§ 734.9(e)(2) and 744.11 of the EAR)", ()),
        ("For all items subject to the EAR.  (See §744.11 of the EAR)", ()),
        ("For any item subject to the EAR listed in supplement no. 2 to part 744.", ()),
        ("", ()),
    ],
)
def test_footnote_markers_but_not_section_digits(
    requirement: str, expected: tuple[str, ...]
) -> None:
    record = one(csv_body(row(license_requirement=requirement)))
    assert record.get_tuple("footnotes") == expected


def test_countries_from_each_address_in_order_and_deduplicated() -> None:
    addresses = "Komitas 26/114, Yerevan, Armenia, AM; Shenyang, CN; and Pyongyang, KP; Xian, CN"
    record = one(csv_body(row(addresses=addresses)))
    assert record.get_tuple("countries") == ("AM", "CN", "KP")
    assert record.country == "AM"
    assert record.key == record_key("Example Entity", "AM")
    assert len(record.get_tuple("addresses")) == 4


def test_spelled_out_country_at_the_end_of_an_address_is_read() -> None:
    """Real EL rows end so ("..., Beijing 100020, China", "..., Chengdu, China 610036")."""
    for address, code in (
        ("113 Hezuo Road, Shijiazhuang, Hebei, China", "CN"),
        ("Room 8306 Kelun Building, Chaoyang, Beijing 100020, China", "CN"),
        ("5 Cheng Wen Road, Chengdu, China 610036", "CN"),
        ("No. 22, Amjad Bldg., Jomhoori Ave., Tehran, Iran", "IR"),
        ("Room 704 7/F, Tsim Sha Tsui, Hong Kong", "HK"),
    ):
        record = one(csv_body(row(addresses=address)))
        assert (record.country, record.key) == (code, record_key("Example Entity", code))


def test_no_country_in_addresses_gives_empty_country() -> None:
    record = one(csv_body(row(addresses="113 Hezuo Road, Shijiazhuang, Hebei")))
    assert record.country == ""
    assert record.key == record_key("Example Entity", "")


def test_mojibake_apostrophe_folds_like_the_apostrophe() -> None:
    mangled = one(csv_body(row(name="Chang?an Example Institute")))
    repaired = one(csv_body(row(name="Chang'an Example Institute")))
    assert mangled.name == "Chang?an Example Institute"  # the record keeps it verbatim
    assert mangled.key == repaired.key


def test_mangled_apostrophe_is_left_as_published() -> None:
    record = one(csv_body(row(name="Xi?an Example Institute ")))
    assert record.name == "Xi?an Example Institute"
    assert record.key == record_key("Xi?an Example Institute", "CN")


def test_legacy_28_column_header_parses() -> None:
    legacy = (
        "source,entity_number,type,programs,name,title,addresses,federal_register_notice,"
        "start_date,end_date,standard_order,license_requirement,license_policy,call_sign,"
        "vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,"
        "source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,"
        "source_information_url,ids\n"
        "Entity List (EL) - Bureau of Industry and Security,,,,A.C. International,,"
        '"Room 1104, North Tower Yueziu City Plaza, No. 445 Dong Feng Zhong Rd., Guangzhou, CN",'
        "73 FR 54504,2008-09-22,,,For all items subject to the EAR (See §744.11 of the EAR),"
        'Presumption of Denial,,,,,,,,http://bit.ly/1L47xrV,"",,,,,http://bit.ly/1L47xrV,\n'
    )
    record = one(legacy.encode("utf-8"))
    assert record.key == record_key("A.C. International", "CN")
    assert record.get_tuple("citations") == ("73 FR 54504",)
    assert record.get_text("license_policy") == "Presumption of Denial"
    assert record.meta == {
        "row_id": "",
        "source_list_url": "http://bit.ly/1L47xrV",
        "source_information_url": "http://bit.ly/1L47xrV",
    }


def test_byte_order_mark_is_ignored() -> None:
    body = csv_body(row())
    assert parse(b"\xef\xbb\xbf" + body) == parse(body)


def test_json_record_from_the_public_bulk_file() -> None:
    # The EL record of the reference sample csl_json_records_fixture.json, verbatim.
    record = {
        "source": EL, "name": "Abdul Satar Ghoura",
        "addresses": [{"address": "501, 5th Floor, Amanullah Sancharaki Market", "city": "Kabul",
                       "state": "", "postal_code": "", "country": "AF"}],
        "federal_register_notice": "76 FR 71867", "start_date": "2011-11-21",
        "standard_order": None, "license_policy": "Presumption of denial.",
        "license_requirement": "For all items subject to the EAR. (See §744.11 of the EAR).",
        "remarks": "", "source_list_url": NEW_LIST_URL, "alt_names": None,
        "source_information_url": "https://www.bis.gov/licensing/guidance-on-end-user-and-end-use-controls-and-us-person-controls",
        "id": "b6e959b59898e975daaae8fae3a8da1ec522f9f888cafc0e6401a16d", "title": None,
    }  # fmt: skip
    parsed = one(json.dumps({"results": [record]}).encode("utf-8"))
    assert parsed.key == record_key("Abdul Satar Ghoura", "AF")
    assert parsed.get_tuple("addresses") == (
        "501, 5th Floor, Amanullah Sancharaki Market, Kabul, AF",
    )
    assert parsed.get_tuple("aliases") == ()
    assert parsed.get_tuple("citations") == ("76 FR 71867",)
    assert parsed.get_text("standard_order") == ""
    assert parsed.meta["row_id"] == record["id"]


# --- keys and duplicates ------------------------------------------------------------------------


def test_same_name_in_two_countries_gives_two_keys() -> None:
    records = parse(
        csv_body(
            row(_id="1", name="Example Trading Co., Ltd.", addresses="Kowloon, Hong Kong, HK"),
            row(_id="2", name="Example Trading Co., Ltd.", addresses="Shenzhen, CN"),
        )
    )
    assert [r.key for r in records] == [
        record_key("Example Trading Co., Ltd.", "HK"),
        record_key("Example Trading Co., Ltd.", "CN"),
    ]


def test_duplicate_rows_merge_without_losing_data(caplog: pytest.LogCaptureFixture) -> None:
    first = row(
        _id="a1", name="Example Institute", addresses="1 Road, Beijing, CN",
        alt_names="EI; Example Inst", federal_register_notice="83 FR 37423",
    )  # fmt: skip
    second = row(
        _id="b2", name="EXAMPLE  INSTITUTE", alt_names="EI; Second Name",
        addresses="2 Street, Shanghai, CN; 1 Road, Beijing, CN",
        federal_register_notice="87 FR 77505",
    )  # fmt: skip
    with caplog.at_level(logging.WARNING):
        record = one(csv_body(first, second))
    assert record.name == "Example Institute"
    assert record.get_tuple("aliases") == ("EI", "Example Inst", "Second Name")
    assert record.get_tuple("addresses") == ("1 Road, Beijing, CN", "2 Street, Shanghai, CN")
    assert record.get_tuple("citations") == ("83 FR 37423", "87 FR 77505")
    assert record.get_text("federal_register_notice") == "83 FR 37423; 87 FR 77505"
    assert record.meta["merged_rows"] == "2" and record.meta["row_id"] == "a1; b2"
    assert "merged" in caplog.text and record.key in caplog.text


def test_entity_on_two_lists_keeps_one_record_per_list() -> None:
    body = csv_body(row(_id="1"), row(_id="2", source=MEU))
    records = parse(body, "EL", "MEU")
    assert [(r.list_name, r.key) for r in records] == [
        ("el", record_key("Example Entity", "CN")),
        ("meu", "meu:" + record_key("Example Entity", "CN")),
    ]


# --- strict errors ------------------------------------------------------------------------------


def _after_cut(marker: bytes) -> bytes:
    """The after fixture cut just after the last occurrence of ``marker`` (a truncated download)."""
    raw = fixture("after/consolidated.csv")
    return raw[: raw.rindex(marker) + len(marker)]


BROKEN: list[tuple[str, bytes, str]] = [
    ("html", b"<!DOCTYPE html>\n<html><body>Service Unavailable</body></html>", "HTML page"),
    ("html-no-doctype", b"  \n<html><head><title>Error</title></head></html>", "HTML page"),
    ("empty", b"", "empty"),
    ("blank", b" \r\n\t", "empty"),
    (
        "missing-column",
        csv_body(row()[:-1], header=COLUMNS[:-1]),
        "missing column(s): ids",
    ),
    (
        "renamed-column",
        csv_body(row(), header=[c if c != "alt_names" else "aliases" for c in COLUMNS]),
        "missing column(s): alt_names; unexpected column(s): aliases",
    ),
    (
        "extra-column",
        csv_body([*row(), "x"], header=[*COLUMNS, "sanctions_program"]),
        "unexpected column(s): sanctions_program",
    ),
    ("unterminated-quote", _after_cut(b'"Hong Kong Suochen Inf'), "line 23"),
    ("truncated-row", _after_cut(b'"Hong Kong Suochen Information Technology",'), "line 23"),
    ("short-row", csv_body(row(), row()[:5]), "line 3 has 5 cells"),
    ("json-without-results", b'{"total": 0, "offset": 0}', "'results'"),
    ("json-bare-list", b"[]", "'results'"),
    ("json-results-not-list", b'{"results": {"name": "x"}}', "'results'"),
    ("json-record-without-name", json.dumps({"results": [{"source": EL}]}).encode(), "'name'"),
    ("json-record-without-source", b'{"results": [{"name": "X"}]}', "'source'"),
    (
        "json-unknown-key",
        json.dumps({"results": [{"source": EL, "name": "X", "sanctions": "y"}]}).encode(),
        "sanctions",
    ),
    (
        "json-addresses-not-objects",
        json.dumps({"results": [{"source": EL, "name": "X", "addresses": ["CN"]}]}).encode(),
        "addresses",
    ),
]


@pytest.mark.parametrize(("raw", "needle"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_strict_shape_errors(raw: bytes, needle: str) -> None:
    with pytest.raises(ShapeError) as caught:
        parse(raw)
    assert needle in caught.value.message
    assert caught.value.source == NAME and caught.value.url == URL


def test_html_page_message_is_exact() -> None:
    with pytest.raises(ShapeError) as caught:
        parse(b"<!doctype html><html></html>")
    assert caught.value.message == "got an HTML page, not the CSL file"


@pytest.mark.parametrize(
    "raw",
    [
        csv_body(row(name="Caf\u00e9")).replace("é".encode(), b"\xe9"),
        b'{"results": [{"source": "x", "name": ',
    ],
    ids=["not-utf8", "json-truncated"],
)
def test_undecodable_or_unreadable_bytes_are_parse_errors(raw: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        parse(raw)
    assert type(caught.value) is ParseError
    assert caught.value.source == NAME and caught.value.url == URL


def test_row_order_of_a_multi_row_entity_is_never_a_change() -> None:
    """The publisher swaps an entity's rows between downloads (real 2022 file): the merged
    record, its content hash and its name do not depend on the order."""
    first = row(_id="a1", name="Example Institute", addresses="1 Road, Beijing, CN",
                federal_register_notice="83 FR 37423", license_policy="Denial.")  # fmt: skip
    second = row(_id="b2", name="Example Institute.", addresses="2 Street, Shanghai, CN",
                 federal_register_notice="87 FR 77505", license_policy="Case-by-case.")  # fmt: skip
    third = row(_id="c3", name="Example Institute", addresses="3 Lane, Wuhan, CN",
                federal_register_notice="88 FR 1", start_date="2019-01-01")  # fmt: skip
    orders = [(first, second, third), (third, second, first), (second, third, first)]
    records = [one(csv_body(*rows)) for rows in orders]
    assert len({r.content_hash for r in records}) == 1
    assert len({(r.name, r.get_text("license_policy"), r.meta["row_id"]) for r in records}) == 1
    assert records[0].meta["row_id"].startswith("c3")  # the earliest listed row leads
    assert "Example Institute." in records[0].get_tuple("aliases")  # a variant spelling is kept


def test_glue_and_is_no_alias_and_abbreviations_keep_their_period() -> None:
    record = one(csv_body(row(alt_names="HPSTAR; and; Beijing Center; Hebei Poshing Elec.; and")))
    assert record.get_tuple("aliases") == ("HPSTAR", "Beijing Center", "Hebei Poshing Elec.")


def test_an_incomplete_citation_is_a_note_not_dropped_unseen() -> None:
    record = one(csv_body(row(federal_register_notice="88 FR")))
    assert record.get_tuple("citations") == ()
    assert "incomplete Federal Register citation '88 FR'" in record.meta["notes"]


@pytest.mark.parametrize("limit", [None, 2**31 - 1])
def test_an_over_long_cell_is_refused_whatever_the_global_csv_limit(limit: int | None) -> None:
    """The csv module's field limit is process-wide and libraries raise it
    (followthemoney does at import); the parser's own limit holds either way."""
    before = csv.field_size_limit()
    try:
        if limit is not None:
            csv.field_size_limit(limit)
        with pytest.raises(ShapeError, match=r"cell|field"):
            parse(csv_body(row(name="Example " + "N" * 200_000)))
        assert one(csv_body(row(name="Example " + "N" * 1_000))).name.endswith("N" * 1_000)
    finally:
        csv.field_size_limit(before)
