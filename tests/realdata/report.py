"""The session-wide collector of fidelity results and the ``docs/fidelity.md`` writer.

Every real-data test (``tests/realdata/``) compares what ecmon reads from one real public
file with an independent reading of the same file (a truth file under ``truth/`` or a few
lines of ``csv``/``xml.etree`` in the test) and records what it compared here:

* ``FileRow``: per source and file, records expected vs found, fields compared vs right,
  false changes (changes reported where the truth says there are none), and the misses
  by name, so the report itself names every remaining miss.
* ``SectorRow``: per source and sector, true/false positives and false negatives of the
  sector tags against labels written by reading the texts (precision and recall).

At the end of a session that ran the whole folder (see ``conftest.py``), the rows are
rendered deterministically (sorted, no timestamps) into ``docs/fidelity.md``, which CI
checks is committed as produced. Where the real-data folder is absent, nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPORT = Path(__file__).resolve().parents[2] / "docs" / "fidelity.md"


@dataclass
class FileRow:
    """One comparison of ecmon's reading of a real file with the truth."""

    source: str  # ecmon source name, e.g. us_csl_entity_list
    file: str  # path inside the real-data folder
    check: str  # what was compared ("EL records, sample of 30")
    expected: int  # records the truth has
    found: int  # records ecmon gave that match the truth by identity
    fields_checked: int = 0
    fields_right: int = 0
    false_changes: int | None = None  # None: not a change test
    misses: list[str] = field(default_factory=list)  # every field / record that is wrong

    def miss(self, text: str) -> None:
        self.misses.append(text)


@dataclass
class SectorRow:
    """Sector tags of one source's real entries against labels read from the texts."""

    source: str
    sector: str
    true_positives: int
    false_positives: int
    false_negatives: int
    misses: list[str] = field(default_factory=list)


FILE_ROWS: list[FileRow] = []
SECTOR_ROWS: list[SectorRow] = []


def record(row: FileRow) -> FileRow:
    FILE_ROWS.append(row)
    return row


def record_sector(row: SectorRow) -> SectorRow:
    SECTOR_ROWS.append(row)
    return row


def compare(row: FileRow, what: str, expected: object, found: object) -> bool:
    """Count one field comparison on ``row``; a difference is named in its misses."""
    row.fields_checked += 1
    if expected == found:
        row.fields_right += 1
        return True
    row.miss(f"{what}: expected {_shown(expected)}, found {_shown(found)}")
    return False


def _shown(value: object) -> str:
    """A value as the report prints it; sets sorted, so the report is the same every run."""
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(repr(v) for v in sorted(value, key=repr)) + "}"
    return repr(value)


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _ratio(right: int, total: int) -> str:
    return "—" if total == 0 else f"{right}/{total} ({100 * right / total:.1f}%)"


def _fraction(top: int, bottom: int) -> str:
    return "—" if bottom == 0 else f"{top / bottom:.2f}"


def render(
    files: Iterable[FileRow], sectors: Iterable[SectorRow], failures: Iterable[str] = ()
) -> str:
    files = sorted(files, key=lambda r: (r.source, r.file, r.check))
    sectors = sorted(sectors, key=lambda r: (r.source, r.sector))
    out = [
        "# Fidelity report: ecmon on real public files",
        "",
        "Written by the real-data suite (`tests/realdata/`, run by `make check` and CI when the",
        "real-data folder `../shared/realdata` or `$ECMON_REALDATA` is present) at the end of a",
        "session that ran all of it; do not edit by hand. Each row compares what ecmon reads from",
        "one real file with an independent reading of the raw file (truth files in",
        "`tests/realdata/truth/`, or `csv`/`xml.etree` in the test), never with ecmon's output.",
        "*Found* counts the expected records ecmon gave; *fields* counts field values compared",
        "and right; *false changes* counts changes reported where the truth has none.",
        "",
        "## Records and fields, per source and file",
        "",
        "| source | file | check | records expected | found | fields right | false changes |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in files:
        false = "—" if r.false_changes is None else str(r.false_changes)
        out.append(
            f"| {r.source} | `{_cell(r.file)}` | {_cell(r.check)} | {r.expected} | {r.found} | "
            f"{_ratio(r.fields_right, r.fields_checked)} | {false} |"
        )
    if sectors:
        out += [
            "",
            "## Sector tags on real entries",
            "",
            "| source | sector | true positives | false positives | false negatives | "
            "precision | recall |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for s in sectors:
            tp, fp, fn = s.true_positives, s.false_positives, s.false_negatives
            out.append(
                f"| {s.source} | {_cell(s.sector)} | {tp} | {fp} | {fn} | "
                f"{_fraction(tp, tp + fp)} | {_fraction(tp, tp + fn)} |"
            )
    misses = [(r.source, r.file, r.check, m) for r in files for m in r.misses]
    misses += [(s.source, "", f"sector {s.sector}", m) for s in sectors for m in s.misses]
    out += ["", "## Remaining misses", ""]
    if misses:
        out += [f"- {src} `{_cell(f)}` ({_cell(c)}): {_cell(m)}" for src, f, c, m in misses]
    else:
        out.append("None: every compared record and field equals the independent reading.")
    failed = sorted(set(failures))
    if failed:
        out += ["", "## Failed tests", "", *[f"- `{nodeid}`" for nodeid in failed]]
    return "\n".join(out) + "\n"
