"""The sanity gate: is a parsed snapshot plausible enough to diff and accept?

Pure. A snapshot outside its source's count bounds, or one that would remove
more than the allowed share of the accepted records at once, is held as
*suspect*: stored for inspection, never diffed into changes, so a broken or
partial publication cannot read as "everything was removed".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateLimits:
    min_records: int
    max_records: int
    max_shrink: float


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
