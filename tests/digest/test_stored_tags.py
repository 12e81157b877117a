"""A digest stores the sector tags it computes, and the next one reads them: the same
document, without running the tagger again (issue 17, "tag once")."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from monitor import enrich
from monitor.analysis.sectors import SectorTag, classify_record
from monitor.store import Store
from tests.digest.support import build_demo_db
from tests.support import invoke_db


def test_the_second_digest_reads_the_tags_the_first_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = build_demo_db(tmp_path / "demo.db")
    calls: list[str] = []

    def counting(*args: object, **kwargs: object) -> tuple[SectorTag, ...]:
        calls.append("tag")
        return classify_record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(enrich, "classify_record", counting)
    first = invoke_db(db, "digest", "--format", "json")
    assert first.exit_code == 0, first.output
    tagged = len(calls)
    assert tagged > 0
    with Store.open(db) as store:
        stored = store.db.one("SELECT count(*) AS n FROM sector_tags")
        assert stored is not None and stored["n"] == tagged
    second = invoke_db(db, "digest", "--format", "json")
    assert second.exit_code == 0, second.output
    assert gc.get_freeze_count() == 0  # the command froze what it loaded, then unfroze it
    assert len(calls) == tagged  # every tag read from the store
    strip = [line for line in first.output.splitlines() if '"generated_at"' not in line]
    assert strip == [line for line in second.output.splitlines() if '"generated_at"' not in line]
