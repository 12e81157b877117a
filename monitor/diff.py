"""The differ: previous accepted records + current records -> typed changes.

Pure: no clock, network or database. Records are compared by our own key and
their content hash; a modified record gets field-level before/after values and
labels (``alias_added``, ``citation_added``, ...). A removed and an added record
that are evidently the same entry (same name under another country, or shared
citations plus a shared address or alias) are reported as one modification
labelled ``renamed`` or ``country_changed`` instead of a removal and an addition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from monitor.keys import fold_name
from monitor.models import Change, FieldChange, FieldValue, Record

# Field -> (label when items were added, label when items were removed); single
# valued fields use the first label for any change. None: no label of its own
# (the raw citation text moves together with the parsed citations).
_LABELS: dict[str, tuple[str, str] | None] = {
    "aliases": ("alias_added", "alias_removed"),
    "citations": ("citation_added", "citation_removed"),
    "addresses": ("address_changed", "address_changed"),
    "countries": ("country_changed", "country_changed"),
    "license_requirement": ("license_requirement_changed", "license_requirement_changed"),
    "license_policy": ("license_policy_changed", "license_policy_changed"),
    "footnotes": ("footnote_changed", "footnote_changed"),
    "name": ("renamed", "renamed"),
    "federal_register_notice": None,
}


def diff_records(previous: Mapping[str, Record], current: Mapping[str, Record]) -> list[Change]:
    """All changes that turn ``previous`` into ``current``, in a stable order."""
    changes: list[Change] = []
    for key in sorted(previous.keys() & current.keys()):
        before, after = previous[key], current[key]
        if before.content_hash != after.content_hash:
            changes.append(modified(before, after))
    removed = [previous[k] for k in sorted(previous.keys() - current.keys())]
    added = [current[k] for k in sorted(current.keys() - previous.keys())]
    pairs = match_renames(removed, added)
    paired_old = {old.key for old, _ in pairs}
    paired_new = {new.key for _, new in pairs}
    changes.extend(modified(old, new) for old, new in pairs)
    changes.extend(_added(r) for r in added if r.key not in paired_new)
    changes.extend(_removed(r) for r in removed if r.key not in paired_old)
    return changes


def changed_keys(previous_hashes: Mapping[str, str], current: Mapping[str, Record]) -> set[str]:
    """Keys that were added, removed or whose content hash differs.

    Only these can take part in a change, so a caller holding a large accepted
    state can load just these records and diff those (same result, less memory).
    """
    differ = {
        key
        for key in previous_hashes.keys() & current.keys()
        if previous_hashes[key] != current[key].content_hash
    }
    return differ | (previous_hashes.keys() ^ current.keys())


def apply_changes(previous: Mapping[str, Record], changes: Iterable[Change]) -> dict[str, Record]:
    """The state ``changes`` lead to from ``previous`` (the store does the same in SQL)."""
    state = dict(previous)
    for change in changes:
        if change.previous_key is not None:
            state.pop(change.previous_key, None)
        if change.kind == "removed":
            state.pop(change.key, None)
        else:
            assert change.after is not None
            state[change.key] = change.after
    return state


def modified(before: Record, after: Record) -> Change:
    """A modification with field-level detail and labels."""
    fields = field_changes(before, after)
    labels = _labels_for(fields)
    if before.country != after.country and "country_changed" not in labels:
        labels.append("country_changed")
    if fold_name(before.name) != fold_name(after.name) and "renamed" not in labels:
        labels.append("renamed")
    if not labels:
        # Every modification says what changed: a field without a label of its own (the
        # raw citation text alone) or the display name's spelling gets a generic one.
        labels = [f"{change.field}_changed" for change in fields] or ["name_spelling_changed"]
    return Change(
        kind="modified",
        key=after.key,
        list_name=after.list_name,
        name=after.name,
        country=after.country,
        before=before,
        after=after,
        fields=tuple(fields),
        labels=tuple(labels),
        previous_key=before.key if before.key != after.key else None,
    )


def field_changes(before: Record, after: Record) -> list[FieldChange]:
    """Fields whose values differ (multi-valued fields compared as sets)."""
    result = []
    for name in sorted(before.fields.keys() | after.fields.keys()):
        old = before.fields.get(name, _empty_like(after.fields.get(name)))
        new = after.fields.get(name, _empty_like(old))
        if _comparable(old) != _comparable(new):
            result.append(FieldChange(field=name, before=old, after=new))
    return result


def _empty_like(value: FieldValue | None) -> FieldValue:
    return () if isinstance(value, tuple) else ""


def _comparable(value: FieldValue) -> object:
    return tuple(sorted(value)) if isinstance(value, tuple) else value


def _labels_for(fields: Iterable[FieldChange]) -> list[str]:
    labels: list[str] = []
    for change in fields:
        pair = _LABELS.get(change.field, (f"{change.field}_changed", f"{change.field}_changed"))
        if pair is None:
            continue
        if isinstance(change.before, tuple) and isinstance(change.after, tuple):
            wanted = [pair[0]] if change.added else []
            wanted += [pair[1]] if change.removed else []
        else:
            wanted = [pair[0]]
        labels.extend(label for label in wanted if label not in labels)
    return labels


def _added(record: Record) -> Change:
    return Change(
        kind="added",
        key=record.key,
        list_name=record.list_name,
        name=record.name,
        country=record.country,
        before=None,
        after=record,
    )


def _removed(record: Record) -> Change:
    return Change(
        kind="removed",
        key=record.key,
        list_name=record.list_name,
        name=record.name,
        country=record.country,
        before=record,
        after=None,
    )


@dataclass(frozen=True)
class _Evidence:
    same_name: bool
    shared_citations: int
    shared_addresses: int
    alias_link: bool
    same_start: bool

    @property
    def score(self) -> int:
        """0 when the pair is not the same entry; higher is more certain."""
        strong = self.same_name and (self.shared_citations > 0 or self.same_start)
        linked = self.shared_citations > 0 and (self.shared_addresses > 0 or self.alias_link)
        if not (strong or linked or (self.alias_link and self.shared_addresses > 0)):
            return 0
        return (
            4 * self.same_name
            + 2 * min(self.shared_citations, 3)
            + 2 * min(self.shared_addresses, 3)
            + 2 * self.alias_link
            + self.same_start
        )


def match_renames(removed: list[Record], added: list[Record]) -> list[tuple[Record, Record]]:
    """Pair removed and added records that are the same entry; ambiguous pairs are left alone."""
    scored = []
    for old, new in _candidate_pairs(removed, added):
        score = rename_evidence(old, new).score
        if score:
            scored.append((score, old, new))
    scored.sort(key=lambda item: (-item[0], item[1].key, item[2].key))
    contested = _contested(scored)
    pairs: list[tuple[Record, Record]] = []
    used: set[str] = set()
    for _, old, new in scored:
        sides = {f"old:{old.key}", f"new:{new.key}"}
        if sides & (used | contested):
            continue
        pairs.append((old, new))
        used |= sides
    return pairs


def _candidate_pairs(removed: list[Record], added: list[Record]) -> list[tuple[Record, Record]]:
    """Pairs that share a citation, a street address or a folded name or alias.

    A pair sharing none of these scores 0 (see ``_Evidence.score``), so only these
    are scored: a large churn stays linear instead of removed x added.
    """
    index: dict[str, list[Record]] = {}
    for new in added:
        for feature in _features(new):
            index.setdefault(feature, []).append(new)
    pairs: dict[tuple[str, str], tuple[Record, Record]] = {}
    for old in removed:
        for feature in _features(old):
            for new in index.get(feature, ()):
                if new.list_name == old.list_name:
                    pairs.setdefault((old.key, new.key), (old, new))
    return list(pairs.values())


def _features(record: Record) -> set[str]:
    names = {fold_name(record.name), *(fold_name(a) for a in record.get_tuple("aliases"))}
    return (
        {f"c:{c}" for c in record.get_tuple("citations")}
        | {f"a:{a}" for a in _street_addresses(record)}
        | {f"n:{n}" for n in names if n}
    )


def _contested(scored: list[tuple[int, Record, Record]]) -> set[str]:
    """Sides whose best score is shared by two candidates: too ambiguous to pair."""
    best: dict[str, int] = {}
    count: dict[str, int] = {}
    for score, old, new in scored:
        for side in (f"old:{old.key}", f"new:{new.key}"):
            if side not in best:
                best[side], count[side] = score, 1
            elif best[side] == score:
                count[side] += 1
    return {side for side, n in count.items() if n > 1}


def rename_evidence(old: Record, new: Record) -> _Evidence:
    """What links two records that might be one entry under a new name or country."""
    old_names = {fold_name(a) for a in old.get_tuple("aliases")}
    new_names = {fold_name(a) for a in new.get_tuple("aliases")}
    alias_link = (
        fold_name(old.name) in new_names
        or fold_name(new.name) in old_names
        or bool(old_names & new_names)
    )
    start = old.get_text("start_date")
    return _Evidence(
        same_name=fold_name(old.name) == fold_name(new.name),
        shared_citations=len(set(old.get_tuple("citations")) & set(new.get_tuple("citations"))),
        shared_addresses=len(_street_addresses(old) & _street_addresses(new)),
        alias_link=alias_link,
        same_start=bool(start) and start == new.get_text("start_date"),
    )


def _street_addresses(record: Record) -> set[str]:
    """Folded addresses, leaving out country-only ones ("CN") that many entries share."""
    return {fold_name(a) for a in record.get_tuple("addresses") if len(a.strip()) > 3}
