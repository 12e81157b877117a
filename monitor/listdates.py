"""The date a list itself gives a change (issue 15, "dates as the lists state them"), next to
when ecmon saw it. Pure: no clock, network or database.

* an eCFR snapshot is the list as amended on the date it is valid for (``valid_for``): a
  backfilled 2025-09-16 amendment reads 2025-09-16, whenever it was fetched;
* a CSL entry states its ``start_date``;
* a rule (an action of the Federal Register) its publication and effective dates, or, still on
  public inspection, its filing day;
* a MOFCOM act its effective time (else its publication); a MOFCOM list entry the day its
  status was last set (``status_since``).

Each answer carries what it is, so a reader never takes one kind of date for another.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.actions import is_action
from monitor.models import Record

ECFR_SOURCE = "us_ecfr_entity_list"


@dataclass(frozen=True)
class ListDate:
    date: str  # ISO date (or date-time, as the list states it); "" when the list states none
    basis: str  # e.g. "eCFR amendment", "CSL start_date", "published", "effective"

    def __str__(self) -> str:
        return f"{self.date} ({self.basis})" if self.date else ""


NONE = ListDate("", "")


def list_date(source: str, record: Record, valid_for: str | None = None) -> ListDate:
    """The list's own date of ``record`` as ``source`` gave it (``valid_for``: the date the
    snapshot the change came from is valid for, where the source has one)."""
    if valid_for and source == ECFR_SOURCE:
        return ListDate(valid_for, "eCFR amendment")
    if is_action(record):
        return _action_date(record)
    for name, basis in (
        ("start_date", "CSL start_date"),
        ("status_since", "status since"),
        ("effective", "effective"),
    ):
        if record.get_text(name):
            return ListDate(record.get_text(name), basis)
    if valid_for:
        return ListDate(valid_for, "valid for")
    return NONE


def _action_date(action: Record) -> ListDate:
    published, effective = action.get_text("published"), action.get_text("effective")
    if action.get_text("jurisdiction") == "CN" and effective:
        return ListDate(effective, "effective")
    if published and effective and effective[:10] != published[:10]:
        return ListDate(published, f"published, effective {effective}")
    if published:
        return ListDate(published, "published")
    if action.get_text("kind") == "public_inspection" and action.get_text("announced"):
        return ListDate(action.get_text("announced"), "filed for public inspection")
    return ListDate(effective, "effective") if effective else NONE


def list_date_range(value: ListDate) -> str:
    """The day a range filter compares (``diff --effective-since``)."""
    return value.date[:10]
