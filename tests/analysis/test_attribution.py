"""Attribution of changes to actions, on literal action records.

Volumes, pages and names are the reference's (SOURCES.md section 6a): 2025-00704 spans
90 FR 4617-4620 and names Zhipu, 2025-00480 spans 90 FR 4621-4624, 2025-05427 spans
90 FR 14046-14052, 2025-19846 starts at 90 FR 50857 (end page unknown).
"""

from __future__ import annotations

from monitor.actions import action_key, action_record
from monitor.analysis.attribution import attribute, attribute_by_name, page_ref
from monitor.models import Record

ZHIPU = "Beijing Zhipu Huazhang Technology Co., Ltd."


def fr_action(
    number: str,
    pages: tuple[str, str, str],
    published: str,
    *,
    parties: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
) -> Record:
    volume, start, end = pages
    return action_record(
        key=action_key("US", number),
        kind="entity_list_rule",
        jurisdiction="US",
        title=f"rule {number}",
        fields={
            "instrument": f"{volume} FR {start}",
            "document_number": number,
            "volume": volume,
            "start_page": start,
            "end_page": end,
            "published": published,
            "parties_en": parties,
            "party_aliases": aliases,
        },
    )


ACTIONS = [
    fr_action(
        "2025-00704",
        ("90", "4617", "4620"),
        "2025-01-16",
        parties=(ZHIPU,),
        aliases=("Zhipu AI; Beijing Knowledge Atlas Technology Co., Ltd.",),
    ),
    fr_action("2025-00480", ("90", "4621", "4624"), "2025-01-16"),
    fr_action("2025-05427", ("90", "14046", "14052"), "2025-03-28"),
    fr_action("2025-19846", ("90", "50857", ""), "2025-11-12"),
    # Not an action: a list entry that happens to carry page-like fields is never chosen.
    Record(
        key="x|CN",
        list_name="el",
        name="x",
        country="CN",
        fields={"volume": "90", "start_page": "1", "end_page": "99999"},
    ),
]


def key_of(citations: list[str]) -> str | None:
    found = attribute(citations, ACTIONS)
    return None if found is None else found.action.key


def test_a_cited_page_inside_a_rule_is_attributed_with_evidence() -> None:
    found = attribute(["90 FR 4619"], ACTIONS)
    assert found is not None
    assert found.action.key == "us:2025-00704"
    assert found.evidence == "90 FR 4619 is within 90 FR 4617–4620 (90 FR 4617, FR Doc. 2025-00704)"


def test_page_ranges_have_edges() -> None:
    assert key_of(["90 FR 4617"]) == "us:2025-00704"
    assert key_of(["90 FR 4620"]) == "us:2025-00704"
    assert key_of(["90 FR 4621"]) == "us:2025-00480"
    assert key_of(["90 FR 4625"]) is None  # 2025-00480 ends at 4624
    assert key_of(["90 FR 4616"]) is None


def test_another_volume_is_never_matched() -> None:
    assert key_of(["89 FR 4619"]) is None


def test_an_unknown_end_page_covers_the_first_page_only() -> None:
    assert key_of(["90 FR 50857"]) == "us:2025-19846"
    assert key_of(["90 FR 50858"]) is None


def test_the_newest_covering_action_wins() -> None:
    # An entry listed in January and amended in March cites both rules.
    found = attribute(["90 FR 4619", "90 FR 14050"], ACTIONS)
    assert found is not None and found.action.key == "us:2025-05427"
    assert found.evidence.startswith("90 FR 14050 is within 90 FR 14046–14052")
    assert key_of(["90 FR 14050", "90 FR 4619"]) == "us:2025-05427"  # order does not matter


def test_text_that_is_not_a_normalised_citation_is_ignored() -> None:
    assert key_of(["90 FR 4619, 1/16/25.", "page 4619", ""]) is None
    assert page_ref("90 FR 4619") == (90, 4619)
    assert page_ref("FR 4619") is None


def test_name_attribution_uses_parties_and_aliases_folded() -> None:
    found = attribute_by_name("BEIJING ZHIPU HUAZHANG TECHNOLOGY CO LTD", ACTIONS)
    assert found is not None and found.action.key == "us:2025-00704"
    assert found.evidence == f"party {ZHIPU!r} is named in 90 FR 4617, FR Doc. 2025-00704"
    by_alias = attribute_by_name("zhipu ai", ACTIONS)
    assert by_alias is not None and by_alias.action.key == "us:2025-00704"
    assert attribute_by_name("Zhipu", ACTIONS) is None  # a part of a name is not the name
    assert attribute_by_name("", ACTIONS) is None


def test_name_attribution_prefers_the_newest_action() -> None:
    # A synthetic later action (not a real document) naming the same party.
    later = fr_action("0000-00001", ("91", "1", "2"), "2026-01-02", parties=(ZHIPU,))
    found = attribute_by_name(ZHIPU, [*ACTIONS, later])
    assert found is not None and found.action.key == "us:0000-00001"
