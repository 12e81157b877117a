"""The sanity gate: is a parsed snapshot plausible enough to diff and accept?

Pure. A snapshot is held as *suspect* (stored for review, never diffed into
changes) when it is outside its source's count bounds, or when its changes look
like a broken publication rather than a real one:

* removals: more than the allowed share of the source, or of any one list (half
  of a 70-record list vanishing beside a 2,000-record one is 1.9% of the source),
  or more than an absolute number of one list's records in one run (a file cut
  at a row boundary drops its last rows: 900 of 20,000 is only 4.5%);
* cumulative removals over a window since the last reviewed state (4% a run for
  five runs is 18.5% gone);
* modifications: a large share of a list changing the same field at once (every
  name upper-cased), or one field going blank in most of a list's records.

Every check is per list; fields a derived list sets by replaying acts (``act_fields``:
one suspension moves 22 of 38 UEL entries) are not counted. The per-list checks need at least
``min_changes`` records concerned, so a small list's routine edit is not held. A held
snapshot waits for ``ecmon review`` / ``accept`` / ``reject`` (``monitor.review``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.models import Change, FieldValue


@dataclass(frozen=True)
class GateLimits:
    min_records: int
    max_records: int
    max_shrink: float  # share of a source, and of each list, one run may remove
    max_removed: int = 1_000_000  # records of one list one run may remove
    max_field_change: float = 1.0  # share of a list changing one field in one run
    max_blank: float = 1.0  # share of a list whose value of one field goes blank
    max_window_shrink: float = 1.0  # share of a list removed over the window
    min_changes: int = 1  # per-list checks hold only from this many records on
    window_days: float = 7.0  # for the message; the caller counts the window
    act_fields: frozenset[str] = frozenset()  # moved by acts: not a broken publication


@dataclass(frozen=True)
class ListWindow:
    """What accepted runs did to one list inside the window (since the last review)."""

    added: int = 0
    removed: int = 0


def count_problem(count: int, limits: GateLimits) -> str | None:
    """Why ``count`` records is implausible for this source, or None."""
    if count < limits.min_records:
        return f"{count} records, fewer than the expected minimum of {limits.min_records}"
    if count > limits.max_records:
        return f"{count} records, more than the expected maximum of {limits.max_records}"
    return None


def shrink_problem(previous_count: int, removed: int, limits: GateLimits) -> str | None:
    """Why removing ``removed`` of ``previous_count`` records at once is implausible, or None."""
    if previous_count == 0 or removed == 0:
        return None
    share = removed / previous_count
    if share > limits.max_shrink:
        return (
            f"would remove {removed} of {previous_count} records ({share:.0%}), "
            f"more than the allowed {limits.max_shrink:.0%} in one run"
        )
    return None


def change_problems(
    changes: Sequence[Change],
    list_counts: Mapping[str, int],
    window: Mapping[str, ListWindow],
    limits: GateLimits,
) -> list[str]:
    """Why these changes look like a broken publication, per list (empty: plausible).

    ``list_counts``: each list's record count in the accepted state; ``window``: what
    accepted runs added to and removed from each list inside the window.
    """
    removed: Counter[str] = Counter(c.list_name for c in changes if c.kind == "removed")
    problems: list[str] = []
    for name in sorted(set(list_counts) | set(removed)):
        count = list_counts.get(name, 0)
        shown = name.upper()
        problems += _removal_problems(shown, count, removed[name], window.get(name), limits)
    modified = [c for c in changes if c.kind == "modified" and c.before is not None]
    by_list: dict[str, list[Change]] = {}
    for change in modified:
        by_list.setdefault(change.list_name, []).append(change)
    for name, items in sorted(by_list.items()):
        problems += _modification_problems(name.upper(), list_counts.get(name, 0), items, limits)
    return problems


def _removal_problems(
    name: str, count: int, removed: int, window: ListWindow | None, limits: GateLimits
) -> list[str]:
    found: list[str] = []
    if count == 0:
        return found
    share = removed / count
    if removed >= limits.min_changes and share > limits.max_shrink:
        found.append(
            f"would remove {removed} of {count} {name} records ({share:.0%}), more than the"
            f" allowed {limits.max_shrink:.0%} of a list in one run"
        )
    elif removed > limits.max_removed:
        found.append(
            f"would remove {removed} of {count} {name} records in one run, more than the"
            f" allowed {limits.max_removed}"
        )
    if window is not None and window.removed and removed:
        total = window.removed + removed
        # Every record the list held inside the window: the list at the window's start
        # plus what was added since (a removal of a record added meanwhile counts too).
        seen = count + window.removed
        if seen > 0 and total >= limits.min_changes and total / seen > limits.max_window_shrink:
            found.append(
                f"would bring the {name} records removed within {limits.window_days:g} days"
                f" (since the last reviewed state) to {total} of {seen}"
                f" ({total / seen:.1%}), more than the allowed {limits.max_window_shrink:.0%}"
            )
    return found


def _modification_problems(
    name: str, count: int, changes: Sequence[Change], limits: GateLimits
) -> list[str]:
    if count == 0:
        return []
    touched: Counter[str] = Counter()
    blanked: Counter[str] = Counter()
    for change in changes:
        touched.update(_touched_fields(change))
        blanked.update(f.field for f in change.fields if _blank(f.after) and not _blank(f.before))
    found: list[str] = []
    for field, n in sorted(blanked.items()):
        if n >= limits.min_changes and n / count > limits.max_blank:
            found.append(
                f"field {field!r} would go blank in {n} of {count} {name} records"
                f" ({n / count:.0%}), more than the allowed {limits.max_blank:.0%}"
            )
            touched.pop(field, None)  # one reason per field is enough
    for field, n in sorted(touched.items()):
        if field in limits.act_fields:
            continue
        if n >= limits.min_changes and n / count > limits.max_field_change:
            found.append(
                f"would change field {field!r} of {n} of {count} {name} records"
                f" ({n / count:.0%}) at once, more than the allowed {limits.max_field_change:.0%}"
            )
    return found


def _touched_fields(change: Change) -> Iterable[str]:
    """The fields a modification changes, the display name and country included."""
    fields = {f.field for f in change.fields}
    before, after = change.before, change.after
    if before is not None and after is not None:
        if before.name != after.name:
            fields.add("name")
        if before.country != after.country:
            fields.add("country")
    return fields


def _blank(value: FieldValue) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return not any(item.strip() for item in value)
