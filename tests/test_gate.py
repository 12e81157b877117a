"""The gate's per-list checks as pure functions (end to end: tests/reliability/test_gate.py)."""

from __future__ import annotations

from monitor.gate import GateLimits, ListWindow, change_problems
from monitor.models import Change, Record

LIMITS = GateLimits(
    1,
    10**6,
    0.05,
    max_removed=250,
    max_field_change=0.3,
    max_blank=0.5,
    max_window_shrink=0.1,
    min_changes=10,
)


def rec(n: int, list_name: str = "el", name: str = "", **fields: str) -> Record:
    return Record(
        key=f"k{n}",
        list_name=list_name,
        name=name or f"Entity {n}",
        country="CN",
        fields={"addresses": ("Road 1",), "license_policy": "Presumption of denial.", **fields},
    )


def removed(n: int, list_name: str = "el") -> Change:
    r = rec(n, list_name)
    return Change("removed", r.key, list_name, r.name, "CN", r, None)


def modified(before: Record, after: Record) -> Change:
    from monitor.diff import modified as diff_modified

    return diff_modified(before, after)


def test_small_share_of_a_list_passes() -> None:
    changes = [removed(n) for n in range(10)]
    assert change_problems(changes, {"el": 1000}, {}, LIMITS) == []


def test_half_of_a_small_list_is_held_beside_a_large_one() -> None:
    changes = [removed(n, "meu") for n in range(35)]
    [problem] = change_problems(changes, {"el": 20_000, "meu": 70}, {}, LIMITS)
    assert "35 of 70 MEU records (50%)" in problem


def test_a_few_removals_of_a_tiny_list_are_not_held() -> None:
    """Under min_changes: a routine removal from a 20-record list is not held."""
    changes = [removed(n, "uvl") for n in range(3)]
    assert change_problems(changes, {"uvl": 20}, {}, LIMITS) == []


def test_more_than_max_removed_is_held_whatever_the_share() -> None:
    changes = [removed(n) for n in range(900)]
    [problem] = change_problems(changes, {"el": 20_000}, {}, LIMITS)
    assert "900 of 20000 EL records in one run, more than the allowed 250" in problem


def test_cumulative_window() -> None:
    changes = [removed(n) for n in range(20)]
    assert change_problems(changes, {"el": 480}, {"el": ListWindow(0, 20)}, LIMITS) == []
    [problem] = change_problems(changes, {"el": 460}, {"el": ListWindow(0, 40)}, LIMITS)
    assert "to 60 of 500 (12.0%)" in problem


def test_one_field_changing_in_most_records_is_held() -> None:
    changes = [modified(rec(n), rec(n, name=f"ENTITY {n}")) for n in range(100)]
    [problem] = change_problems(changes, {"el": 100}, {}, LIMITS)
    assert "field 'name' of 100 of 100 EL records (100%)" in problem


def test_a_field_going_blank_is_named_once() -> None:
    changes = [modified(rec(n), rec(n, license_policy="")) for n in range(60)]
    [problem] = change_problems(changes, {"el": 100}, {}, LIMITS)
    assert "field 'license_policy' would go blank in 60 of 100 EL records" in problem


def test_a_field_changing_in_few_records_passes() -> None:
    changes = [modified(rec(n), rec(n, license_policy="Case-by-case.")) for n in range(20)]
    assert change_problems(changes, {"el": 100}, {}, LIMITS) == []


def test_a_suspension_moving_most_of_a_derived_list_is_not_held() -> None:
    """One MOFCOM answer suspends 22 of 38 UEL entries: their status fields move together,
    and the act explains it; a publisher-table field changing as widely still is held."""
    from dataclasses import replace

    limits = replace(LIMITS, act_fields=frozenset({"status", "status_since"}))
    moved = [
        modified(
            rec(n, "uel", status="active", status_since="2025-02-04"),
            rec(n, "uel", status="suspended", status_since="2025-11-05"),
        )
        for n in range(22)
    ]
    assert change_problems(moved, {"uel": 38}, {}, limits) == []
    assert change_problems(moved, {"uel": 38}, {}, LIMITS)  # without the exemption: held
    renamed = [modified(rec(n, "uel"), rec(n, "uel", name=f"ENTITY {n}")) for n in range(22)]
    [problem] = change_problems(renamed, {"uel": 38}, {}, limits)
    assert "field 'name'" in problem
