"""The derived lists: the unreliable entity list (``uel``) and the export control control list
(``ecl``) rebuilt, entity by entity, from every accumulated MOFCOM action.

Actions are replayed in publication order (same day: listings before state changes, then by
key). A listing (``ecl_addition``, ``uel_addition``) adds or re-activates one entry per party;
a ``uel_measure`` adds its measure to the entries it names (creating them if the listing
notice is not held); a state change (``verbs`` of an action, e.g. a spokesperson answer)
moves every entry listed by the notice it names: ``suspension``/``continued_suspension`` →
``suspended``, ``stop`` → ``stopped``, ``removal`` → ``removed``; a ``removal`` naming
parties moves those. A state change naming a notice we do not hold changes nothing.

Record per entry: key ``"<list>:" + record_key(English name or Chinese name, country)`` (the
same company on both lists is two records), ``name`` the English name (Chinese if none),
``country`` ISO-2, fields ``name_zh``, ``name_en``, ``status`` (active | suspended | stopped |
removed), ``status_since`` (ISO date the status was last set), ``status_action`` (key of the
action that set it), ``listed_by``/``listed_on`` (the first listing), ``history``
(``"YYYY-MM-DD <status> <action key>"`` per step) and ``measures`` (the listing's measures,
"; "-joined).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.actions import is_action
from monitor.keys import record_key
from monitor.models import Record

LIST_OF_KIND = {"ecl_addition": "ecl", "uel_addition": "uel", "uel_measure": "uel"}
STATUS_OF_VERB = {
    "suspension": "suspended",
    "continued_suspension": "suspended",
    "stop": "stopped",
    "removal": "removed",
}
_LIST_WORDS = {"uel": "不可靠实体清单", "ecl": "出口管制管控名单"}


@dataclass
class _Entry:
    list_name: str
    key: str
    name_zh: str
    name_en: str
    country: str
    listed_by: str
    listed_on: str
    status: str = "active"
    status_since: str = ""
    status_action: str = ""
    history: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    actions: set[str] = field(default_factory=set)

    def move(self, status: str, when: str, action: str) -> None:
        self.status, self.status_since, self.status_action = status, when, action
        self.history.append(f"{when} {status} {action}")
        self.actions.add(action)

    def record(self) -> Record:
        return Record(
            key=self.key,
            list_name=self.list_name,
            name=self.name_en or self.name_zh,
            country=self.country,
            fields={
                "name_zh": self.name_zh,
                "name_en": self.name_en,
                "status": self.status,
                "status_since": self.status_since,
                "status_action": self.status_action,
                "listed_by": self.listed_by,
                "listed_on": self.listed_on,
                "history": tuple(self.history),
                "measures": "; ".join(self.measures),
            },
        )


def derive_lists(records: Mapping[str, Record]) -> list[Record]:
    entries: dict[str, _Entry] = {}
    actions = sorted(
        (r for r in records.values() if is_action(r) and r.country == "CN"), key=_order
    )
    for action in actions:
        _apply(entries, action)
    return [entry.record() for entry in entries.values()]


def _order(action: Record) -> tuple[str, int, str, str]:
    listing = action.get_text("kind") in LIST_OF_KIND
    return (
        action.get_text("published"),
        0 if listing else 1,
        action.meta.get("published_time", ""),
        action.key,
    )


def _when(action: Record) -> str:
    return (action.get_text("effective") or action.get_text("published"))[:10]


def _apply(entries: dict[str, _Entry], action: Record) -> None:
    kind, when = action.get_text("kind"), _when(action)
    list_name = LIST_OF_KIND.get(kind)
    if list_name is not None:
        for entry in _named(entries, action, list_name, create=True):
            if kind != "uel_measure" or entry.listed_by == action.key:
                entry.move("active", when, action.key)
            else:
                entry.history.append(f"{when} {entry.status} {action.key}")
                entry.actions.add(action.key)
            entry.measures.extend(
                m for m in action.get_tuple("measures") if m not in entry.measures
            )
    for code in action.get_tuple("verbs"):
        verb, _, target = code.partition(":")
        for entry in entries.values():
            if target in entry.actions:
                entry.move(STATUS_OF_VERB[verb], when, action.key)
    if kind == "removal" and not action.get_tuple("verbs"):
        for list_name, word in _LIST_WORDS.items():
            if word in action.get_text("body"):
                for entry in _named(entries, action, list_name, create=False):
                    entry.move("removed", when, action.key)


def _named(
    entries: dict[str, _Entry], action: Record, list_name: str, *, create: bool
) -> list[_Entry]:
    """The entries of ``list_name`` an action names (new ones created when ``create``)."""
    found = []
    names = zip(
        action.get_tuple("parties_en"),
        action.get_tuple("parties_zh"),
        action.get_tuple("party_countries"),
        strict=True,
    )
    for en, zh, country in names:
        key = f"{list_name}:{record_key(en or zh, country)}"
        if key not in entries and create:
            entries[key] = _Entry(list_name, key, zh, en, country, action.key, _when(action))
        if key in entries:
            found.append(entries[key])
    return found
