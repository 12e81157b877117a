"""The derived MFA countermeasure list (``mfa``), rebuilt party by party from every
accumulated decision, in publication order, as ``mofcom_lists`` rebuilds the UEL and ECL.

A decision lists each of its parties: a party not yet on the list becomes an ``active`` entry;
one listed before keeps its first listing and gains the later decision's measures and a
history step (the MFA has so far published no decision lifting one; a decision naming
earlier decisions with 解除/撤销/停止 would be the place to move entries, and none is held).

Record per entry: key ``"mfa:" + record_key(English name or Chinese name, country)`` (the same
identity after the list prefix as a MOFCOM UEL/ECL entry of the same party, which is how
``history`` and screening show the two as one entity), ``name`` the English name (Chinese if
none), ``country`` ISO-2 of the decision's target, fields ``name_zh``, ``name_en``,
``entity_type`` (organisation | person), ``role`` (a person's title as the list gives it),
``gender``, ``status``, ``status_since``, ``status_action``, ``listed_by``/``listed_on`` (the
first decision), ``history`` (``"YYYY-MM-DD <status> <action key>"``), ``measures`` (codes,
"; "-joined, union over the decisions) and ``measures_text`` (the measure texts of its group).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.actions import is_action
from monitor.keys import record_key
from monitor.models import Record

LIST_NAME = "mfa"


@dataclass
class _Entry:
    key: str
    name_zh: str
    name_en: str
    country: str
    entity_type: str
    role: str
    gender: str
    listed_by: str
    listed_on: str
    status: str = "active"
    status_since: str = ""
    status_action: str = ""
    history: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    measures_text: list[str] = field(default_factory=list)

    def record(self) -> Record:
        return Record(
            key=self.key,
            list_name=LIST_NAME,
            name=self.name_en or self.name_zh,
            country=self.country,
            fields={
                "name_zh": self.name_zh,
                "name_en": self.name_en,
                "entity_type": self.entity_type,
                "role": self.role,
                "gender": self.gender,
                "status": self.status,
                "status_since": self.status_since,
                "status_action": self.status_action,
                "listed_by": self.listed_by,
                "listed_on": self.listed_on,
                "history": tuple(self.history),
                "measures": "; ".join(self.measures),
                "measures_text": "; ".join(self.measures_text),
            },
        )


def derive_list(records: Mapping[str, Record]) -> list[Record]:
    entries: dict[str, _Entry] = {}
    decisions = sorted(
        (r for r in records.values() if is_action(r) and r.get_text("actor") == "MFA"),
        key=lambda a: (a.get_text("published"), a.meta.get("published_time", ""), a.key),
    )
    for decision in decisions:
        _apply(entries, decision)
    return [entry.record() for entry in entries.values()]


def _apply(entries: dict[str, _Entry], decision: Record) -> None:
    when = (decision.get_text("effective") or decision.get_text("published"))[:10]
    columns = zip(
        decision.get_tuple("parties_en"),
        decision.get_tuple("parties_zh"),
        decision.get_tuple("party_countries"),
        decision.get_tuple("party_types"),
        decision.get_tuple("party_roles"),
        decision.get_tuple("party_genders"),
        decision.get_tuple("party_measures"),
        strict=True,
    )
    texts = _group_texts(decision)
    for en, zh, country, kind, role, gender, measures in columns:
        key = f"{LIST_NAME}:{record_key(en or zh, country)}"
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = _Entry(
                key, zh, en, country, kind, role, gender, decision.key, when
            )
        elif role and role not in entry.role.split("; "):
            entry.role = f"{entry.role}; {role}" if entry.role else role
        entry.status, entry.status_since, entry.status_action = "active", when, decision.key
        entry.history.append(f"{when} active {decision.key}")
        entry.measures.extend(m for m in measures.split("; ") if m and m not in entry.measures)
        entry.measures_text.extend(t for t in texts.get(kind, ()) if t not in entry.measures_text)


def _group_texts(decision: Record) -> dict[str, tuple[str, ...]]:
    """The measure texts of each group of a decision (``measure_kinds`` is aligned with
    ``measures``; "all" is every party's)."""
    out: dict[str, list[str]] = {"organisation": [], "person": []}
    for kind, text in zip(
        decision.get_tuple("measure_kinds"), decision.get_tuple("measures"), strict=True
    ):
        for target in out if kind == "all" else (kind,):
            out.setdefault(target, []).append(text)
    return {kind: tuple(texts) for kind, texts in out.items()}
