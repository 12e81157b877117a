"""The real BIS final rule 2023-03929 (full-text XML, afk-procrastinator/sanctions_parser
archive) read by ecmon, against ``truth/fr_2023-03929.toml`` (written with ``xml.etree``
and checked by hand; see its header) and a few ``xml.etree`` lines here.

The rule's ``documents.json`` entry is not in the archive; the document the action test
builds is labelled synthetic and holds only facts printed in the XML itself (document
number, subject, summary, volume 88, pages 12170-12175, publication date 2/27/2023).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from monitor.analysis.attribution import attribute, attribute_by_name
from monitor.models import Record
from monitor.sources.federal_register.actions import rule_action
from monitor.sources.federal_register.documents import Document
from monitor.sources.federal_register.rule import NAME, RuleText, parse_rule
from monitor.sources.fields import parse_citations
from tests.realdata import report
from tests.realdata.conftest import realdata_file, truth

FILE = "federal_register/2023-03929.xml"
TRUTH = truth("fr_2023-03929.toml")
URL = "https://www.federalregister.gov/documents/full_text/xml/2023/02/27/2023-03929.xml"


@pytest.fixture(scope="module")
def raw() -> bytes:
    return realdata_file(FILE).read_bytes()


@pytest.fixture(scope="module")
def rule(raw: bytes) -> RuleText:
    return parse_rule(raw, url=URL)


def test_the_file_is_the_one_the_truth_describes(raw: bytes) -> None:
    import hashlib

    assert hashlib.sha256(raw).hexdigest() == TRUTH["document"]["sha256"]
    root = ET.fromstring(raw)  # the real file, read by the test itself
    assert [int(p.get("P", "0")) for p in root.iter("PRTPAGE")] == TRUTH["document"][
        "prtpage_markers"
    ]
    assert len(TRUTH["entry"]) == TRUTH["document"]["summary_entry_count"] == 13


def _party_fields(party: object) -> dict[str, object]:
    def get(name: str) -> object:
        return getattr(party, name, "<no such field>")

    return {
        "country": get("country"),
        "name": get("name"),
        "aliases": list(a) if isinstance(a := get("aliases"), tuple) else a,
        "addresses": list(a) if isinstance(a := get("addresses"), tuple) else a,
        "license_requirement": get("license_requirement"),
        "license_policy": get("license_policy"),
        "citations": list(c) if isinstance(c := get("citations"), tuple) else c,
        "citation text": t.rstrip(".") if isinstance(t := get("citation_text"), str) else t,
        "footnotes": list(f) if isinstance(f := get("footnotes"), tuple) else f,
        "operation": get("operation"),
    }


def _truth_fields(entry: dict[str, object]) -> dict[str, object]:
    citation = entry["citation"]
    assert isinstance(citation, str)
    return {
        "country": entry["country"],
        "name": entry["name"],
        "aliases": entry["aliases"],
        "addresses": [str(a).removesuffix(".") for a in entry["addresses"]],  # type: ignore[attr-defined]
        "license_requirement": entry["license_requirement"],
        "license_policy": entry["license_review_policy"],
        # "88 FR 12172, 2/27/2023" -> the normalised citation the sources store
        "citations": list(parse_citations(citation)),
        "citation text": citation,
        "footnotes": [str(entry["license_requirement_footnote"])],
        "operation": "add",  # every AMDPAR a.-f. says "by adding"
    }


def test_all_13_entries_with_every_field(rule: RuleText) -> None:
    entries = TRUTH["entry"]
    row = report.record(
        report.FileRow(NAME, FILE, "Entity List entries, every field", len(entries), 0)
    )
    parties = list(rule.parties)
    report.compare(row, "number of parties", len(entries), len(parties))
    for index, entry in enumerate(entries):
        expected = _truth_fields(entry)
        match = next(
            (p for p in parties if (p.name, p.country) == (entry["name"], entry["country"])), None
        )
        if match is None:
            row.miss(f"entry {index + 1} {entry['name']!r} ({entry['country']}) not found")
            row.fields_checked += len(expected)
            continue
        found = _party_fields(match)
        ok = True
        for field in expected:
            ok &= report.compare(row, f"{entry['name']!r} ({entry['country']}): {field}",
                                 expected[field], found[field])  # fmt: skip
        row.found += ok
    assert row.misses == []


def _document(raw: bytes, rule: RuleText) -> Document:
    """SYNTHETIC documents.json entry of 2023-03929, from facts printed in the XML."""
    doc = TRUTH["document"]
    return Document(
        {
            "document_number": doc["document_number"],
            "title": doc["subject"],
            "type": "Rule",
            "abstract": doc["summary"],
            "citation": doc["fr_citation_of_rule"],
            "volume": str(doc["fr_volume"]),
            "start_page": str(doc["start_page"]),
            "end_page": str(doc["end_page"]),
            "publication_date": doc["publication_date"],
            "effective_on": doc["effective_date"],
            "full_text_xml_url": URL,
        }
    )


@pytest.fixture(scope="module")
def action(raw: bytes, rule: RuleText) -> Record:
    return rule_action(_document(raw, rule), rule, "", {})


def test_the_summary_check_passes_with_no_false_flag(action: Record) -> None:
    row = report.record(report.FileRow(NAME, FILE, "summary checks (review flags)", 0, 0))
    report.compare(row, "review flags", [], list(action.get_tuple("review")))
    report.compare(row, "country counts", sorted(
        f"{c}={n}" for c, n in TRUTH["document"]["summary_country_counts"].items()
    ), sorted(action.get_tuple("country_counts")))  # fmt: skip
    report.compare(row, "stated count", "10", action.get_text("stated_count"))
    assert row.misses == []


def test_the_amendment_instructions_agree_with_the_table(rule: RuleText) -> None:
    """AMDPARs a.-f. name every entry (quoted) with its verb: a second reading of the parties."""
    named = sorted(
        (i["country"], n, i["verb"]) for i in TRUTH["amendment"]["instruction"] for n in i["names"]
    )
    table = sorted((e["country"], e["name"], "adding") for e in TRUTH["entry"])
    assert named == table  # the truth itself: both readings give the same 13 entries
    row = report.record(report.FileRow(NAME, FILE, "amendment instructions vs table", 13, 0))
    flags = [f for f in rule.flags if "instruction" in f or "operation" in f]
    report.compare(row, "instruction/table disagreements flagged", [], flags)
    row.found = 13 - len(flags)
    assert row.misses == []


def test_every_change_this_rule_explains_is_attributed_to_it(action: Record) -> None:
    """An Entity List change citing the page an entry is printed on ("88 FR 12172"), and
    a change naming one of the rule's parties, both lead to this rule."""
    entries = TRUTH["entry"]
    row = report.record(
        report.FileRow(NAME, FILE, "changes attributed to the rule", len(entries), 0)
    )
    for entry in entries:
        by_page = attribute(parse_citations(entry["citation"]), [action])
        by_name = attribute_by_name(entry["name"], [action])
        ok = report.compare(row, f"{entry['name']!r}: by page", action.key,
                            by_page.action.key if by_page else None)  # fmt: skip
        ok &= report.compare(row, f"{entry['name']!r}: by name", action.key,
                             by_name.action.key if by_name else None)  # fmt: skip
        row.found += ok
    assert row.misses == []
