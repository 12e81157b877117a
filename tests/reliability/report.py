"""The session-wide collector of reliability results and the ``docs/reliability.md`` writer.

Every reliability test appends one ``Row`` per scenario it tried (what was injected, what
was expected, what was observed, and the counts that must stay zero). At the end of a
session that ran the whole ``tests/reliability`` folder, ``conftest.py`` renders the rows
into ``docs/reliability.md``. The rendering is deterministic (rows sorted by section, source
and scenario; no timestamps), so re-running the suite gives the same file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPORT = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"

SECTIONS = (
    ("faults", "Fault injection (per source, against a real HTTP server on 127.0.0.1)"),
    ("crash", "Crash safety (SIGKILL during a run)"),
    ("concurrency", "Concurrency (one database, several processes)"),
    ("stalls", "Stalling servers and compression bombs (raw sockets on 127.0.0.1)"),
    ("daemon", "The daemon under a stalling source"),
    ("config", "Configuration values out of range"),
    ("gate", "The sanity gate: publications that look broken are held, then reviewed"),
    ("disk", "A database that cannot be written (full disk, simulated at the store)"),
    ("delivery", "Delivery faults (SMTP on 127.0.0.1)"),
    ("hostile", "Hostile input"),
    ("security", "Security defaults"),
)


@dataclass
class Row:
    """One scenario and what happened."""

    section: str
    source: str  # a source name, or "" where the scenario is not about one source
    scenario: str
    injected: str
    expected: str
    observed: str
    passed: bool = False
    skipped: bool = False  # not applicable in this environment (the reason is in observed)
    false_changes: int = 0  # changes recorded that a clean run would not have recorded
    missed_or_doubled: int = 0  # real changes not reported exactly once after recovery
    lost: int = 0  # digests (messages) lost
    duplicated: int = 0  # digests accepted by the server more than once
    state_intact: bool | None = None  # last accepted state unchanged (None: not applicable)
    order: int = 0  # position in its table (the scenario table's order)
    extra: dict[str, str] = field(default_factory=dict)


ROWS: list[Row] = []


def record(row: Row) -> Row:
    """Add ``row`` to the session's results (call ``row.passed = True`` once checked)."""
    row.order = len([r for r in ROWS if (r.section, r.source) == (row.section, row.source)])
    ROWS.append(row)
    return row


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _yes(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "**NO**")


def render(rows: Iterable[Row], failures: Iterable[str] = ()) -> str:
    """The whole report as Markdown."""
    rows = sorted(
        rows, key=lambda r: ([s for s, _ in SECTIONS].index(r.section), r.source, r.order)
    )
    by_section: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_section[row.section].append(row)
    out = [
        "# Reliability report",
        "",
        "Written by the reliability suite (`tests/reliability/`, run by `make check` and CI) at",
        "the end of a session that ran all of it; do not edit by hand. Each row is one scenario:",
        "what was injected, the outcome the suite expects, and what it observed. A *false change*",
        "is a change recorded that a clean run of the same publication would not record; after",
        "every fault scenario a clean run follows, and *missed/doubled* counts real changes not",
        "then reported exactly once.",
        "",
        "## Summary",
        "",
        *_summary(rows),
    ]
    for section, title in SECTIONS:
        if by_section.get(section):
            out += ["", f"## {title}", "", *_table(section, by_section[section])]
    failed = sorted(set(failures))
    if failed:
        out += ["", "## Failed tests", "", *[f"- `{nodeid}`" for nodeid in failed]]
    return "\n".join(out) + "\n"


def _summary(rows: list[Row]) -> list[str]:
    faults = [r for r in rows if r.section == "faults"]
    lines = [
        "| source | scenarios tried | faults survived | false changes | missed/doubled "
        "changes | accepted state intact after every failure |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for source in sorted({r.source for r in faults}):
        own = [r for r in faults if r.source == source]
        intact = all(r.state_intact is not False for r in own)
        lines.append(
            f"| {source} | {len(own)} | {sum(r.passed for r in own)} | "
            f"{sum(r.false_changes for r in own)} | {sum(r.missed_or_doubled for r in own)} | "
            f"{_yes(intact)} |"
        )
    lines.append(
        f"| **all sources** | {len(faults)} | {sum(r.passed for r in faults)} | "
        f"{sum(r.false_changes for r in faults)} | {sum(r.missed_or_doubled for r in faults)} | "
        f"{_yes(all(r.state_intact is not False for r in faults))} |"
    )
    lines += ["", *_promises(rows)]
    return lines


def _promises(rows: list[Row]) -> list[str]:
    """Per promise (one section each): scenarios tried and broken, and the counts that must
    stay zero. A skipped scenario is neither tried nor broken; it is counted apart."""
    lines = [
        "| promise | scenarios tried | broken | skipped | false changes "
        "| missed/doubled | messages lost | sent twice |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    tried_all = broken_all = 0
    for section, title in SECTIONS:
        own = [r for r in rows if r.section == section]
        if not own:
            continue
        tried = [r for r in own if not r.skipped]
        broken = sum(not r.passed for r in tried)
        tried_all, broken_all = tried_all + len(tried), broken_all + broken
        lines.append(
            f"| {title.split(' (')[0]} | {len(tried)} | {broken} | {len(own) - len(tried)} | "
            f"{sum(r.false_changes for r in tried)} | {sum(r.missed_or_doubled for r in tried)} | "
            f"{sum(r.lost for r in tried)} | {sum(r.duplicated for r in tried)} |"
        )
    lines.append(f"| **all promises** | {tried_all} | {broken_all} | | | | | |")
    return lines


def _table(section: str, rows: list[Row]) -> list[str]:
    if section == "faults":
        lines = [
            "| source | scenario | injected | expected | observed | false changes | "
            "missed/doubled | state intact | result |",
            "|---|---|---|---|---|---:|---:|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r.source} | {_cell(r.scenario)} | {_cell(r.injected)} | "
                f"{_cell(r.expected)} | {_cell(r.observed)} | {r.false_changes} | "
                f"{r.missed_or_doubled} | {_yes(r.state_intact)} | {_result(r)} |"
            )
        return lines
    if section == "delivery":
        lines = [
            "| scenario | injected | expected | observed | lost | sent twice | result |",
            "|---|---|---|---|---:|---:|---|",
        ]
        for r in rows:
            lines.append(
                f"| {_cell(r.scenario)} | {_cell(r.injected)} | {_cell(r.expected)} | "
                f"{_cell(r.observed)} | {r.lost} | {r.duplicated} | {_result(r)} |"
            )
        return lines
    lines = [
        "| source | scenario | injected | expected | observed | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.source or '—'} | {_cell(r.scenario)} | {_cell(r.injected)} | "
            f"{_cell(r.expected)} | {_cell(r.observed)} | {_result(r)} |"
        )
    return lines


def _result(row: Row) -> str:
    if row.skipped:
        return "skipped"
    return "pass" if row.passed else "**FAIL**"
