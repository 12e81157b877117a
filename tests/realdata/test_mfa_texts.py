"""The 14 real MFA countermeasure decisions (ammitto/data-cn archive) read by ecmon, against
``truth/mfa_texts.toml`` (written by hand from the raw texts; see its header).

Each text is rendered into the fixture builder's SYNTHETIC page chrome
(``fixtures/cn_mfa_countermeasures/make_mirror.py``, via ``tests/sources/mfa/pages.py``)
and read by the real page and decision parsers, as a fetched page would be. Per text: the
order (外交部令, its year), dates, legal basis, stated trigger, the target's country, the
parties of the 反制清单 (zh, en, kind, gender, role: the count equal to the list's), the
measures per group and per party, stated vs parsed count. After all texts: the derived
``mfa`` list.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from monitor.models import Record
from monitor.sources.mfa.lists import derive_list
from tests.realdata import report
from tests.realdata.conftest import REALDATA, realdata_file, truth
from tests.sources.mfa.pages import parse

FOLDER = "mfa_texts"
SOURCE = "cn_mfa_countermeasures"
TRUTH = truth("mfa_texts.toml")
NOTE = "real text from ../shared/realdata/mfa_texts (see tests/realdata/test_mfa_texts.py)"


@cache
def action(name: str) -> Record:
    return parse(REALDATA / FOLDER / name, NOTE)


def files() -> list[str]:
    return sorted(TRUTH["files"])


def parties(entry: dict[str, Any]) -> list[tuple[str, ...]]:
    """(zh, en, kind, gender, role) per party, verbatim."""
    return [tuple(part.strip() for part in p.split("|")) for p in entry["parties"]]


def folded(party: tuple[str, ...]) -> tuple[str, ...]:
    """White space as ecmon writes it: every run (EN SPACE included) one space."""
    return tuple(" ".join(part.split()) for part in party)


def expected(entry: dict[str, Any]) -> dict[str, object]:
    order = entry["order"]
    listed = [folded(p) for p in parties(entry)]
    groups = entry["codes"]
    return {
        "key": f"cn:外交部令{entry['order_year']}年第{order}号"
        if order
        else f"cn:{entry['published']}/{entry['title']}",
        "order as published": f"中华人民共和国外交部令第{order}号" if order else "",
        "title": entry["title"],
        "url": entry["url"],
        "published": entry["published"],
        "published time": entry["published_time"],
        "effective": entry["effective"],
        "kind": "countermeasure",
        "legal basis": entry["legal_basis"],
        "triggers": entry["triggers"],
        "trigger dates": entry["trigger_dates"],
        "countries": None
        if entry.get("country_basis") == "inferred"
        else [entry["country"]] * len(listed),
        "stated count": str(entry.get("stated_count", "")),
        "parsed count": str(len(listed)),
        "parties (zh, en, kind, gender, role)": listed,
        "measures per group": {g: entry["measures"][g] for g in sorted(entry["measures"])},
        "codes per group": {g: groups[g] for g in sorted(groups)},
        "codes per party": [groups.get(p[2], groups.get("all")) for p in listed],
        "review": [],
    }


def found(record: Record, entry: dict[str, Any]) -> dict[str, object]:
    measures: dict[str, list[str]] = {}
    for kind, text in zip(
        record.get_tuple("measure_kinds"), record.get_tuple("measures"), strict=True
    ):
        measures.setdefault(kind, []).append(text)
    codes = {
        g.partition(": ")[0]: g.partition(": ")[2].split("; ")
        for g in record.get_tuple("measure_groups")
    }
    return {
        "key": record.key,
        "order as published": record.meta.get("instrument_as_published", ""),
        "title": record.get_text("title"),
        "url": record.get_text("url"),
        "published": record.get_text("published"),
        "published time": record.meta.get("published_time", ""),
        "effective": record.get_text("effective"),
        "kind": record.get_text("kind"),
        "legal basis": list(record.get_tuple("legal_basis")),
        "triggers": list(record.get_tuple("triggers")),
        "trigger dates": list(record.get_tuple("trigger_dates")),
        "countries": None
        if entry.get("country_basis") == "inferred"
        else list(record.get_tuple("party_countries")),
        "stated count": record.get_text("stated_count"),
        "parsed count": record.get_text("parsed_count"),
        "parties (zh, en, kind, gender, role)": list(
            zip(
                record.get_tuple("parties_zh"),
                record.get_tuple("parties_en"),
                record.get_tuple("party_types"),
                record.get_tuple("party_genders"),
                record.get_tuple("party_roles"),
                strict=True,
            )
        ),
        "measures per group": {g: measures[g] for g in sorted(measures)},
        "codes per group": {g: codes[g] for g in sorted(codes)},
        "codes per party": [m.split("; ") for m in record.get_tuple("party_measures")],
        "review": list(record.get_tuple("review")),
    }


def test_the_truth_describes_every_text_and_quotes_it_verbatim() -> None:
    realdata_file(f"{FOLDER}/{files()[0]}")
    assert files() == sorted(p.name for p in (REALDATA / FOLDER).glob("*.md"))
    for name in files():
        text = realdata_file(f"{FOLDER}/{name}").read_text("utf-8")
        entry = TRUTH["files"][name]
        assert text.splitlines()[0] == entry["url"] and entry["title"] in text, name
        for zh, en, _kind, _gender, role in parties(entry):
            assert zh in text and en in text, (name, zh, en)
            # a role is written verbatim, or (a group line) as "“X”" + its role word
            assert role in text or re.sub("^“[^”]+”", "", role) in text, (name, role)
        for texts in entry["measures"].values():
            for item in texts:
                assert item in text, (name, item)
        for basis in entry["legal_basis"]:
            assert basis in text, (name, basis)


@pytest.mark.parametrize("name", files())
def test_each_decision_reads_as_the_truth_says(name: str) -> None:
    realdata_file(f"{FOLDER}/{name}")
    entry = TRUTH["files"][name]
    want, got = expected(entry), found(action(name), entry)
    listed = [folded(p) for p in parties(entry)]
    row = report.record(
        report.FileRow(
            SOURCE,
            f"{FOLDER}/{name}",
            "order, dates, basis, trigger, 反制清单 parties, measures per group",
            len(listed),
            len(
                [
                    party
                    for party in listed
                    if party in got["parties (zh, en, kind, gender, role)"]  # type: ignore[operator]
                ]
            ),
        )
    )
    for what, value in want.items():
        report.compare(row, what, value, got[what])
    assert row.misses == []


def test_the_derived_list_after_all_decisions() -> None:
    realdata_file(f"{FOLDER}/{files()[0]}")
    actions = {action(name).key: action(name) for name in files()}
    assert len(actions) == len(files())  # every decision is one action, keys distinct
    derived = derive_list(actions)
    want = TRUTH["derived"]
    row = report.record(
        report.FileRow(
            SOURCE, f"{FOLDER}/ (all {len(files())} texts)", "derived mfa list", want["entries"], 0
        )
    )
    report.compare(row, "entries", want["entries"], len(derived))
    report.compare(
        row, "active", want["active"], sum(1 for e in derived if e.get_text("status") == "active")
    )
    for kind, label in (("person", "persons"), ("organisation", "organisations")):
        count = sum(1 for e in derived if e.get_text("entity_type") == kind)
        report.compare(row, label, want[label], count)
    by_name = {(e.get_text("name_zh"), e.get_text("name_en")): e for e in derived}
    for name in files():
        entry = TRUTH["files"][name]
        groups = entry["codes"]
        for zh, en, kind, _gender, role in map(folded, parties(entry)):
            record = by_name.get((zh, en))
            if record is None:
                row.miss(f"{zh} ({en}) not on the derived list")
                continue
            row.found += 1
            report.compare(row, f"{zh} listed_by", action(name).key, record.get_text("listed_by"))
            report.compare(row, f"{zh} listed_on", entry["effective"], record.get_text("listed_on"))
            report.compare(row, f"{zh} role", role, record.get_text("role"))
            report.compare(row, f"{zh} type", kind, record.get_text("entity_type"))
            codes = groups.get(kind, groups.get("all"))
            report.compare(row, f"{zh} measures", "; ".join(codes), record.get_text("measures"))
    assert row.misses == []
