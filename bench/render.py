"""Rendering cost: a change document of 1,000 SYNTHETIC changes in every format.

The changes come from the real parser and differ (synthetic CSL rows: 400 added,
300 modified, 300 removed), so the templates see the real shapes of data.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import measure
import synth

ROOT = Path(__file__).resolve().parent.parent


def synthetic_changes() -> list[object]:
    sys.path.insert(0, str(ROOT))
    from monitor.diff import diff_records
    from monitor.models import Provenance, StoredChange
    from monitor.sources import REGISTRY

    source = REGISTRY["us_csl_entity_list"]
    settings = source.info.default_settings()
    base = [synth.row(n) for n in range(1000)]
    after = [synth.row(n, 1) if n < 300 else r for n, r in enumerate(base) if not 300 <= n < 600]
    after += [synth.row(5000 + n) for n in range(400)]

    def parse(rows: list[dict[str, str]]) -> dict[str, object]:
        records = source.parse(synth.csv_bytes(rows), url="http://bench", settings=settings)
        return {r.key: r for r in records}

    at = datetime(2025, 9, 16, tzinfo=UTC)
    prov = Provenance("us_csl_entity_list", 1, "http://bench/consolidated.csv", "0" * 64, at)
    changes = diff_records(parse(base), parse(after))  # type: ignore[arg-type]
    return [StoredChange(i, c, prov) for i, c in enumerate(changes, start=1)]


def scenario(repeats: int) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from monitor.changeset import changes_document
    from monitor.digest.render import render_changes

    changes = synthetic_changes()
    lines = []
    build = []
    for _ in range(repeats):
        start = time.perf_counter()
        doc = changes_document(
            changes,  # type: ignore[arg-type]
            query={},
            generated_at=datetime.now(UTC),
            source_titles={"us_csl_entity_list": "CSL"},
        )
        build.append(time.perf_counter() - start)
    lines.append(
        f"| {len(changes):,} | build the change document, s | {measure.Stat.of(build).cells()} |"
    )
    for fmt in ("text", "markdown", "json"):
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            render_changes(doc, fmt)  # type: ignore[arg-type]
            timings.append(time.perf_counter() - start)
        lines.append(f"| {len(changes):,} | render {fmt}, s | {measure.Stat.of(timings).cells()} |")
    return lines
