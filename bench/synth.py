"""SYNTHETIC CSL-format data for benchmarks (never used by the demo or the tests).

Every row is made up: names "SYNTHETIC ENTITY nnnnnn ...", remark "SYNTHETIC
BENCHMARK ROW". Only the layout is real: the 29-column header of the ITA
Consolidated Screening List (SOURCES.md section 1), every field quoted.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

# The real 29-column CSL header (SOURCES.md section 1).
HEADER = [
    "_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
    "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage",
    "vessel_flag", "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships",
    "dates_of_birth", "nationalities", "places_of_birth", "source_information_url", "ids",
]  # fmt: skip
EL = "Entity List (EL) - Bureau of Industry and Security"
COUNTRIES = ["CN", "HK", "RU", "IR", "AE", "TR", "SG", "PK", "GB", "DE"]


def row(n: int, variant: int = 0) -> dict[str, str]:
    """Synthetic entity ``n``; ``variant`` > 0 appends a citation (a modification)."""
    country = COUNTRIES[n % len(COUNTRIES)]
    cells = dict.fromkeys(HEADER, "")
    cells.update(
        _id=f"{n:056x}",
        source=EL,
        name=f"SYNTHETIC ENTITY {n:06d} Technology Co., Ltd.",
        addresses=f"No. {n} Synthetic Road, Synthetic City, {country}",
        federal_register_notice=f"{80 + n % 10} FR {10000 + n % 50000}"
        + "".join(f"; 90 FR {40000 + v}" for v in range(1, variant + 1)),
        start_date=f"20{10 + n % 15:02d}-0{1 + n % 9}-1{n % 9}",
        license_requirement="For all items subject to the EAR. (See § 744.11 of the EAR)",
        license_policy="Presumption of denial.",
        remarks="SYNTHETIC BENCHMARK ROW",
        alt_names=f"SYNTHETIC ALIAS {n:06d}; and SYN-{n:06d}",
        source_list_url="https://www.bis.gov/regulations/ear/744#supplement-4-744",
    )
    return cells


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def churned(base: list[dict[str, str]], size: int, churn: float, seed: int) -> list[dict[str, str]]:
    """A copy with ``churn`` of the rows changed: a third each added, removed, modified."""
    rng = random.Random(seed)
    step = max(1, int(size * churn) // 3)
    picked = rng.sample(range(size), 2 * step)
    removed, modified = set(picked[:step]), set(picked[step:])
    after = [row(n, 1) if n in modified else r for n, r in enumerate(base) if n not in removed]
    return after + [row(size + i) for i in range(step)]


def write_pair(size: int, folder: Path, churn: float = 0.01) -> None:
    """``base.csv`` with ``size`` rows and ``churn.csv`` with 1% of them changed."""
    base = [row(n) for n in range(size)]
    (folder / "base.csv").write_bytes(csv_bytes(base))
    (folder / "churn.csv").write_bytes(csv_bytes(churned(base, size, churn, seed=size)))


def write_pair_in_child(size: int, folder: Path) -> None:
    """``write_pair`` in a child process, so the caller's memory stays small.

    On Linux a forked child starts with its parent's peak RSS; a benchmark parent
    that built 200,000 rows itself would inflate every later child's figure.
    """
    import subprocess
    import sys

    subprocess.run([sys.executable, __file__, str(size), str(folder)], check=True)


if __name__ == "__main__":
    import sys

    write_pair(int(sys.argv[1]), Path(sys.argv[2]))
