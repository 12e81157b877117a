"""``ecmon diff``'s filters on a change document: by the list's own date
(``--effective-since/--effective-until``, beside ``--since``, which is detection time), and by
list, country and sector (``--list/--country/--sector``, as a recipient's filter reads them).
Pure.

A change whose list states no date (``list_date`` null) is left out when a date bound is
given: nothing says it falls inside. The summary and the sources are recounted, so the
document stays true to what it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.changeset import ChangeDict, ChangesDocument
from monitor.digest.model import filter_document


@dataclass(frozen=True)
class Narrowing:
    effective_since: str = ""  # ISO day, inclusive
    effective_until: str = ""  # ISO day, inclusive
    lists: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()

    def query(self) -> dict[str, object]:
        """The options given, for the document's ``query``."""
        given: dict[str, object] = {
            "effective_since": self.effective_since,
            "effective_until": self.effective_until,
            "lists": list(self.lists),
            "countries": list(self.countries),
            "sectors": list(self.sectors),
        }
        return {k: v for k, v in given.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.query())


def narrow_document(doc: ChangesDocument, narrowing: Narrowing) -> ChangesDocument:
    """``doc`` with only the changes ``narrowing`` keeps (see the module docstring)."""
    if not narrowing.active:
        return doc
    if narrowing.lists or narrowing.countries or narrowing.sectors:
        kept = filter_document(
            doc, lists=narrowing.lists, countries=narrowing.countries, sectors=narrowing.sectors
        )
        doc = {**doc, "changes": kept["changes"]}  # a diff document carries no links
    changes = [c for c in doc["changes"] if _within(c, narrowing)]
    return {
        **doc,
        "query": {**doc["query"], **narrowing.query()},
        "summary": {
            "added": _count(changes, "added"),
            "modified": _count(changes, "modified"),
            "removed": _count(changes, "removed"),
        },
        "sources": [s for s in doc["sources"] if any(c["source"] == s["name"] for c in changes)],
        "changes": changes,
    }


def _within(change: ChangeDict, narrowing: Narrowing) -> bool:
    if not (narrowing.effective_since or narrowing.effective_until):
        return True
    stated = change["list_date"]
    if stated is None:
        return False
    day = stated["date"][:10]
    return (not narrowing.effective_since or day >= narrowing.effective_since) and (
        not narrowing.effective_until or day <= narrowing.effective_until
    )


def _count(changes: Iterable[ChangeDict], kind: str) -> int:
    return sum(1 for c in changes if c["kind"] == kind)
