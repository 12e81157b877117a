"""The Federal Register source against its fixture mirrors on a real 127.0.0.1 server.

The mirrors (fixtures/us_federal_register/README.md) hold reference values only: eight
BIS documents over two pages (``later/``; ``before/`` and ``after/`` the six published up to
2025-03-28, ``after/`` with the desk of 12 September 2025), and one reconstructed full text
(2025-00704) that names a single entry of the eleven its summary states.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from monitor.analysis.attribution import attribute, attribute_by_name
from monitor.config import Settings, SourceSettings
from monitor.errors import ConfigError, ShapeError
from monitor.http import HttpClient
from monitor.models import Record, RunOutcome, RunSummary
from monitor.sources.federal_register.info import read_options
from monitor.sources.federal_register.source import (
    FederalRegisterSource,
    known_documents,
    local_url,
)
from monitor.store import Store
from monitor.testing.fixture_server import Fault, FixtureServer
from tests.support import FAST_HTTP, FIXTURES, mirrored, only_source, run_source, stage_url

NAME = "us_federal_register"
SOURCE = FederalRegisterSource()
MIRROR = FIXTURES / NAME
ZHIPU = "Beijing Zhipu Huazhang Technology Co., Ltd."
BEFORE = {
    "2025-05427",
    "2025-05426",
    "2025-00704",
    "2025-00480",
    "2024-28267",
    "2024-25411",
}
NEW_IN_LATER = {"2025-19001", "2025-19846"}  # published 30 September, 12 November 2025
# The September 2025 rule on the public inspection desk (after/: filed 2025-09-12; its
# document number is synthetic, see the fixture README). later/'s desk holds no BIS rule.
FILED = "2025-99912"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(root=FIXTURES) as running:
        yield running


def settings_for(url: str, **options: object) -> SourceSettings:
    return mirrored(NAME, url, options, min_records=None)


def fetch_parse(
    url: str, previous: Mapping[str, Record] | None = None, **options: object
) -> dict[str, Record]:
    own = settings_for(url, **options)
    with HttpClient(FAST_HTTP, sleep=lambda _s: None) as client:
        result = SOURCE.fetch(client, own, None, previous or {})
    records = SOURCE.parse(result.content, url=result.url, settings=own)
    return {r.key: r for r in records}


def stage(server: FixtureServer, name: str) -> str:
    return stage_url(server, NAME, name)


def paths(server: FixtureServer) -> list[str]:
    return [seen.path for seen in server.requests]


# --- fetch: pagination, full texts, known documents ------------------------------------------


def test_both_pages_are_read_and_every_document_becomes_an_action(server: FixtureServer) -> None:
    records = fetch_parse(stage(server, "later"))
    assert set(records) == {f"us:{n}" for n in BEFORE | NEW_IN_LATER}
    listing = [p for p in paths(server) if "/documents.json?" in p]
    assert len(listing) == 2
    assert "page=2" not in listing[0] and "page=2" in listing[1]
    assert all(r.list_name == "action" and r.country == "US" for r in records.values())


def test_the_september_stage_holds_only_what_was_public_by_13_september(
    server: FixtureServer,
) -> None:
    """after/ stands for 8-13 September 2025: the documents published by then and the rule
    filed on 12 September; the rules of 30 September and 12 November are in later/ only."""
    records = fetch_parse(stage(server, "after"))
    assert set(records) == {f"us:{n}" for n in BEFORE | {FILED}}
    for record in records.values():
        day = record.get_text("announced") or record.get_text("published")
        assert day <= "2025-09-13", record.key


def test_the_query_asks_for_bis_entity_list_rules_and_the_fields(server: FixtureServer) -> None:
    fetch_parse(stage(server, "before"))
    first = paths(server)[0]
    for part in (
        "conditions%5Bagencies%5D%5B%5D=industry-and-security-bureau",
        "conditions%5Bterm%5D=%22Entity+List%22",
        "conditions%5Btype%5D%5B%5D=RULE",
        "conditions%5Bpublication_date%5D%5Bgte%5D=2024-01-01",
        "order=newest",
        "per_page=100",
        "fields%5B%5D=full_text_xml_url",
        "fields%5B%5D=regulation_id_numbers",
    ):
        assert part in first


def test_max_pages_stops_the_walk(server: FixtureServer) -> None:
    records = fetch_parse(stage(server, "later"), max_pages=1)
    assert set(records) == {"us:2025-19846", "us:2025-19001", "us:2025-05427", "us:2025-05426"}
    assert sum("/documents.json?" in p for p in paths(server)) == 1
    # The public inspection desk is read whatever max_pages says.
    server.clear()
    filed = fetch_parse(stage(server, "after"), max_pages=1)
    assert f"us:{FILED}" in filed and len(filed) == 5
    assert sum("/documents.json?" in p for p in paths(server)) == 1


def test_zhipu_rule_action_fields(server: FixtureServer) -> None:
    action = fetch_parse(stage(server, "before"))["us:2025-00704"]
    f = action.fields
    assert (f["kind"], f["jurisdiction"], f["actor"]) == ("entity_list_rule", "US", "BIS")
    assert f["instrument"] == "90 FR 4617"
    assert f["citations"] == ("90 FR 4617",)
    assert (f["document_number"], f["volume"], f["start_page"], f["end_page"]) == (
        "2025-00704",
        "90",
        "4617",
        "4620",
    )
    assert (f["published"], f["effective"]) == ("2025-01-16", "2025-01-16")
    assert (
        f["title"]
        == action.name
        == ("Addition of Entities to and Revision of Entry on the Entity List")
    )
    assert str(f["url"]).startswith(
        "https://www.federalregister.gov/documents/2025/01/16/2025-00704/"
    )
    assert f["country_counts"] == ("CN=11",)
    assert f["stated_count"] == "11"
    assert f["rins"] == ("0694-AJ76",)
    assert f["parties_en"] == (ZHIPU,)
    assert f["party_countries"] == ("CN",)
    assert f["party_aliases"] == ("Zhipu AI; Beijing Knowledge Atlas Technology Co., Ltd.",)
    assert f["party_citations"] == ("90 FR 4619",)
    assert f["operations"] == ("add",)
    assert f["parties_zh"] == ()
    # The full text is an excerpt: one entry of the eleven (and no India revision).
    assert f["review"] == (
        "summary states 11 entities, tables add 1",
        "summary states 1 revised entry, tables revise 0",
    )


def test_a_missing_full_text_is_flagged_not_fatal(server: FixtureServer) -> None:
    records = fetch_parse(stage(server, "before"))
    action = records["us:2025-00480"]
    assert action.get_tuple("review") == ("full text not fetched: HTTP 404",)
    assert action.get_tuple("country_counts") == ("CN=14", "SG=2")
    assert action.get_text("stated_count") == "16"
    assert action.get_tuple("parties_en") == ()
    assert f"/{NAME}/before/documents/full_text/xml/2025/01/16/2025-00480.xml" in paths(server)


def test_a_failing_full_text_server_is_flagged_too(server: FixtureServer) -> None:
    path = f"/{NAME}/before/documents/full_text/xml/2025/03/28/2025-05427.xml"
    server.set_faults(path, [Fault.http_status(500), Fault.http_status(500)])
    action = fetch_parse(stage(server, "before"))["us:2025-05427"]
    assert action.get_tuple("review") == ("full text not fetched: HTTP 500",)


def test_document_json_alone_gives_a_complete_action(server: FixtureServer) -> None:
    action = fetch_parse(stage(server, "before"))["us:2025-05426"]
    assert action.get_text("instrument") == "FR Doc. 2025-05426"  # its citation is unknown
    assert action.get_tuple("country_counts") == ("CN=42", "IR=2", "PK=19", "ZA=3", "AE=4")
    assert action.get_text("stated_count") == "70"
    assert action.get_tuple("review") == ("full text not listed (no full_text_xml_url)",)
    assert action.get_text("kind") == "entity_list_rule"


def test_kinds(server: FixtureServer) -> None:
    records = {**fetch_parse(stage(server, "after")), **fetch_parse(stage(server, "later"))}
    kinds = {key: r.get_text("kind") for key, r in records.items()}
    assert kinds.pop("us:2025-19001") == "end_user_rule"  # the Affiliates rule
    assert kinds.pop("us:2025-19846") == "end_user_rule"  # its one-year suspension
    assert kinds.pop(f"us:{FILED}") == "public_inspection"
    assert set(kinds.values()) == {"entity_list_rule"}


def test_the_suspension_refers_to_the_affiliates_rule(server: FixtureServer) -> None:
    action = fetch_parse(stage(server, "later"))["us:2025-19846"]
    assert action.get_text("effective") == "2025-11-10"  # from its DATES text
    assert action.get_tuple("cited") == ("90 FR 47201",)
    assert action.get_tuple("refers_to") == ("us:2025-19001",)
    assert (action.get_text("volume"), action.get_text("start_page")) == ("90", "50857")


def test_known_documents_are_not_fetched_again(server: FixtureServer) -> None:
    before = fetch_parse(stage(server, "before"))
    # 2025-00704 is complete; the 404 ones and those without a full-text URL are not.
    assert known_documents(before) == {"2025-00704"}
    server.clear()
    after = fetch_parse(stage(server, "later"), previous=before)
    fetched = [p for p in paths(server) if "/full_text/" in p]
    assert not any("2025-00704" in p for p in fetched)
    assert any("2025-19001" in p for p in fetched) and any("2025-19846" in p for p in fetched)
    assert "us:2025-00704" not in after  # the stored record stands
    assert {"us:2025-19001", "us:2025-19846", "us:2025-00480"} <= set(after)


def test_zhipu_citation_is_attributed_to_its_rule(server: FixtureServer) -> None:
    records = fetch_parse(stage(server, "later"))
    [page] = records["us:2025-00704"].get_tuple("party_citations")
    found = attribute([page], records.values())
    assert found is not None and found.action.key == "us:2025-00704"


# --- strict errors ---------------------------------------------------------------------------

PAGE = "/fr/documents.json"


def page_body(results: list[dict[str, object]]) -> bytes:
    body = {"count": len(results), "total_pages": 1, "next_page_url": None, "results": results}
    return json.dumps(body).encode()


def reference_document(number: str) -> dict[str, object]:
    for name in ("documents.page-1.json", "documents.page-2.json"):
        for item in json.loads((MIRROR / "later" / name).read_text(encoding="utf-8"))["results"]:
            if item["document_number"] == number:
                return dict(item)
    raise KeyError(number)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"count": 3, "total_pages": 1}', "no 'results' list"),
        (b"<!DOCTYPE html><html><body>Service Unavailable</body></html>", "HTML page"),
        (page_body([{**reference_document("2025-00704"), "excerpts": "x"}]), "unexpected key"),
        (page_body([{**reference_document("2025-00704"), "type": "Notice"}]), "only rules"),
        (page_body([{**reference_document("2025-00704"), "start_page": "4617"}]), "whole number"),
        (page_body([{**reference_document("2025-00704"), "publication_date": "1/16/25"}]), "ISO"),
        (b'{"count": 1, "results": [], "surprise": 1}', "unexpected key"),
    ],
)
def test_unknown_layouts_raise_shape_error(
    fixture_server: FixtureServer, body: bytes, message: str
) -> None:
    fixture_server.set_route(PAGE, body, content_type="application/json")
    with pytest.raises(ShapeError, match=message) as caught:
        fetch_parse(fixture_server.url_for("fr"))
    assert caught.value.source == NAME
    assert caught.value.url is not None and "/fr/documents.json" in caught.value.url


def test_a_full_text_that_is_an_html_page_raises(fixture_server: FixtureServer) -> None:
    fixture_server.set_route(PAGE, page_body([reference_document("2025-00704")]))
    fixture_server.set_route(
        "/fr/documents/full_text/xml/2025/01/16/2025-00704.xml",
        b"<!DOCTYPE html><html><body>Not here</body></html>",
        content_type="text/html",
    )
    with pytest.raises(ShapeError, match="HTML page") as caught:
        fetch_parse(fixture_server.url_for("fr"), public_inspection=False)
    assert caught.value.source == NAME
    assert caught.value.url == reference_document("2025-00704")["full_text_xml_url"]


def test_bad_options_raise_config_error() -> None:
    for options in ({"per_page": "100"}, {"max_pages": 0}, {"since": "last year"}):
        with pytest.raises(ConfigError) as caught:
            read_options(settings_for("http://127.0.0.1:9/fr", **options))
        assert caught.value.source == NAME


def test_published_urls_are_mapped_onto_a_mirror() -> None:
    mirror = "http://127.0.0.1:8000/us_federal_register/after"
    xml = "https://www.federalregister.gov/documents/full_text/xml/2025/01/16/2025-00704.xml"
    api = "https://www.federalregister.gov/api/v1/documents.json?page=2"
    assert local_url(xml, mirror) == f"{mirror}/documents/full_text/xml/2025/01/16/2025-00704.xml"
    assert local_url(api, mirror) == f"{mirror}/documents.json?page=2"
    assert local_url(api, "http://m/fr/api/v1") == "http://m/fr/api/v1/documents.json?page=2"
    assert local_url(xml, "http://m/fr/api/v1") == (
        "http://m/fr/documents/full_text/xml/2025/01/16/2025-00704.xml"
    )
    assert local_url(xml, SOURCE.info.url) == xml  # the real API: untouched


# --- the pipeline: a feed accumulates ----------------------------------------------------------


def fr_settings(db: Path, url: str, **options: object) -> Settings:
    return only_source(db, NAME, mirrored(NAME, url, options))


def run(store: Store, settings: Settings) -> RunSummary:
    return run_source(store, settings, NAME)


def test_two_runs_accumulate_actions(server: FixtureServer, tmp_path: Path) -> None:
    db = tmp_path / "fr.db"
    with Store.open(db) as store:
        first = run(store, fr_settings(db, stage(server, "before")))
        assert (first.outcome, first.record_count) == (RunOutcome.BASELINE, 6)
        kept = store.accepted_records(NAME)
        # 12 September: the list as before, the rule filed on the desk.
        second = run(store, fr_settings(db, stage(server, "after")))
        assert second.outcome == RunOutcome.CHANGED, second
        assert (second.added, second.modified, second.removed) == (1, 0, 0)
        assert second.record_count == 7
        now = store.accepted_records(NAME)
        assert {k: r.content_hash for k, r in kept.items()} == {
            k: now[k].content_hash for k in kept
        }
        added = {c.change.key for c in store.changes() if c.change.kind == "added"}
        assert added == {f"us:{FILED}"}
        # The same first page again, without the desk (whose answer changes on its own):
        # the server answers 304 and nothing else is fetched.
        server.clear()
        third = run(store, fr_settings(db, stage(server, "after"), public_inspection=False))
        assert third.outcome == RunOutcome.NOT_MODIFIED, third
        assert len(server.requests) == 1
        # With the desk (the default): the list still answers 304 and is not re-read; the
        # filed rule is read again from the desk and is as stored.
        server.clear()
        fourth = run(store, fr_settings(db, stage(server, "after")))
        assert fourth.outcome == RunOutcome.UNCHANGED, fourth
        assert (fourth.added, fourth.modified, fourth.removed) == (0, 0, 0)
        assert [p.split("?")[0].rsplit("/", 1)[-1] for p in paths(server)] == [
            "documents.json",
            "public-inspection-documents.json",
            "912.txt",
        ]
        assert "if-none-match" in server.requests[0].headers  # asked conditionally
        # Later: two rules published; the desk no longer holds the filing, which stays
        # (a feed accumulates: leaving the desk is not a removal).
        fifth = run(store, fr_settings(db, stage(server, "later")))
        assert fifth.outcome == RunOutcome.CHANGED, fifth
        assert (fifth.added, fifth.modified, fifth.removed, fifth.record_count) == (2, 0, 0, 9)
        assert store.accepted_records(NAME)[f"us:{FILED}"].get_text("kind") == "public_inspection"


# --- public inspection ---------------------------------------------------------------------

# Synthetic answer in the API's envelope: 2025-00704 filed for public inspection (filing time
# unknown, so null), a BIS notice and another agency's rule (synthetic numbers) to be ignored.
BIS = {"name": "Industry and Security Bureau", "slug": "industry-and-security-bureau"}
INSPECTION = {
    "count": 3,
    "results": [
        {
            "document_number": "2025-00704",
            "title": "Addition of Entities to and Revision of Entry on the Entity List",
            "type": "Rule",
            "agencies": [BIS],
            "filed_at": None,
            "publication_date": "2025-01-16",
            "html_url": None,
            "pdf_url": None,
        },
        {"document_number": "0000-00001", "title": "t", "type": "Notice", "agencies": [BIS]},
        {
            "document_number": "0000-00002",
            "title": "t",
            "type": "Rule",
            "agencies": [{"name": "Other Agency", "slug": "other-agency"}],
        },
    ],
}


def test_public_inspection_is_replaced_once_published(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    db = tmp_path / "pi.db"
    url = fixture_server.url_for("fr")
    fixture_server.set_route(
        "/fr/public-inspection-documents.json", json.dumps(INSPECTION).encode()
    )
    fixture_server.set_route(PAGE, page_body([]))
    with Store.open(db) as store:
        first = run(store, fr_settings(db, url, public_inspection=True))
        assert first.outcome == RunOutcome.BASELINE, first
        [early] = store.accepted_records(NAME).values()
        assert early.key == "us:2025-00704"
        assert early.get_text("kind") == "public_inspection"
        assert early.get_text("scheduled") == "2025-01-16"
        fixture_server.set_route(PAGE, page_body([reference_document("2025-00704")]))
        fixture_server.set_route(
            "/fr/documents/full_text/xml/2025/01/16/2025-00704.xml",
            (MIRROR / "full_text" / "2025-00704.xml").read_bytes(),
            content_type="application/xml",
        )
        second = run(store, fr_settings(db, url, public_inspection=True))
        assert (second.added, second.modified, second.removed) == (0, 1, 0), second
        [rule] = store.accepted_records(NAME).values()
        assert rule.get_text("kind") == "entity_list_rule"
        assert rule.get_tuple("parties_en") == (ZHIPU,)


# --- public inspection in two stages: filed, then published (one action) ------------------------

FILED_ENTRY = json.loads((MIRROR / "after" / "public-inspection-documents.json").read_bytes())
RAW_TEXT = (MIRROR / "raw_text" / f"{FILED}.txt").read_bytes()
RAW_PATH = "/fr/public-inspection/raw_text/202/599/912.txt"
SINO = "Sino IC Technology"
# SYNTHETIC published stage (the real document number, citation and pages of the September
# 2025 rule are not in the reference): the same document printed at 90 FR 44500-44510 on
# 2025-09-16, its table on page 44508 naming two of the filed rule's entries.
PUBLISHED_DOCUMENT: dict[str, object] = {
    "document_number": FILED,
    "citation": "90 FR 44500",
    "title": "Additions to the Entity List",
    "type": "Rule",
    "action": "Final rule.",
    "abstract": None,
    "publication_date": "2025-09-16",
    "effective_on": "2025-09-12",
    "start_page": 44500,
    "end_page": 44510,
    "volume": 90,
    "html_url": f"https://www.federalregister.gov/documents/2025/09/16/{FILED}/additions-to-the-entity-list",
    "full_text_xml_url": f"https://www.federalregister.gov/documents/full_text/xml/2025/09/16/{FILED}.xml",
    "pdf_url": None,
    "regulation_id_numbers": None,
    "docket_ids": None,
    "dates": None,
}
FULL_PATH = f"/fr/documents/full_text/xml/2025/09/16/{FILED}.xml"
PLACEHOLDER = "90 FR [INSERT FR PAGE NUMBER AND 9/16/2025]."
PUBLISHED_XML = f"""<RULE><PREAMB><SUBJECT>Additions to the Entity List</SUBJECT>
<SUM><HD SOURCE="HED">SUMMARY:</HD>In this rule, BIS amends the EAR by adding 2 entities to the
Entity List, under the destination of China, People's Republic of (China) (2).</SUM></PREAMB>
<REGTEXT PART="744" TITLE="15"><AMDPAR>2. Supplement No. 4 to part 744 is amended by adding
under CHINA, PEOPLE'S REPUBLIC OF, in alphabetical order, entries for “Shanghai Fudan
Microelectronics Group Co., Ltd.” and “{SINO}” to read as follows:</AMDPAR>
<PRTPAGE P="44508"/><GPOTABLE COLS="5"><BOXHD><CHED H="1">Country</CHED><CHED H="1">Entity</CHED>
<CHED H="1">License requirement</CHED><CHED H="1">License review policy</CHED>
<CHED H="1">Federal Register citation</CHED></BOXHD>
<ROW><ENT I="01">CHINA, PEOPLE'S REPUBLIC OF</ENT><ENT/><ENT/><ENT/><ENT/></ROW>
<ROW><ENT/><ENT>Shanghai Fudan Microelectronics Group Co., Ltd.</ENT>
<ENT>For all items subject to the EAR.</ENT><ENT>Presumption of denial.</ENT>
<ENT>{PLACEHOLDER}</ENT></ROW>
<ROW><ENT/><ENT>{SINO}</ENT><ENT>For all items subject to the EAR.</ENT>
<ENT>Presumption of denial.</ENT><ENT>{PLACEHOLDER}</ENT></ROW>
</GPOTABLE></REGTEXT></RULE>""".encode()
INSPECTION_PATH = "/fr/public-inspection-documents.json"


def test_a_filed_rule_is_one_action_completed_by_its_published_document(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    db = tmp_path / "two-stages.db"
    url = fixture_server.url_for("fr")
    # Stage 1, 12 September: on the desk, not in documents.json yet.
    fixture_server.set_route(INSPECTION_PATH, json.dumps(FILED_ENTRY).encode())
    fixture_server.set_route(RAW_PATH, RAW_TEXT, content_type="text/plain")
    fixture_server.set_route(PAGE, page_body([]))
    with Store.open(db) as store:
        first = run(store, fr_settings(db, url))  # public inspection is on by default
        assert first.outcome == RunOutcome.BASELINE, first
        [filed] = store.accepted_records(NAME).values()
        assert filed.key == f"us:{FILED}"
        assert filed.get_text("kind") == "public_inspection"
        assert filed.get_text("stage") == "on public inspection, not yet published"
        assert filed.get_text("filed_at") == "2025-09-12T08:45:00.000-04:00"
        assert (filed.get_text("announced"), filed.get_text("scheduled")) == (
            "2025-09-12",
            "2025-09-16",
        )
        assert filed.get_text("published") == "" and filed.get_text("instrument") == (
            f"FR Doc. {FILED}"
        )
        pdf = f"https://public-inspection.federalregister.gov/{FILED}.pdf"
        raw = "https://www.federalregister.gov/public-inspection/raw_text/202/599/912.txt"
        assert filed.get_text("url") == pdf
        assert filed.get_tuple("inspection_urls") == (pdf, raw)
        assert len(filed.get_tuple("parties_en")) == 11 and SINO in filed.get_tuple("parties_en")
        assert set(filed.get_tuple("operations")) == {"add"}
        assert filed.get_tuple("country_counts")[0] == "CN=23"
        assert filed.get_tuple("review") == ("summary states 32 entities, tables add 11",)
        # Before publication, a BIS list addition of one of its parties is explained by it.
        early = attribute_by_name(SINO, store.accepted_records(NAME).values())
        assert early is not None and early.action.key == f"us:{FILED}"

        # Stage 2, 16 September: printed; the desk no longer lists it.
        fixture_server.set_route(INSPECTION_PATH, json.dumps({"count": 0, "results": []}).encode())
        fixture_server.set_route(PAGE, page_body([PUBLISHED_DOCUMENT]))
        fixture_server.set_route(FULL_PATH, PUBLISHED_XML, content_type="application/xml")
        second = run(store, fr_settings(db, url))
        assert (second.added, second.modified, second.removed) == (0, 1, 0), second
        [rule] = store.accepted_records(NAME).values()  # the same action, not a second one
        assert rule.key == filed.key
        assert rule.get_text("kind") == "entity_list_rule"
        assert rule.get_text("stage") == "published"
        assert rule.get_text("instrument") == "90 FR 44500"
        assert (
            rule.get_text("volume"),
            rule.get_text("start_page"),
            rule.get_text("end_page"),
        ) == (
            "90",
            "44500",
            "44510",
        )
        assert rule.get_text("published") == "2025-09-16"
        # The filing facts stay on the published rule.
        assert rule.get_text("filed_at") == "2025-09-12T08:45:00.000-04:00"
        assert rule.get_text("announced") == "2025-09-12"
        assert pdf in rule.get_tuple("urls") and raw in rule.get_tuple("inspection_urls")
        assert rule.get_tuple("party_citations") == ("90 FR 44508", "90 FR 44508")
        [change] = [c for c in store.changes() if c.change.kind == "modified"]
        assert change.change.key == filed.key
        # The list changes it explains are attributed to it, by page and by name.
        by_page = attribute(["90 FR 44508"], store.accepted_records(NAME).values())
        assert by_page is not None and by_page.action.key == filed.key
        assert "90 FR 44500–44510" in by_page.evidence
        by_name = attribute_by_name(SINO, store.accepted_records(NAME).values())
        assert by_name is not None and by_name.action.key == filed.key


def test_a_bis_rule_on_the_desk_that_does_not_touch_the_entity_list_is_ignored(
    fixture_server: FixtureServer,
) -> None:
    other = dict(FILED_ENTRY["results"][0], title="Revisions to License Exception ENC")
    fixture_server.set_route(INSPECTION_PATH, json.dumps({"count": 1, "results": [other]}).encode())
    fixture_server.set_route(RAW_PATH, b"SUMMARY: BIS revises License Exception ENC.\n")
    fixture_server.set_route(PAGE, page_body([]))
    assert fetch_parse(fixture_server.url_for("fr")) == {}


def test_a_raw_text_that_cannot_be_had_is_flagged_not_fatal(
    fixture_server: FixtureServer,
) -> None:
    fixture_server.set_route(INSPECTION_PATH, json.dumps(FILED_ENTRY).encode())
    fixture_server.set_faults(RAW_PATH, [Fault.http_status(404)])
    fixture_server.set_route(PAGE, page_body([]))
    [filed] = fetch_parse(fixture_server.url_for("fr")).values()
    assert filed.get_text("stage") == "on public inspection, not yet published"
    assert filed.get_tuple("review") == ("raw text not fetched: HTTP 404",)
    assert filed.get_tuple("parties_en") == ()


def test_a_desk_answer_of_another_shape_fails_the_run(fixture_server: FixtureServer) -> None:
    fixture_server.set_route(INSPECTION_PATH, b'{"count": 1, "results": {}, "surprise": 1}')
    fixture_server.set_route(PAGE, page_body([]))
    with pytest.raises(ShapeError, match="unexpected key") as caught:
        fetch_parse(fixture_server.url_for("fr"))
    assert caught.value.url is not None and "public-inspection-documents.json" in caught.value.url
