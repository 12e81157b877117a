"""The differ on literal records, plus property tests (hypothesis).

Names below are real Entity List names from the reference; the field values are
literals made up for the test (labelled synthetic where they are).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.diff import apply_changes, changed_keys, diff_records
from monitor.keys import record_key
from monitor.models import FieldValue, Record

# A citation and an address two synthetic entries share (rename detection).
CITED = ("83 FR 37423",)
AT = ("113 Hezuo Road, Shijiazhuang, CN",)


def rec(name: str, country: str = "CN", **fields: FieldValue) -> Record:
    base: dict[str, FieldValue] = {
        "name": name,
        "aliases": (),
        "addresses": (country,),
        "citations": (),
        "start_date": "",
        "license_requirement": "For all items subject to the EAR.",
        "license_policy": "Presumption of denial.",
    }
    base.update(fields)
    return Record(
        key=record_key(name, country),
        list_name="el",
        name=name,
        country=country,
        fields=base,
        meta={"row_id": "x"},
    )


def state(*records: Record) -> dict[str, Record]:
    return {r.key: r for r in records}


CETC = "China Electronics Technology Group Corporation 13th Research Institute (CETC 13)"


def test_identical_states_give_no_changes() -> None:
    a = state(rec(CETC, citations=("83 FR 37423",)), rec("Sino IC Technology"))
    assert diff_records(a, dict(a)) == []


def test_meta_churn_is_not_a_change() -> None:
    before = rec("Sino IC Technology")
    after = Record(before.key, "el", before.name, "CN", before.fields, {"row_id": "other-id"})
    assert diff_records(state(before), state(after)) == []


def test_added_and_removed() -> None:
    old = state(rec("A.P. Finance Limited", "GB"), rec(CETC))
    new = state(rec(CETC), rec("Sino IC Technology"))
    changes = diff_records(old, new)
    kinds = sorted((c.kind, c.name) for c in changes)
    assert kinds == [("added", "Sino IC Technology"), ("removed", "A.P. Finance Limited")]


def test_citation_added_with_field_detail() -> None:
    before = rec(CETC, citations=("83 FR 37423",), federal_register_notice="83 FR 37423")
    after = rec(
        CETC,
        citations=("83 FR 37423", "87 FR 77505"),
        federal_register_notice="83 FR 37423; 87 FR 77505",
    )
    [change] = diff_records(state(before), state(after))
    assert change.kind == "modified"
    assert change.labels == ("citation_added",)
    by_field = {f.field: f for f in change.fields}
    assert by_field["citations"].added == ("87 FR 77505",)
    assert by_field["citations"].removed == ()
    assert by_field["federal_register_notice"].after == "83 FR 37423; 87 FR 77505"


def test_every_label_kind() -> None:
    before = rec(CETC, aliases=("HSRI", "Hebei Semiconductor"), addresses=("113 Hezuo Road, CN",))
    after = rec(
        CETC,
        aliases=("HSRI", "CETC Research Institute 13"),
        addresses=("21 Changsheng Street, CN",),
        license_requirement="For all items subject to the EAR. (See § 744.11 of the EAR)",
        license_policy="Policy of denial.",
    )
    [change] = diff_records(state(before), state(after))
    assert set(change.labels) == {
        "alias_added",
        "alias_removed",
        "address_changed",
        "license_requirement_changed",
        "license_policy_changed",
    }


def test_reordered_aliases_are_not_a_change() -> None:
    before = rec(CETC, aliases=("HSRI", "Hebei Semiconductor"))
    after = rec(CETC, aliases=("Hebei Semiconductor", "HSRI"))
    assert diff_records(state(before), state(after)) == []


def test_rename_detected_from_shared_citation_and_address() -> None:
    # Synthetic: the same entry published under a new name.
    old = rec("Hebei Semiconductor Research Institute", citations=CITED, addresses=AT)
    new = rec(
        CETC, aliases=("Hebei Semiconductor Research Institute",), citations=CITED, addresses=AT
    )
    [change] = diff_records(state(old), state(new))
    assert change.kind == "modified"
    assert change.previous_key == old.key and change.key == new.key
    assert "renamed" in change.labels and "alias_added" in change.labels
    assert apply_changes(state(old), [change]) == state(new)


def test_country_move_is_one_modification() -> None:
    old = rec("Shanghai Fudan Microelectronics (HK) Co., Ltd.", "CN", start_date="2025-09-12")
    new = rec("Shanghai Fudan Microelectronics (HK) Co., Ltd.", "HK", start_date="2025-09-12")
    [change] = diff_records(state(old), state(new))
    assert change.kind == "modified"
    assert "country_changed" in change.labels


def test_unrelated_entries_are_not_paired() -> None:
    # Two entries from the same rule share a citation but nothing else.
    old = rec("A.C. International", citations=("73 FR 54504",))
    new = rec("Sino IC Technology", citations=("73 FR 54504",))
    kinds = sorted(c.kind for c in diff_records(state(old), state(new)))
    assert kinds == ["added", "removed"]


def test_ambiguous_rename_is_left_as_add_and_remove() -> None:
    old = rec("Old Name Institute", citations=CITED, addresses=AT)
    new1 = rec("New Name One", citations=CITED, addresses=AT)
    new2 = rec("New Name Two", citations=CITED, addresses=AT)
    kinds = sorted(c.kind for c in diff_records(state(old), state(new1, new2)))
    assert kinds == ["added", "added", "removed"]


# --- properties -------------------------------------------------------------

NAMES = st.sampled_from(
    [
        CETC,
        "Sino IC Technology",
        "A.C. International",
        "32 Group China Ltd.",
        "54th Research Institute of China",
        "Jicun Semiconductor Technology (Shanghai)",
        "Hong Kong Suochen Information Technology",
    ]
)
TEXT = st.sampled_from(["", "a", "b", "Presumption of denial.", "83 FR 37423", "87 FR 77505"])
records = st.builds(
    lambda name, country, aliases, cites, policy: rec(
        name, country, aliases=tuple(aliases), citations=tuple(cites), license_policy=policy
    ),
    NAMES,
    st.sampled_from(["CN", "HK", "GB"]),
    st.lists(TEXT, max_size=3, unique=True),
    st.lists(TEXT, max_size=3, unique=True),
    TEXT,
)
states = st.lists(records, max_size=8).map(lambda rs: {r.key: r for r in rs})


def hashes(s: dict[str, Record]) -> dict[str, str]:
    return {k: r.content_hash for k, r in s.items()}


@settings(max_examples=300, deadline=None)
@given(states)
def test_diff_of_a_state_with_itself_is_empty(a: dict[str, Record]) -> None:
    assert diff_records(a, a) == []


@settings(max_examples=300, deadline=None)
@given(states, states)
def test_applying_the_diff_gives_the_target(a: dict[str, Record], b: dict[str, Record]) -> None:
    assert hashes(apply_changes(a, diff_records(a, b))) == hashes(b)


@settings(max_examples=200, deadline=None)
@given(states, states)
def test_each_key_changes_at_most_once(a: dict[str, Record], b: dict[str, Record]) -> None:
    touched = []
    for change in diff_records(a, b):
        touched.append(change.key)
        if change.previous_key:
            touched.append(change.previous_key)
    assert len(touched) == len(set(touched))


@settings(max_examples=200, deadline=None)
@given(states, states)
def test_diffing_only_changed_keys_gives_the_same_changes(
    a: dict[str, Record], b: dict[str, Record]
) -> None:
    keys = changed_keys({k: r.content_hash for k, r in a.items()}, b)
    subset_a = {k: r for k, r in a.items() if k in keys}
    subset_b = {k: r for k, r in b.items() if k in keys}
    assert diff_records(subset_a, subset_b) == diff_records(a, b)


@settings(max_examples=300, deadline=None)
@given(states, states)
def test_rename_candidates_lose_no_pair(a: dict[str, Record], b: dict[str, Record]) -> None:
    """Scoring only pairs that share a feature gives the same renames as scoring all pairs."""
    import monitor.diff as differ

    removed = [a[k] for k in sorted(a.keys() - b.keys())]
    added = [b[k] for k in sorted(b.keys() - a.keys())]
    indexed = differ.match_renames(removed, added)
    every = [(o, n) for o in removed for n in added if o.list_name == n.list_name]
    original = differ._candidate_pairs
    try:
        differ._candidate_pairs = lambda _r, _a: every  # type: ignore[assignment]
        brute = differ.match_renames(removed, added)
    finally:
        differ._candidate_pairs = original
    assert [(o.key, n.key) for o, n in indexed] == [(o.key, n.key) for o, n in brute]


def test_a_modification_always_carries_a_label() -> None:
    """The raw citation text has no label of its own; changed alone it still gets one."""
    before = rec("Example Co", federal_register_notice="83 FR 1; 84 FR 2")
    after = rec("Example Co", federal_register_notice="84 FR 2; 83 FR 1")
    [change] = diff_records({before.key: before}, {after.key: after})
    assert change.kind == "modified" and change.labels == ("federal_register_notice_changed",)
