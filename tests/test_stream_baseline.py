"""Stream big files (issue 17, item 5): a baseline read row by row is written in batches
as it is read, inside one transaction, so only one batch of Records is alive at a time;
the stored state is the whole file's, a bad row or a failed count gate leaves nothing.

The CSV files here are SYNTHETIC: made-up entities ("SYNTHETIC ENTITY nnnn") in the real
29-column CSL layout.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import sqlite3
import threading
import weakref
import zlib
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from monitor import incremental, review
from monitor.config import Settings, SourceSettings
from monitor.http import FetchResult, HttpClient, Validators
from monitor.incremental import read_delta
from monitor.models import Record, RowIndex, RunOutcome, RunSummary
from monitor.pipeline import RunContext, ingest
from monitor.sources.base import Row
from monitor.sources.csl.source import CURRENT_HEADER, CslEntityListSource, CsvRowReader
from monitor.store import Store, write
from monitor.store import review as held_store
from tests.support import CSL, FAST_HTTP, csl_settings

URL = "http://127.0.0.1/consolidated.csv"
EL = "Entity List (EL) - Bureau of Industry and Security"
BATCH = 50


def synthetic_row(n: int, *, name: int | None = None, notice: str = "") -> list[str]:
    """Entity ``n`` (named as entity ``name`` when given: a second row of that entity)."""
    cells = dict.fromkeys(CURRENT_HEADER, "")
    who = n if name is None else name
    cells.update(
        _id=f"row-{n}",
        source=EL,
        name=f"SYNTHETIC ENTITY {who:04d} Co., Ltd.",
        addresses=f"No. {who} Synthetic Road, Synthetic City, CN",
        federal_register_notice=notice or f"85 FR {1000 + n}",
        start_date="2020-01-0" + str(1 + n % 9),
        alt_names=f"SYNTHETIC ALIAS {n:04d}",
    )
    return [cells[c] for c in CURRENT_HEADER]


def csv_file(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CURRENT_HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode()


class CountingReader(CsvRowReader):
    """The CSV reader, counting the Records it made that are still alive (a finalizer
    per Record: it counts until nothing holds it any more)."""

    def __init__(self, inner: CsvRowReader) -> None:
        super().__init__(inner.raw, inner.url, inner.wanted)
        self.alive = 0
        self.peak = 0

    def record(self, row: Row) -> Record:
        made = super().record(row)
        self.alive += 1
        self.peak = max(self.peak, self.alive)
        weakref.finalize(made, self._gone)
        return made

    def _gone(self) -> None:
        self.alive -= 1


class CountingSource(CslEntityListSource):
    """The CSL source whose row reader counts the Records alive at once."""

    def __init__(self) -> None:
        self.readers: list[CountingReader] = []

    def row_reader(
        self, raw: bytes, *, url: str, settings: SourceSettings
    ) -> CountingReader | None:
        inner = super().row_reader(raw, url=url, settings=settings)
        if inner is None:
            return None
        self.readers.append(CountingReader(inner))
        return self.readers[-1]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(incremental, "BATCH_ROWS", BATCH)


def run(store: Store, raw: bytes, settings: Settings | None = None, *, hour: int = 0) -> RunSummary:
    settings = settings or csl_settings(store.path, URL)
    result = FetchResult(URL, 200, False, raw, Validators())
    started = datetime(2026, 1, 1, hour, tzinfo=UTC)
    with HttpClient(FAST_HTTP) as client:
        return ingest(RunContext(settings, store, client), SOURCE, result, started, {})


SOURCE = CountingSource()


def whole(raw: bytes) -> dict[str, Record]:
    """The full parse, by key."""
    settings = csl_settings(Path("unused.db"), URL).source(CSL)
    return {r.key: r for r in CslEntityListSource().parse(raw, url=URL, settings=settings)}


def table_count(store: Store, table: str) -> int:
    with sqlite3.connect(store.path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_baseline_holds_one_batch_of_records_at_a_time(tmp_path: Path) -> None:
    raw = csv_file([synthetic_row(n) for n in range(1000)])
    with Store.open(tmp_path / "ecmon.db") as store:
        summary = run(store, raw)
        assert summary.outcome is RunOutcome.BASELINE, summary
        assert summary.record_count == 1000
        assert SOURCE.readers[-1].peak <= BATCH  # never more than one batch alive
        assert store.accepted_records(CSL) == whole(raw)
        # The row index a churn run reads: one row per record, all of them.
        index = store.row_index(CSL)
        assert len(index.keys) == 1000 and not index.others
    # The measure can fail: reading the same file whole keeps every Record alive.
    control = CountingReader(_reader(raw))
    read_delta(control, RowIndex())
    assert control.peak == 1000


def _reader(raw: bytes) -> CsvRowReader:
    settings = csl_settings(Path("unused.db"), URL).source(CSL)
    found = CslEntityListSource().row_reader(raw, url=URL, settings=settings)
    assert found is not None
    return found


def test_a_key_met_again_in_a_later_batch_is_merged_from_all_its_rows(tmp_path: Path) -> None:
    rows = [synthetic_row(n) for n in range(3 * BATCH)]
    # Entity 7's second and third rows, two batches later, one of them twice byte for byte.
    again = synthetic_row(3 * BATCH, name=7, notice="90 FR 5")
    rows[2 * BATCH + 3 : 2 * BATCH + 3] = [again, again]
    rows.insert(BATCH + 1, synthetic_row(3 * BATCH + 1, name=7, notice="91 FR 6"))
    raw = csv_file(rows)
    with Store.open(tmp_path / "ecmon.db") as store:
        summary = run(store, raw)
        assert summary.outcome is RunOutcome.BASELINE, summary
        expected = whole(raw)
        stored = store.accepted_records(CSL)
        assert stored == expected
        merged = [r for r in stored.values() if r.meta.get("merged_rows")]
        assert [r.meta["merged_rows"] for r in merged] == ["4"]
        # The index counts the identical row twice, as a whole read does.
        base = read_delta(_reader(raw), RowIndex())
        assert store.row_index(CSL).rows == base.rows


def test_a_bad_row_after_the_first_batches_leaves_nothing_stored(tmp_path: Path) -> None:
    good = [synthetic_row(n) for n in range(3 * BATCH)]
    raw = csv_file(good) + b'"cut short","row"\n'
    with Store.open(tmp_path / "ecmon.db") as store:
        summary = run(store, raw)
        assert summary.outcome is RunOutcome.FAILED, summary
        assert "cells, expected 29" in summary.message
        for table in ("records", "record_versions", "record_rows", "snapshots"):
            assert table_count(store, table) == 0, table
        assert [r["outcome"] for r in store.runs(CSL)] == ["failed"]
        state = store.source_state(CSL)
        assert state is not None and state.accepted_raw_sha256 is None
        # The next good file is still the baseline.
        assert run(store, csv_file(good), hour=1).outcome is RunOutcome.BASELINE


def test_a_count_gate_failure_holds_the_whole_file_and_stores_no_record(tmp_path: Path) -> None:
    raw = csv_file([synthetic_row(n) for n in range(2 * BATCH + 7)])
    settings = csl_settings(tmp_path / "ecmon.db", URL)
    own = replace(settings.source(CSL), max_records=100)
    strict = replace(settings, sources=MappingProxyType({CSL: own}))
    with Store.open(tmp_path / "ecmon.db") as store:
        summary = run(store, raw, strict)
        assert summary.outcome is RunOutcome.SUSPECT, summary
        assert summary.record_count == 2 * BATCH + 7
        for table in ("records", "record_versions", "record_rows"):
            assert table_count(store, table) == 0, table
        [held] = review.pending(store, CSL)
        assert held.run_id == summary.run_id
        # Held for review as a whole read holds it: every record of the file.
        assert held_store.held_snapshot(store, held).records == whole(raw)
        assert held.reason == "107 records, more than the expected maximum of 100"
        # Nothing accepted: the next run is the baseline again.
        assert run(store, raw, hour=1).outcome is RunOutcome.BASELINE


def test_the_file_is_handed_over_batch_by_batch() -> None:
    calls: list[int] = []

    class Sink:
        def add(self, records: Sequence[Record], rows: Sequence[tuple[bytes, str]]) -> None:
            calls.append(len(rows))

        def digests_of(self, keys: Collection[str]) -> set[bytes]:
            return set()

        def rewrite(self, records: Sequence[Record]) -> None:
            raise AssertionError("no key repeats")

    raw = csv_file([synthetic_row(n) for n in range(2 * BATCH + 1)])
    assert incremental.stream_baseline(_reader(raw), Sink()) == 2 * BATCH + 1
    assert calls == [BATCH, BATCH, 1]


def test_the_cycle_collector_is_paused_while_a_baseline_streams_and_then_restored() -> None:
    """Paused for the rows (no per-row cycles to collect), back on after, also after a
    failure; left off when the caller had it off."""
    during: list[bool] = []

    class Sink:
        def add(self, records: Sequence[Record], rows: Sequence[tuple[bytes, str]]) -> None:
            during.append(gc.isenabled())
            if len(during) == 2 and fail:
                raise RuntimeError("store failed")

        def digests_of(self, keys: Collection[str]) -> set[bytes]:
            return set()

        def rewrite(self, records: Sequence[Record]) -> None:
            raise AssertionError("no key repeats")

    raw = csv_file([synthetic_row(n) for n in range(2 * BATCH + 1)])
    fail = False
    assert gc.isenabled()
    incremental.stream_baseline(_reader(raw), Sink())
    assert during == [False, False, False] and gc.isenabled()
    fail, during[:] = True, []
    with pytest.raises(RuntimeError, match="store failed"):
        incremental.stream_baseline(_reader(raw), Sink())
    assert during == [False, False] and gc.isenabled()
    gc.disable()
    try:
        fail, during[:] = False, []
        incremental.stream_baseline(_reader(raw), Sink())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_large_baseline_builds_the_indexes_after_its_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first batch of 1,000 rows into an empty database: the record tables' indexes are
    dropped while the rows go in, built again before a key met again is rewritten."""
    monkeypatch.setattr(incremental, "BATCH_ROWS", 1000)
    rows = [synthetic_row(n) for n in range(2500)]
    rows.append(synthetic_row(2500, name=7, notice="90 FR 5"))  # entity 7, two batches on
    raw = csv_file(rows)
    with Store.open(tmp_path / "ecmon.db") as store:
        indexes = _indexes(store)
        assert run(store, raw).outcome is RunOutcome.BASELINE
        assert _indexes(store) == indexes  # every index is there again
        assert store.accepted_records(CSL) == whole(raw)
        assert store.row_index(CSL).rows == read_delta(_reader(raw), RowIndex()).rows


def _indexes(store: Store) -> list[str]:
    with sqlite3.connect(store.path) as conn:
        found = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('records', 'record_versions') ORDER BY name"
        )
        return [str(sql) for (sql,) in found]


def _blob_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ecmon-blob"]


def _stored_raw(store: Store) -> list[bytes]:
    with sqlite3.connect(store.path) as conn:
        return [zlib.decompress(data) for (data,) in conn.execute("SELECT data FROM blobs")]


def test_the_raw_file_compressed_beside_the_rows_is_stored_whatever_the_gate_says(
    tmp_path: Path,
) -> None:
    """The raw file is compressed on a second thread while the rows are read: its blob
    is the file's bytes, on an accepted and on a held baseline, and the thread is gone
    when the run returns."""
    raw = csv_file([synthetic_row(n) for n in range(2 * BATCH + 7)])
    settings = csl_settings(tmp_path / "held.db", URL)
    strict = replace(
        settings,
        sources=MappingProxyType({CSL: replace(settings.source(CSL), max_records=100)}),
    )
    with Store.open(tmp_path / "held.db") as store:
        assert run(store, raw, strict).outcome is RunOutcome.SUSPECT
        assert not _blob_threads()
        assert _stored_raw(store) == [raw]
        [snapshot] = store.db.rows("SELECT raw_sha256 FROM snapshots")
        assert snapshot["raw_sha256"] == hashlib.sha256(raw).hexdigest()
    with Store.open(tmp_path / "ecmon.db") as store:
        assert run(store, raw).outcome is RunOutcome.BASELINE
        assert not _blob_threads()
        assert _stored_raw(store) == [raw]
        [snapshot] = store.db.rows("SELECT raw_sha256 FROM snapshots")
        assert snapshot["raw_sha256"] == hashlib.sha256(raw).hexdigest()


def test_a_bad_row_waits_for_the_compressing_thread_and_stores_no_blob_of_the_run(
    tmp_path: Path,
) -> None:
    raw = csv_file([synthetic_row(n) for n in range(3 * BATCH)]) + b'"cut short","row"\n'
    with Store.open(tmp_path / "ecmon.db") as store:
        assert run(store, raw).outcome is RunOutcome.FAILED
        assert not _blob_threads()
        # The failed run's raw bytes are kept by the failure's own transaction, once.
        assert _stored_raw(store) == [raw]


def test_a_compression_error_on_the_thread_is_raised_on_the_run_s_and_nothing_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write, "RAW_LEVEL", 42)  # zlib: "Bad compression level"
    raw = csv_file([synthetic_row(n) for n in range(2 * BATCH)])
    with Store.open(tmp_path / "ecmon.db") as store:
        with pytest.raises(zlib.error):
            run(store, raw)
        assert not _blob_threads()
        for table in ("blobs", "records", "record_rows", "snapshots"):
            assert table_count(store, table) == 0, table
