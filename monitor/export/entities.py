"""Stored versions of one list -> one exported entity per key, with its provenance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.models import Record
from monitor.store.exports import ListedVersion

# Which source speaks first when two hold the same entity: the list file before the
# codified text, because it carries dates and programs per row.
SOURCE_ORDER = ("us_csl_entity_list", "us_ecfr_entity_list")

LISTS = {
    "el": "BIS Entity List",
    "meu": "BIS Military End User List",
    "uvl": "BIS Unverified List",
    "dpl": "BIS Denied Persons List",
    "ecl": "MOFCOM Export Control Control List (出口管制管控名单)",
    "uel": "MOFCOM Unreliable Entity List (不可靠实体清单)",
    "mfa": "MFA countermeasure list (反制清单)",
}


@dataclass(frozen=True)
class ExportedEntity:
    """One entity of a list as exported: the first source's record, and who reported it."""

    record: Record
    reported_by: tuple[str, ...]
    version: ListedVersion  # provenance: the first source's version

    def text(self, *names: str) -> str:
        """The first non-empty of the text fields ``names``."""
        for name in names:
            value = self.record.fields.get(name)
            if isinstance(value, str) and value:
                return value
        return ""

    def values(self, *names: str) -> tuple[str, ...]:
        """The union of the multi-valued (or single) fields ``names``, in order."""
        seen: dict[str, None] = {}
        for name in names:
            for value in self.record.get_tuple(name):
                if value:
                    seen.setdefault(value, None)
        return tuple(seen)

    @property
    def list_date(self) -> str:
        """The date the list states for the entry (CSL start date, MOFCOM listing date)."""
        return self.text("start_date", "listed_on")

    @property
    def status(self) -> str:
        return self.text("status") or "active"

    @property
    def names_other(self) -> tuple[str, ...]:
        """Names in other languages or forms besides ``name`` and the aliases."""
        own = self.record.name
        return tuple(n for n in self.values("name_zh", "name_en") if n != own)


def entities(versions: Iterable[ListedVersion]) -> list[ExportedEntity]:
    """One entity per key; the first source in ``SOURCE_ORDER`` (else by name) speaks."""
    by_key: dict[str, list[ListedVersion]] = {}
    for version in versions:
        by_key.setdefault(version.record.key, []).append(version)
    return [_entity(group) for _key, group in sorted(by_key.items())]


def _entity(group: Sequence[ListedVersion]) -> ExportedEntity:
    ranked = sorted(group, key=lambda v: (_rank(v.source), v.source))
    first = ranked[0]
    return ExportedEntity(
        record=first.record,
        reported_by=tuple(dict.fromkeys(v.source for v in ranked)),
        version=first,
    )


def _rank(source: str) -> int:
    return SOURCE_ORDER.index(source) if source in SOURCE_ORDER else len(SOURCE_ORDER)
