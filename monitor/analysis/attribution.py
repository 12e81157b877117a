"""Which government action explains a change: by Federal Register page, or by party name.

Pure: no clock, network or database; it reads action records (``monitor.actions``).

* ``attribute(citations, actions)``: an Entity List entry cites the page where it
  appears ("90 FR 4619"), not the rule's first page, so the action is the FR document
  whose volume matches and whose pages ``start_page..end_page`` cover that page
  (2025-00704 spans 90 FR 4617-4620). Of several covering actions, the newest wins
  (highest volume, then highest first page: FR pages only grow within a volume). A
  document whose end page is unknown covers its first page only.
* ``attribute_by_name(name, actions)``: the newest action that names the party
  (English name, Chinese name or an FR alias), compared folded (``keys.fold_name``).

Citations are read in the normalised form the sources write into ``citations``
fields, "<volume> FR <page>"; anything else is ignored. Each answer carries its
evidence, so a reader can judge it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.actions import is_action
from monitor.keys import fold_name
from monitor.models import Record


@dataclass(frozen=True)
class Attribution:
    """An action and why it was chosen."""

    action: Record
    evidence: str


@dataclass(frozen=True, order=True)
class _Span:
    volume: int
    start: int
    end: int

    def covers(self, volume: int, page: int) -> bool:
        return volume == self.volume and self.start <= page <= self.end


def attribute(citations: Sequence[str], actions: Iterable[Record]) -> Attribution | None:
    """The newest action whose pages cover one of ``citations``, with the evidence."""
    pages = [(text, ref) for text in citations if (ref := page_ref(text)) is not None]
    best: tuple[_Span, str, Record] | None = None
    for action in actions:
        span = _span(action) if is_action(action) else None
        if span is None:
            continue
        for text, (volume, page) in pages:
            if span.covers(volume, page) and (best is None or span > best[0]):
                best = (span, text, action)
                break
    if best is None:
        return None
    span, text, action = best
    pages_text = f"{span.start}" if span.start == span.end else f"{span.start}–{span.end}"
    return Attribution(
        action=action,
        evidence=f"{text} is within {span.volume} FR {pages_text} ({_label(action)})",
    )


def attribute_by_name(name: str, actions: Iterable[Record]) -> Attribution | None:
    """The newest action naming ``name`` among its parties (or their aliases)."""
    wanted = fold_name(name)
    if not wanted:
        return None
    best: tuple[tuple[str, int, int], str, Record] | None = None
    for action in actions:
        if not is_action(action):
            continue
        matched = next((n for n in party_names(action) if fold_name(n) == wanted), None)
        if matched is None:
            continue
        order = _newness(action)
        if best is None or order > best[0]:
            best = (order, matched, action)
    if best is None:
        return None
    _order, matched, action = best
    return Attribution(action=action, evidence=f"party {matched!r} is named in {_label(action)}")


def naming_actions(actions: Iterable[Record]) -> dict[str, Record]:
    """Folded party name -> the action ``attribute_by_name`` picks for it (the newest
    naming it; the first of equals), built once for the many names of a list's groups."""
    best: dict[str, tuple[tuple[str, int, int], Record]] = {}
    for action in actions:
        if not is_action(action):
            continue
        order = _newness(action)
        for folded in {fold_name(n) for n in party_names(action)}:
            if folded and (folded not in best or order > best[folded][0]):
                best[folded] = (order, action)
    return {name: action for name, (_order, action) in best.items()}


def page_ref(citation: str) -> tuple[int, int] | None:
    """(volume, page) of a normalised citation "90 FR 4619"; None for any other text."""
    volume, separator, page = citation.strip().partition(" FR ")
    if separator and volume.isdigit() and page.isdigit():
        return int(volume), int(page)
    return None


def party_names(action: Record) -> tuple[str, ...]:
    """Every name an action gives its parties: English, Chinese and "; "-joined aliases."""
    aliases = (a for joined in action.get_tuple("party_aliases") for a in joined.split("; "))
    names = (*action.get_tuple("parties_en"), *action.get_tuple("parties_zh"), *aliases)
    return tuple(n for n in names if n.strip())


def _span(action: Record) -> _Span | None:
    volume, start, end = (action.get_text(k) for k in ("volume", "start_page", "end_page"))
    if not (volume.isdigit() and start.isdigit()):
        return None
    last = int(end) if end.isdigit() else int(start)
    return _Span(int(volume), int(start), max(last, int(start)))


def _newness(action: Record) -> tuple[str, int, int]:
    span = _span(action)
    return (action.get_text("published"), span.volume if span else 0, span.start if span else 0)


def _label(action: Record) -> str:
    instrument = action.get_text("instrument")
    number = action.get_text("document_number")
    if number and instrument != f"FR Doc. {number}":
        label = f"{instrument}, FR Doc. {number}" if instrument else f"FR Doc. {number}"
    else:
        label = instrument or action.key
    if action.get_text("kind") == "public_inspection":
        return f"{label}, on public inspection, not yet published"  # no pages to cite yet
    return label
