"""The store against a real SQLite file: migrations, runs, history, search, rollback."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.errors import FetchError, StoreError
from monitor.keys import record_key
from monitor.models import (
    Change,
    FieldChange,
    FieldValue,
    Record,
    RunInfo,
    RunOutcome,
    Snapshot,
)
from monitor.store import Store
from monitor.store import write as store_write
from monitor.store.codec import unpack_json
from monitor.store.schema import MIGRATIONS

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SRC = "entity_list"


def rec(
    name: str,
    country: str = "CN",
    *,
    aliases: tuple[str, ...] = (),
    address: str = "",
    meta: Mapping[str, str] | None = None,
) -> Record:
    fields: dict[str, FieldValue] = {"aliases": aliases, "address": address}
    return Record(
        key=record_key(name, country),
        list_name="Entity List",
        name=name,
        country=country,
        fields=fields,
        meta=dict(meta or {}),
    )


ACME = rec(
    "Acme Robotics Co., Ltd.", aliases=("Acme Bot", "艾克米机器人"), address="1 Road, Shenzhen"
)
BETA = rec("Beta Semiconductor", address="2 Street, Wuhan")
GAMMA = rec("Gamma Optics", "RU", aliases=("Gamma-Opt",))
BETA_MOVED = rec("Beta Semiconductor", address="9 Avenue, Wuhan")
DELTA = rec("Delta Avionics Institute", "IR")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def run_info(hours: float, *, source: str = SRC, etag: str | None = None) -> RunInfo:
    return RunInfo(
        source=source,
        url=f"https://example.test/{source}.csv",
        started_at=at(hours),
        finished_at=at(hours) + timedelta(seconds=30),
        http_status=200,
        etag=etag,
        last_modified=None if etag is None else f"modified {etag}",
    )


def raw_of(*records: Record) -> bytes:
    return ("\n".join(r.name for r in records) + "\n").encode() * 20


def snap(hours: float, *records: Record, source: str = SRC) -> tuple[Snapshot, bytes]:
    raw = raw_of(*records)
    snapshot = Snapshot(
        source=source,
        url=f"https://example.test/{source}.csv",
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        fetched_at=at(hours),
        records={r.key: r for r in records},
        valid_for="2026-01-05",
    )
    return snapshot, raw


def diff(old: Mapping[str, Record], new: Mapping[str, Record]) -> list[Change]:
    """A minimal differ for the tests (monitor.diff is not the unit under test)."""
    out: list[Change] = []
    for key in sorted(new.keys() - old.keys()):
        r = new[key]
        out.append(Change("added", key, r.list_name, r.name, r.country, None, r))
    for key in sorted(old.keys() - new.keys()):
        r = old[key]
        out.append(Change("removed", key, r.list_name, r.name, r.country, r, None))
    for key in sorted(old.keys() & new.keys()):
        a, b = old[key], new[key]
        if a.content_hash != b.content_hash:
            fields = tuple(
                FieldChange(f, a.fields.get(f, ""), b.fields.get(f, ""))
                for f in sorted(a.fields.keys() | b.fields.keys())
                if a.fields.get(f) != b.fields.get(f)
            )
            out.append(
                Change("modified", key, b.list_name, b.name, b.country, a, b, fields, ("changed",))
            )
    return out


def accept(store: Store, hours: float, *records: Record, etag: str | None = None) -> int:
    """Accept a snapshot of ``records`` with the diff against the stored state."""
    snapshot, raw = snap(hours, *records)
    baseline = store.source_state(SRC) is None
    changes = [] if baseline else diff(store.accepted_records(SRC), snapshot.records)
    run_id = store.record_accepted(
        run_info(hours, etag=etag), snapshot, changes, raw, baseline=baseline
    )
    assert store.accepted_records(SRC) == snapshot.records
    return run_id


def count(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "ecmon.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as opened:
        yield opened


# ------------------------------------------------------------ open and schema


def test_open_creates_parent_and_migrations_are_idempotent(db_path: Path) -> None:
    with Store.open(db_path) as first:
        assert first.schema_version() == len(MIGRATIONS)
    with Store.open(db_path) as second:
        assert second.schema_version() == len(MIGRATIONS)
    assert count(db_path, "schema_migrations") == len(MIGRATIONS)


def test_wal_mode_and_integrity(store: Store, db_path: Path) -> None:
    accept(store, 0, ACME, BETA)
    accept(store, 1, ACME, BETA_MOVED, GAMMA)
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # raises if the external-content FTS index drifted from the records table
        conn.execute("INSERT INTO records_fts(records_fts) VALUES ('integrity-check')")


def test_non_sqlite_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is a text file, not a database\n" * 200)
    with pytest.raises(StoreError, match=r"notes\.db"):
        Store.open(path)


def test_newer_schema_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, '2099-01-01T00:00:00+00:00')")
        conn.commit()
    with pytest.raises(StoreError, match="newer"):
        Store.open(db_path)


# ------------------------------------------------------------ accepted runs


def test_baseline_then_changes_round_trip(store: Store) -> None:
    base = accept(store, 0, ACME, BETA)
    assert store.changes() == []
    assert store.accepted_records(SRC)[ACME.key].get_tuple("aliases") == ACME.get_tuple("aliases")
    second = accept(store, 1, ACME, BETA_MOVED, GAMMA)

    stored = store.changes()
    assert [(s.change.kind, s.change.key) for s in stored] == [
        ("added", GAMMA.key),
        ("modified", BETA.key),
    ]
    modified = stored[1]
    assert modified.change.before == BETA and modified.change.after == BETA_MOVED
    assert modified.change.fields == (FieldChange("address", "2 Street, Wuhan", "9 Avenue, Wuhan"),)
    assert modified.change.labels == ("changed",)
    assert modified.provenance.run_id == second
    assert (
        modified.provenance.raw_sha256
        == hashlib.sha256(raw_of(ACME, BETA_MOVED, GAMMA)).hexdigest()
    )
    assert modified.provenance.fetched_at == at(1)
    outcomes = [(r["id"], r["outcome"], r["added"], r["modified"]) for r in store.runs(SRC)]
    assert outcomes == [(second, "changed", 1, 1), (base, "baseline", 0, 0)]


def test_tuple_fields_survive_exactly(store: Store) -> None:
    accept(store, 0, ACME)
    got = store.accepted_records(SRC)[ACME.key]
    assert got == ACME
    assert isinstance(got.fields["aliases"], tuple)
    assert got.content_hash == ACME.content_hash


def test_meta_and_alias_order_are_refreshed_without_a_change(store: Store, db_path: Path) -> None:
    accept(store, 0, ACME)
    reordered = rec(
        ACME.name,
        aliases=tuple(reversed(ACME.get_tuple("aliases"))),
        address=ACME.get_text("address"),
        meta={"row": "17"},
    )
    assert reordered.content_hash == ACME.content_hash and reordered != ACME
    snapshot, raw = snap(1, reordered)
    store.record_accepted(run_info(1), snapshot, [], raw, baseline=False)
    assert store.accepted_records(SRC)[ACME.key] == reordered
    assert store.runs(SRC)[0]["outcome"] == "unchanged"
    assert count(db_path, "record_versions") == 1


def test_changes_that_do_not_match_the_snapshot_are_refused(store: Store) -> None:
    accept(store, 0, ACME, BETA)
    snapshot, raw = snap(1, ACME, GAMMA)
    with pytest.raises(StoreError, match="do not match"):
        store.record_accepted(run_info(1), snapshot, [], raw, baseline=False)
    assert set(store.accepted_records(SRC)) == {ACME.key, BETA.key}
    assert len(store.runs(SRC)) == 1


def test_blob_hash_must_match_snapshot(store: Store) -> None:
    snapshot, _ = snap(0, ACME)
    with pytest.raises(StoreError, match="raw_sha256"):
        store.record_accepted(run_info(0), snapshot, [], b"other bytes", baseline=True)
    assert store.source_state(SRC) is None


def test_rebaseline_replaces_state_without_changes(store: Store) -> None:
    accept(store, 0, ACME, BETA)
    snapshot, raw = snap(1, BETA_MOVED, GAMMA)
    store.record_accepted(run_info(1), snapshot, [], raw, baseline=True)
    assert store.accepted_records(SRC) == snapshot.records
    assert store.changes() == []


# ------------------------------------------------------------ blobs


def test_blobs_are_stored_once_and_decompress(store: Store, db_path: Path) -> None:
    accept(store, 0, ACME, BETA)
    snapshot, raw = snap(1, ACME, BETA)
    store.record_suspect(run_info(1), snapshot, raw, "count below bound")
    store.record_failure(run_info(2), FetchError("boom"), raw)
    assert count(db_path, "blobs") == 1
    sha = hashlib.sha256(raw).hexdigest()
    assert store.blob(sha) == raw
    assert store.blob("0" * 64) is None
    with closing(sqlite3.connect(db_path)) as conn:
        size, stored, first_seen = conn.execute(
            "SELECT size, length(data), first_seen_at FROM blobs"
        ).fetchone()
    assert size == len(raw) and stored < len(raw)
    assert first_seen == "2026-01-05T12:00:30+00:00"  # the first run's, not overwritten


# ------------------------------------------------------------ suspect, failure, unchanged


def test_suspect_and_failure_leave_accepted_state_and_validators(store: Store) -> None:
    accept(store, 0, ACME, BETA, etag='"v1"')
    before = store.accepted_records(SRC)
    accepted_sha = store.accepted_raw_sha256(SRC)

    snapshot, raw = snap(1, ACME)
    store.record_suspect(run_info(1, etag='"v2"'), snapshot, raw, "shrank by 50%")
    state = store.source_state(SRC)
    assert state is not None
    assert (state.etag, state.consecutive_failures, state.last_error) == (
        '"v1"',
        1,
        "shrank by 50%",
    )
    assert state.last_outcome == "suspect"
    [status] = store.statuses([(SRC, True)])
    assert status.suspect_reason == "shrank by 50%" and status.record_count == 2

    failed = store.record_failure(
        run_info(2, etag='"v3"'), FetchError("timed out", url="https://x")
    )
    state = store.source_state(SRC)
    assert state is not None
    assert (state.etag, state.last_modified) == ('"v1"', 'modified "v1"')
    assert state.consecutive_failures == 2
    assert store.accepted_records(SRC) == before
    assert store.accepted_raw_sha256(SRC) == accepted_sha
    run = store.runs(SRC, limit=1)[0]
    assert (run["id"], run["outcome"], run["error_kind"]) == (failed, "failed", "FetchError")
    assert run["error_message"] == "timed out (url https://x)"
    assert store.statuses([(SRC, True)])[0].suspect_reason is None


def test_success_resets_failures_and_keeps_validators_unless_given(store: Store) -> None:
    accept(store, 0, ACME, etag='"v1"')
    store.record_failure(run_info(1), FetchError("down"))
    store.record_unchanged(run_info(2), RunOutcome.NOT_MODIFIED)
    state = store.source_state(SRC)
    assert state is not None
    assert (state.consecutive_failures, state.last_error, state.etag) == (0, None, '"v1"')
    assert state.last_success_at == "2026-01-05T14:00:30+00:00"

    store.record_unchanged(run_info(3, etag='"v2"'), RunOutcome.UNCHANGED)
    state = store.source_state(SRC)
    assert state is not None and state.etag == '"v2"'
    latest = store.runs(SRC, limit=1)[0]
    assert latest["outcome"] == "unchanged"
    assert latest["raw_sha256"] == store.accepted_raw_sha256(SRC)
    assert latest["record_count"] == 1


def test_record_unchanged_rejects_other_outcomes(store: Store) -> None:
    with pytest.raises(ValueError, match="not_modified or unchanged"):
        store.record_unchanged(run_info(0), RunOutcome.CHANGED)


def test_statuses_include_sources_that_never_ran(store: Store) -> None:
    accept(store, 0, ACME)
    ran, never = store.statuses([(SRC, True), ("mofcom_uel", False)])
    assert (ran.last_outcome, ran.record_count, ran.enabled) == ("baseline", 1, True)
    assert (never.last_outcome, never.record_count, never.enabled) == (None, 0, False)
    assert store.source_state("mofcom_uel") is None


# ------------------------------------------------------------ querying changes


def test_changes_range_and_time_filters(store: Store) -> None:
    r0 = accept(store, 0, ACME)
    r1 = accept(store, 24, ACME, BETA)
    store.record_unchanged(run_info(36), RunOutcome.NOT_MODIFIED)
    r2 = accept(store, 48, ACME, BETA, GAMMA)
    r3 = accept(store, 72, BETA, GAMMA)

    def keys(**kw: Any) -> list[tuple[int, str]]:
        return [(s.provenance.run_id, s.change.key) for s in store.changes(**kw)]

    assert keys() == [(r1, BETA.key), (r2, GAMMA.key), (r3, ACME.key)]
    assert keys(from_run=r1, to_run=r2) == [(r2, GAMMA.key)]
    assert keys(to_run=r2) == [(r1, BETA.key), (r2, GAMMA.key)]
    assert keys(from_run=r2) == [(r3, ACME.key)]
    assert keys(from_run=r0, to_run=r1) == [(r1, BETA.key)]
    assert keys(since=at(48)) == [(r2, GAMMA.key), (r3, ACME.key)]
    assert keys(since=at(48).replace(tzinfo=None)) == [(r2, GAMMA.key), (r3, ACME.key)]
    assert keys(source="other") == []
    assert store.last_changed_run(SRC) == r3
    assert store.last_changed_run("other") is None


def test_last_changed_run_skips_unchanged_runs(store: Store) -> None:
    accept(store, 0, ACME)
    changed = accept(store, 1, ACME, BETA)
    accept(store, 2, ACME, BETA)
    assert store.last_changed_run() == changed


# ------------------------------------------------------------ renames and history


def rename(old: Record, new: Record) -> Change:
    """The modification the differ reports for a rename (labels included)."""
    from monitor.diff import modified

    change = modified(old, new)
    assert change.previous_key == old.key and "renamed" in change.labels
    return change


def test_rename_moves_the_key(store: Store, db_path: Path) -> None:
    base = accept(store, 0, ACME, BETA)
    renamed = rec("Acme Intelligent Robotics", aliases=("Acme Bot",))
    snapshot, raw = snap(1, renamed, BETA)
    run_id = store.record_accepted(
        run_info(1), snapshot, [rename(ACME, renamed)], raw, baseline=False
    )
    assert store.accepted_records(SRC) == snapshot.records
    [stored] = store.changes()
    assert (stored.change.key, stored.change.previous_key) == (renamed.key, ACME.key)
    with closing(sqlite3.connect(db_path)) as conn:
        versions = conn.execute(
            "SELECT key, from_run, to_run FROM record_versions WHERE key IN (?, ?) ORDER BY id",
            (ACME.key, renamed.key),
        ).fetchall()
        first_seen = conn.execute(
            "SELECT first_seen_run FROM records WHERE key = ?", (renamed.key,)
        ).fetchone()[0]
    assert versions == [(ACME.key, base, run_id), (renamed.key, run_id, None)]
    assert first_seen == base
    kinds = [(e.kind, e.record.name) for e in store.timeline(SRC, renamed.key)]
    assert kinds == [("baseline", ACME.name), ("renamed", renamed.name)]
    assert store.timeline(SRC, ACME.key) == store.timeline(SRC, renamed.key)


def test_timeline_baseline_modified_removed(store: Store) -> None:
    base = accept(store, 0, ACME, BETA)
    modified = accept(store, 1, ACME, BETA_MOVED)
    removed = accept(store, 2, ACME)
    events = store.timeline(SRC, BETA.key)
    assert [(e.kind, e.run_id) for e in events] == [
        ("baseline", base),
        ("modified", modified),
        ("removed", removed),
    ]
    assert events[0].record == BETA and events[1].record == BETA_MOVED
    assert events[0].at == "2026-01-05T12:00:00+00:00"
    assert events[2].change is not None and events[2].change.change.before == BETA_MOVED
    assert store.timeline(SRC, "nobody|XX") == []


def test_find_entities_by_key_and_folded_name_including_removed(store: Store) -> None:
    accept(store, 0, ACME, BETA, GAMMA)
    accept(store, 1, ACME, GAMMA)
    assert store.find_entities(BETA.key) == [(SRC, BETA.key, BETA.name, "CN")]
    assert store.find_entities("  beta   SEMICONDUCTOR ") == [(SRC, BETA.key, BETA.name, "CN")]
    assert store.find_entities("ACME robotics") == [(SRC, ACME.key, ACME.name, "CN")]
    found = store.find_entities("o")
    assert {key for _, key, _, _ in found} == {ACME.key, BETA.key, GAMMA.key}
    assert store.find_entities("zeta") == []
    assert store.find_entities("  ") == []


# ------------------------------------------------------------ search


def test_search_by_alias_name_prefix_and_folding(store: Store) -> None:
    accept(store, 0, ACME, BETA, GAMMA, rec("Zürich Précision AG", "CH"))
    assert [r.key for _, r in store.search("acme bot")] == [ACME.key]
    assert [r.key for _, r in store.search("semicond")] == [BETA.key]
    assert [r.key for _, r in store.search("艾克米机器人")] == [ACME.key]
    assert [r.name for _, r in store.search("zurich precision")] == ["Zürich Précision AG"]
    assert [(s, r.key) for s, r in store.search("gamma-opt")] == [(SRC, GAMMA.key)]
    assert store.search("nothing like this") == []


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ('"foo AND (', []),
        ("NEAR(", []),
        ("*", []),
        ('""', []),
        ("acme OR", []),
        ("^beta", ["Beta Semiconductor"]),
        ("beta:semi", ["Beta Semiconductor"]),
        ('"acme" AND -- ;DROP TABLE records', []),
        ("robot*", ["Acme Robotics Co., Ltd."]),
    ],
)
def test_search_survives_hostile_input(store: Store, hostile: str, expected: list[str]) -> None:
    accept(store, 0, ACME, BETA)
    assert [r.name for _, r in store.search(hostile)] == expected
    assert len(store.accepted_records(SRC)) == 2


def test_search_forgets_removed_records(store: Store) -> None:
    accept(store, 0, ACME, BETA)
    accept(store, 1, ACME)
    assert store.search("beta") == []
    assert len(store.search("acme")) == 1


# ------------------------------------------------------------ transactions


def test_write_that_fails_midway_rolls_back(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accept(store, 0, ACME, BETA, etag='"v1"')
    before_state = store.source_state(SRC)
    tables = ("runs", "blobs", "snapshots", "records", "record_versions", "changes")
    before_counts = {t: count(db_path, t) for t in tables}

    def explode(self: store_write.RunWriter, **kw: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store_write.RunWriter, "mark_success", explode)
    snapshot, raw = snap(1, ACME, BETA_MOVED, GAMMA)
    changes = diff(store.accepted_records(SRC), snapshot.records)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.record_accepted(run_info(1, etag='"v2"'), snapshot, changes, raw, baseline=False)

    assert store.accepted_records(SRC) == {ACME.key: ACME, BETA.key: BETA}
    assert store.source_state(SRC) == before_state
    assert {t: count(db_path, t) for t in tables} == before_counts
    assert store.search("gamma") == []
    monkeypatch.undo()
    accept(store, 2, ACME, BETA_MOVED, GAMMA)  # the connection is usable afterwards


def test_sqlite_errors_become_store_errors_and_roll_back(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accept(store, 0, ACME)

    def broken(self: store_write.RunWriter, error: str) -> None:
        self.cur.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(store_write.RunWriter, "mark_failure", broken)
    with pytest.raises(StoreError, match="no_such_table") as caught:
        store.record_failure(run_info(1), FetchError("down"), b"partial body")
    assert caught.value.source == SRC
    assert count(db_path, "runs") == 1
    assert count(db_path, "blobs") == 1


def test_second_connection_sees_committed_runs(store: Store, db_path: Path) -> None:
    accept(store, 0, ACME)
    with Store.open(db_path) as other:
        assert other.accepted_records(SRC) == {ACME.key: ACME}
        other.record_failure(run_info(1), FetchError("down"))
    state = store.source_state(SRC)
    assert state is not None and state.consecutive_failures == 1


def test_old_raw_bytes_are_released_but_provenance_stays(tmp_path: Path) -> None:
    """Raw bytes of runs older than keep_raw are released; hashes and sizes remain,
    the accepted snapshot's bytes are kept."""
    from monitor.diff import diff_records

    def snap(n: int) -> tuple[Snapshot, bytes]:
        raw = f"version {n}".encode()
        rec = Record(
            record_key(f"Entity {n}", "CN"), "el", f"Entity {n}", "CN", {"name": f"Entity {n}"}
        )
        sha = hashlib.sha256(raw).hexdigest()
        return Snapshot("src", "http://x", sha, T0, {rec.key: rec}), raw

    with Store.open(tmp_path / "keep.db", keep_raw=2) as store:
        hashes = []
        for n in range(5):
            snapshot, raw = snap(n)
            previous = store.accepted_records("src")
            changes = diff_records(previous, snapshot.records)
            info = RunInfo("src", "http://x", T0, T0)
            store.record_accepted(info, snapshot, changes, raw, baseline=n == 0)
            hashes.append(snapshot.raw_sha256)
        kept = [store.blob(h) is not None for h in hashes]
        assert kept == [False, False, False, True, True]
        assert store.blob(hashes[-1]) == b"version 4"
        sizes = store.db.rows("SELECT size FROM blobs ORDER BY first_seen_at")
        assert all(row["size"] > 0 for row in sizes) and len(sizes) == 5


def test_a_country_move_is_shown_as_moved_not_renamed(store: Store) -> None:
    from monitor.diff import modified

    accept(store, 0, ACME, BETA)
    moved = Record(record_key(ACME.name, "HK"), ACME.list_name, ACME.name, "HK", ACME.fields)
    change = modified(ACME, moved)
    assert "country_changed" in change.labels and "renamed" not in change.labels
    snapshot, raw = snap(1, moved, BETA)
    store.record_accepted(run_info(1), snapshot, [change], raw, baseline=False)
    kinds = [e.kind for e in store.timeline(SRC, moved.key)]
    assert kinds == ["baseline", "moved"]


def test_the_current_version_is_stored_once_and_a_replaced_one_keeps_its_json(
    store: Store, db_path: Path
) -> None:
    """Write once (issue 17): the current record's JSON lives in ``records`` only; the
    version it replaces keeps the JSON it had, so history and as-of exports still read it."""
    accept(store, 0, ACME, BETA)
    accept(store, 1, ACME, BETA_MOVED)
    with closing(sqlite3.connect(db_path)) as conn:
        versions = conn.execute(
            "SELECT key, to_run IS NULL, record_z FROM record_versions ORDER BY id"
        ).fetchall()
    by_version = {(key, bool(current)): data for key, current, data in versions}
    assert by_version[(ACME.key, True)] is None and by_version[(BETA.key, True)] is None
    assert Record.from_dict(json.loads(unpack_json(by_version[(BETA.key, False)]))) == BETA
    events = store.timeline(SRC, BETA.key)
    assert (events[0].kind, events[0].record) == ("baseline", BETA)


def test_search_text_is_built_with_the_index_and_a_read_only_scan_finds_unbuilt_rows(
    store: Store, db_path: Path
) -> None:
    """Runs leave the search text to the index build; a read-only store, which cannot
    build it, still finds a record by alias and by folded name."""
    accept(store, 0, ACME, GAMMA)
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT count(search_text) FROM records").fetchone()[0] == 0
    with Store.open_read_only(db_path) as reader:
        assert [r.key for _, r in reader.search("acme bot")] == [ACME.key]
        assert [r.key for _, r in reader.search("gamma-opt")] == [GAMMA.key]
        assert [r.key for _, r in reader.search("艾克米")] == [ACME.key]
        assert reader.search("acme zzz") == []
    assert [r.key for _, r in store.search("acme bot")] == [ACME.key]  # builds the index
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT count(search_text) FROM records").fetchone()[0] == 2


def test_a_large_baseline_builds_the_indexes_after_its_rows(store: Store, db_path: Path) -> None:
    """A baseline of many records inserts them before building the record tables'
    indexes; the same indexes exist afterwards."""

    def indexes() -> list[tuple[str, str]]:
        with closing(sqlite3.connect(db_path)) as conn:
            return conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                " AND tbl_name IN ('records', 'record_versions') ORDER BY name"
            ).fetchall()

    before = indexes()
    many = [rec(f"Entity {n:05d}") for n in range(6000)]
    accept(store, 0, *many)
    assert indexes() == before and len(before) >= 3
    assert store.record_count(SRC) == 6000
    assert [r.key for _, r in store.search("entity 01234")] == [many[1234].key]
