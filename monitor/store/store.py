"""The SQLite store. With its helpers (``store_schema``: migrations,
``store_write``: one run's rows, ``store_codec``: models <-> rows) it is the only
code in ecmon that speaks SQL.

``Store.open`` connects in autocommit mode (we manage transactions ourselves),
turns on WAL, a busy timeout and foreign keys, and applies the numbered
migrations in ``monitor.store.schema``. Every ``record_*`` write is exactly one
``BEGIN IMMEDIATE`` ... ``COMMIT`` transaction that inserts a ``runs`` row and
updates ``source_state``; any exception rolls it back, so a crash leaves the last
good state, and sqlite errors surface as ``StoreError``.

Writes inside a run use plain parameterised SQL (``monitor.store.write``);
sqlite-utils is used for schema work only. Reads return models, never rows.
"""

from __future__ import annotations

import re
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TypedDict

from monitor.errors import EcmonError, StoreError
from monitor.keys import fold_name
from monitor.models import (
    Change,
    Record,
    RowIndex,
    RunInfo,
    RunOutcome,
    Snapshot,
    SourceStatus,
    StoredChange,
    TimelineEvent,
)
from monitor.store import baseline, codec
from monitor.store import write as w
from monitor.store.db import Db
from monitor.store.schema import MIGRATIONS, apply_migrations, schema_version
from monitor.store.unrecorded import UnrecordedFile

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)
_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _like(word: str) -> str:
    """``word`` for a LIKE pattern: its own % and _ match only themselves."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_SUCCESS_OUTCOMES = (RunOutcome.NOT_MODIFIED, RunOutcome.UNCHANGED)


@dataclass(frozen=True)
class SourceState:
    """What the store remembers about a source between runs."""

    etag: str | None
    last_modified: str | None
    last_success_at: str | None
    consecutive_failures: int
    last_error: str | None
    last_outcome: str | None
    accepted_raw_sha256: str | None
    last_run_at: str | None = None


class ProblemRun(TypedDict):
    """A failed or suspect run, with why (``ecmon status``)."""

    id: int
    started_at: str
    source: str
    outcome: str
    reason: str


class Store:
    """One open ecmon database. Use ``Store.open``; close it (or use ``with``)."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, keep_raw: int = 10, *, read_only: bool = False
    ) -> None:
        self.db = Db(conn, path)
        self.path = path
        self.read_only = read_only
        # Failures the database could not take (a full disk), noted beside it.
        self.unrecorded = UnrecordedFile(path)
        # Raw bytes are kept for the newest ``keep_raw`` runs of each source (plus the
        # accepted and archived snapshots); older ones keep only their hash and size.
        self.keep_raw = keep_raw

    @classmethod
    def open_read_only(cls, path: Path) -> Store:
        """Open ``path`` for reading only: nothing is created, migrated or written, so a
        read-only file or a backup copy can be inspected. A write raises StoreError.
        A WAL database whose folder is not writable is opened as immutable."""
        if not path.is_file():
            raise _missing(path)
        last: Exception | None = None
        for mode in ("mode=ro", "immutable=1"):
            try:
                conn = sqlite3.connect(
                    f"{path.resolve().as_uri()}?{mode}", uri=True, isolation_level=None
                )
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens it
                version = _schema_version_or_zero(conn)
            except sqlite3.Error as exc:
                last = exc
                continue
            if version != len(MIGRATIONS):
                conn.close()
                raise StoreError(
                    f"database {path} has schema version {version}, this ecmon needs"
                    f" {len(MIGRATIONS)}: open it once with a writing command to migrate"
                )
            conn.execute("PRAGMA query_only=ON")
            return cls(conn, path, read_only=True)
        raise StoreError(f"cannot open database {path} read-only: {last}")

    @classmethod
    def open(
        cls, path: Path, *, keep_raw: int = 10, busy_timeout: float = 30.0, create: bool = True
    ) -> Store:
        """Open and migrate the database at ``path``; a write waits up to ``busy_timeout``
        seconds for another process's write lock.

        Only ``create`` makes the file and its folders (``run``, ``backfill``, ``demo``,
        ``daemon``); otherwise a missing database is a StoreError naming the path, so a
        mistyped ``--db`` never reads as "never run".
        """
        if not create and not path.is_file():
            raise _missing(path)
        conn: sqlite3.Connection | None = None
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout)
            else:  # SQLite's URI mode=rw never creates the file
                conn = sqlite3.connect(
                    f"{path.resolve().as_uri()}?mode=rw",
                    uri=True,
                    isolation_level=None,
                    timeout=busy_timeout,
                )
            conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            for pragma in _PRAGMAS:
                conn.execute(pragma)
            if _schema_version_or_zero(conn) != len(MIGRATIONS):
                # sqlite-utils is only needed to migrate; a current database skips the import.
                from sqlite_utils import Database

                apply_migrations(Database(conn, execute_plugins=False))
        except (sqlite3.Error, OSError, ValueError) as exc:
            if conn is not None:
                conn.close()
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        store = cls(conn, path, keep_raw)
        store.unrecorded.prepare()  # while there is room (see monitor.store.unrecorded)
        return store

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def schema_version(self) -> int:
        """The highest applied migration."""
        return schema_version(self.db.conn)

    # ----------------------------------------------------------------- reads

    def source_state(self, source: str) -> SourceState | None:
        """The remembered state of ``source``; None if it never ran."""
        row = self.db.one(
            "SELECT st.*, sn.raw_sha256 AS accepted_raw_sha256 FROM source_state st"
            " LEFT JOIN snapshots sn ON sn.id = st.accepted_snapshot_id WHERE st.source = ?",
            (source,),
        )
        if row is None:
            return None
        return SourceState(
            etag=row["etag"],
            last_modified=row["last_modified"],
            last_success_at=row["last_success_at"],
            consecutive_failures=row["consecutive_failures"],
            last_error=row["last_error"],
            last_outcome=row["last_outcome"],
            accepted_raw_sha256=row["accepted_raw_sha256"],
            last_run_at=row["last_run_at"],
        )

    def accepted_records(self, source: str, keys: Iterable[str] | None = None) -> dict[str, Record]:
        """The current accepted state of ``source`` (or only ``keys`` of it), by record key."""
        if keys is None:
            cursor = self.db.conn.execute(
                "SELECT record_z FROM records WHERE source = ?", (source,)
            )
            records = (codec.record_from_blob(row[0]) for row in cursor)
            return {record.key: record for record in records}
        wanted = sorted(set(keys))
        found: dict[str, Record] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.rows(
                f"SELECT record_z FROM records WHERE source = ? AND key IN ({marks})",
                (source, *chunk),
            ):
                record = codec.record_from_blob(row["record_z"])
                found[record.key] = record
        return found

    def accepted_hashes(self, source: str) -> dict[str, str]:
        """Record key -> content hash of the accepted state: enough to find what changed."""
        cursor = self.db.conn.execute(
            "SELECT key, content_hash FROM records WHERE source = ?", (source,)
        )
        return {str(key): str(content_hash) for key, content_hash in cursor}

    def row_index(self, source: str) -> RowIndex:
        """The row digests of the accepted state of ``source`` (``monitor.incremental``).

        Complete or not used: when some accepted record has no rows (a state written
        whole, or a database from before row digests), the index is empty and names the
        accepted keys as ``others``, so every row of the next file is read as new.
        """
        keys: dict[bytes, str] = {}
        rows: dict[str, tuple[bytes, ...]] = {}
        for digest, key, n in self.db.conn.execute(
            "SELECT digest, key, n FROM record_rows WHERE source = ?", (source,)
        ):
            keys[digest] = key
            mine = (digest,) * int(n)
            held = rows.get(key)
            # Each key's sorted tuple made as its rows come: a list per key beside the
            # tuples held a 200,000-row index twice over.
            rows[key] = mine if held is None else tuple(sorted(held + mine))
        if len(rows) != self.record_count(source):
            return RowIndex(others=frozenset(self.accepted_hashes(source)))
        return RowIndex(keys=keys, rows=rows)

    def record_count(self, source: str) -> int:
        """How many records the accepted state of ``source`` holds."""
        row = self.db.one("SELECT count(*) AS n FROM records WHERE source = ?", (source,))
        return int(row["n"]) if row else 0

    def list_counts(self, source: str) -> dict[str, int]:
        """Records per list in the accepted state of ``source`` (the gate's per-list base)."""
        rows = self.db.rows(
            "SELECT list_name, count(*) AS n FROM records WHERE source = ? GROUP BY list_name",
            (source,),
        )
        return {str(row["list_name"]): int(row["n"]) for row in rows}

    def window_counts(self, source: str, since: datetime) -> dict[str, tuple[int, int]]:
        """(added, removed) per list by the accepted runs of ``source`` detected since
        ``since`` and after its last reviewed acceptance (the gate's cumulative window:
        an operator's review resets it)."""
        rows = self.db.rows(
            "SELECT list_name, sum(kind = 'added') AS added, sum(kind = 'removed') AS removed"
            " FROM changes WHERE source = ? AND detected_at >= ? AND run_id >"
            " (SELECT coalesce(max(id), 0) FROM runs WHERE source = ? AND review_of IS NOT NULL)"
            " GROUP BY list_name",
            (source, codec.iso(since), source),
        )
        return {str(r["list_name"]): (int(r["added"]), int(r["removed"])) for r in rows}

    def accepted_raw_sha256(self, source: str) -> str | None:
        """The raw hash of the last accepted snapshot of ``source``."""
        state = self.source_state(source)
        return state.accepted_raw_sha256 if state else None

    def changes(
        self,
        *,
        source: str | None = None,
        since: datetime | None = None,
        from_run: int | None = None,
        to_run: int | None = None,
    ) -> list[StoredChange]:
        """Stored changes, by run then id; runs are selected by ``from_run < id <= to_run``."""
        where = codec.Filter()
        where.add("c.source = ?", source)
        where.add("c.detected_at >= ?", codec.iso(since) if since else None)
        where.add("c.run_id > ?", from_run)
        where.add("c.run_id <= ?", to_run)
        return self.load_changes(where.sql(), where.params)

    def last_changed_run(self, source: str | None = None) -> int | None:
        """The newest run whose outcome is 'changed'."""
        where = codec.Filter()
        where.add("outcome = ?", RunOutcome.CHANGED.value)
        where.add("source = ?", source)
        row = self.db.one(f"SELECT max(id) AS id FROM runs WHERE {where.sql()}", where.params)
        return None if row is None or row["id"] is None else int(row["id"])

    def runs(self, source: str | None = None, limit: int = 50) -> list[dict[str, object]]:
        """Run rows, newest first."""
        where = codec.Filter()
        where.add("source = ?", source)
        rows = self.db.rows(
            f"SELECT * FROM runs WHERE {where.sql()} ORDER BY id DESC LIMIT ?",
            [*where.params, limit],
        )
        return [dict(row) for row in rows]

    def problem_runs(self, limit: int = 10) -> list[ProblemRun]:
        """The newest failed or suspect runs, each with its reason (the error, or why the
        snapshot was held as suspect)."""
        rows = self.db.rows(
            "SELECT r.id, r.started_at, r.source, r.outcome,"
            " coalesce(r.error_message, s.reason, '') AS reason"
            " FROM runs r LEFT JOIN snapshots s ON s.id = r.snapshot_id"
            " WHERE r.outcome IN ('failed', 'suspect') ORDER BY r.id DESC LIMIT ?",
            (limit,),
        )
        return [
            {
                "id": row["id"],
                "started_at": row["started_at"],
                "source": row["source"],
                "outcome": row["outcome"],
                "reason": row["reason"],
            }
            for row in rows
        ]

    def statuses(self, sources: Sequence[tuple[str, bool]]) -> list[SourceStatus]:
        """Health of each (name, enabled) source, including sources that never ran."""
        return [self._status(name, enabled) for name, enabled in sources]

    def find_entities(self, query: str, limit: int = 50) -> list[tuple[str, str, str, str]]:
        """(source, key, name, country) by exact key, else by folded name (current or past),
        else by alias or Chinese name among the current records (``search``)."""
        text = query.strip()
        hits = self._entity_rows("key = ?", (text,))
        folded = fold_name(text)
        if not hits and folded:
            hits = self._entity_rows("instr(name_folded, ?) > 0", (folded,), folded)
        seen: dict[tuple[str, str], tuple[str, str, str, str]] = {}
        for row in hits:
            seen.setdefault((row["source"], row["key"]), codec.entity(row))
        if not seen:  # by alias or Chinese name, as `ecmon search` finds them
            for source, record in self.search(text, limit):
                seen.setdefault(
                    (source, record.key), (source, record.key, record.name, record.country)
                )
        return list(seen.values())[:limit]

    def timeline(self, source: str, key: str) -> list[TimelineEvent]:
        """An entity's history in time order, following renames in both directions."""
        keys = self._linked_keys(source, key)
        events = self._baseline_events(source, keys) + self._change_events(source, keys)
        valid = self.runs_valid_for([e.run_id for e in events])
        events = [replace(e, valid_for=valid.get(e.run_id, "")) for e in events]
        return sorted(events, key=lambda e: (e.run_id, e.change.id if e.change else 0))

    def runs_valid_for(self, run_ids: Sequence[int]) -> dict[int, str]:
        """The date each run's snapshot is valid for, where its source says (eCFR)."""
        ids = sorted(set(run_ids))
        if not ids:
            return {}
        rows = self.db.rows(
            "SELECT r.id, s.valid_for FROM runs r JOIN snapshots s ON s.id = r.snapshot_id"
            f" WHERE r.id IN ({','.join('?' * len(ids))}) AND s.valid_for IS NOT NULL",
            ids,
        )
        return {int(row["id"]): str(row["valid_for"]) for row in rows}

    def search(self, text: str, limit: int = 50) -> list[tuple[str, Record]]:
        """Full-text search over current names and aliases; every word is a prefix.

        A query with Chinese characters matches every word as a substring instead (the
        trigram index), because Chinese names are not written in separate words.
        """
        words = _WORD.findall(text)
        if not words:
            return []
        indexed = self._refresh_search_index()
        if not indexed or any(_CJK.search(word) for word in words):
            rows = self._substring_rows(words, limit, indexed=indexed)
        else:
            rows = self.db.rows(
                "SELECT r.source, r.record_z FROM records_fts"
                " JOIN records r ON r.id = records_fts.rowid"
                " WHERE records_fts MATCH ? ORDER BY records_fts.rank, r.id LIMIT ?",
                (" ".join(f'"{word}"*' for word in words), limit),
            )
        return [(row["source"], codec.record_from_blob(row["record_z"])) for row in rows]

    def _substring_rows(
        self, words: Sequence[str], limit: int, *, indexed: bool
    ) -> list[sqlite3.Row]:
        """Records whose name or alias text holds every word. Through the trigram index
        when it is fresh (it serves LIKE for words of three characters or more), else by
        a scan: a read-only database cannot rebuild a stale index, and a stale index
        would miss what changed since."""
        like = "LIKE ? ESCAPE '\\'"
        params: list[object] = [f"%{_like(w)}%" for w in words for _ in (0, 1)]
        if indexed:
            where = " AND ".join(f"(t.name {like} OR t.search_text {like})" for _ in words)
            return self.db.rows(
                "SELECT r.source, r.record_z FROM records_trigram t"
                f" JOIN records r ON r.id = t.rowid WHERE {where} ORDER BY r.id LIMIT ?",
                (*params, limit),
            )
        # Rows written since the last index build have no search text yet (it is built
        # with the index): those are matched here on the text they would get.
        where = " AND ".join(
            f"(r.name {like} OR r.search_text {like} OR r.search_text IS NULL)" for _ in words
        )
        found: list[sqlite3.Row] = []
        cursor = self.db.conn.cursor()
        cursor.row_factory = sqlite3.Row
        for row in cursor.execute(
            "SELECT r.source, r.record_z, r.name, r.search_text FROM records r"
            f" WHERE {where} ORDER BY r.id",
            params,
        ):
            if row["search_text"] is None and not _holds_all(words, row):
                continue
            found.append(row)
            if len(found) == limit:
                break
        return found

    def _refresh_search_index(self) -> bool:
        """Rebuild the full-text indexes if a write since the last search marked them
        stale; False when they are stale and this store may not write."""
        row = self.db.one("SELECT stale FROM search_state WHERE id = 1")
        if row is not None and not row["stale"]:
            return True
        if self.read_only:
            return False
        with self.db.transaction("search") as cur:
            # Search text is built here, once per written row, not by every run.
            missing = cur.execute(
                "SELECT id, record_z FROM records WHERE search_text IS NULL"
            ).fetchall()
            cur.executemany(
                "UPDATE records SET search_text = ? WHERE id = ?",
                ((codec.search_text(codec.record_from_blob(data)), id_) for id_, data in missing),
            )
            cur.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")
            cur.execute("INSERT INTO records_trigram (records_trigram) VALUES ('rebuild')")
            cur.execute("UPDATE search_state SET stale = 0 WHERE id = 1")
        return True

    def blob(self, sha256: str) -> bytes | None:
        """The raw bytes stored under ``sha256``, decompressed; None if unknown or
        released by the retention rule (the hash and size stay for provenance)."""
        row = self.db.one("SELECT size, data FROM blobs WHERE sha256 = ?", (sha256,))
        if row is None or (row["size"] and not row["data"]):
            return None
        return zlib.decompress(row["data"])

    # ---------------------------------------------------------------- writes

    def record_accepted(
        self,
        run: RunInfo,
        snapshot: Snapshot,
        changes: Sequence[Change],
        raw: bytes,
        *,
        baseline: bool,
    ) -> int:
        """Accept ``snapshot`` as the new state of its source; returns the run id.

        ``changes`` must be diff(accepted_records, snapshot.records); a mismatch
        raises StoreError and nothing is written. A baseline stores no changes.
        """
        _check_source(run, snapshot)
        outcome = w.accepted_outcome(changes, baseline=baseline)
        with self.db.transaction(run.source) as cur:
            writer = w.RunWriter(cur, run, outcome)
            sha = writer.put_blob(raw, expected=snapshot.raw_sha256)
            counts = {} if baseline else w.change_counts(changes)
            run_id = writer.insert_run(raw_sha256=sha, record_count=snapshot.count, **counts)
            snapshot_id = writer.insert_snapshot(snapshot, "accepted")
            if not baseline:
                writer.apply_changes(changes)
            if snapshot.partial and not baseline:
                writer.sync_partial(snapshot)
            else:
                writer.sync_records(snapshot.records, strict=not baseline)
                writer.replace_rows(snapshot.rows or {})
            cur.execute("UPDATE search_state SET stale = 1 WHERE id = 1")
            writer.mark_success(snapshot_id=snapshot_id, keep_validators=False)
            writer.supersede_held()
            writer.release_old_blobs(self.keep_raw)
        self.unrecorded.clear(run.source)
        return run_id

    def record_streamed_baseline(
        self,
        run: RunInfo,
        snapshot: Snapshot,
        raw: bytes,
        fill: Callable[[baseline.BaselineStream], int],
        problem_of: Callable[[int], str | None],
    ) -> tuple[int, int, str | None]:
        """Store a baseline read while it is written: (run id, records, gate problem).

        ``snapshot`` says where the bytes came from (its records are not used);
        ``fill`` writes the records batch by batch and returns how many there are;
        ``problem_of`` is the gate on that count. One transaction, as
        ``record_accepted``: a crash or an error in ``fill`` leaves nothing. A gate
        problem undoes the records (a savepoint) and keeps the run as
        ``record_suspect`` keeps it, its records held for review.
        """
        _check_source(run, snapshot)
        with self.db.transaction(run.source) as cur:
            if self._has_records(cur, run.source):
                raise StoreError("a streamed baseline needs a source without records",
                                 source=run.source)  # fmt: skip
            # The raw file is compressed on a second thread while the rows are read,
            # and its row written outside the savepoint: kept whatever the gate says.
            sha, blob = baseline.start_blob(
                w.RunWriter(cur, run, RunOutcome.BASELINE), raw, snapshot.raw_sha256
            )
            with blob:
                cur.execute("SAVEPOINT baseline")
                writer = w.RunWriter(cur, run, RunOutcome.BASELINE)
                run_id = writer.insert_run(raw_sha256=sha)
                stream = baseline.BaselineStream(writer)
                count = fill(stream)
                stream.finish()
                whole = replace(snapshot, records={}, total=count)
                problem = problem_of(count)
                held = None if problem is None else stream.held_blob()
                if held is not None:
                    cur.execute("ROLLBACK TO baseline")
                cur.execute("RELEASE baseline")
                blob.store()
            if problem is None:
                cur.execute("UPDATE runs SET record_count = ? WHERE id = ?", (count, run_id))
                snapshot_id = writer.insert_snapshot(whole, "accepted")
                cur.execute("UPDATE search_state SET stale = 1 WHERE id = 1")
                writer.mark_success(snapshot_id=snapshot_id, keep_validators=False)
                writer.supersede_held()
                writer.release_old_blobs(self.keep_raw)
            else:
                assert held is not None
                writer = w.RunWriter(cur, run, RunOutcome.SUSPECT)
                run_id = writer.insert_run(raw_sha256=sha, record_count=count)
                snapshot_id = writer.insert_snapshot(whole, "suspect", reason=problem)
                writer.keep_held_blob(snapshot_id, held)
                writer.mark_failure(problem)
                writer.release_old_blobs(self.keep_raw)
        self.unrecorded.clear(run.source)
        return run_id, count, problem

    @staticmethod
    def _has_records(cur: sqlite3.Cursor, source: str) -> bool:
        found = cur.execute("SELECT 1 FROM records WHERE source = ? LIMIT 1", (source,))
        return found.fetchone() is not None

    def record_unchanged(self, run: RunInfo, outcome: RunOutcome) -> int:
        """Record a NOT_MODIFIED (HTTP 304) or UNCHANGED (byte-identical) run."""
        if outcome not in _SUCCESS_OUTCOMES:
            raise ValueError(f"record_unchanged takes not_modified or unchanged, not {outcome}")
        with self.db.transaction(run.source) as cur:
            writer = w.RunWriter(cur, run, outcome)
            raw_sha = writer.accepted_raw_sha256() if outcome is RunOutcome.UNCHANGED else None
            run_id = writer.insert_run(raw_sha256=raw_sha, record_count=writer.current_count())
            writer.mark_success(snapshot_id=None, keep_validators=True)
            writer.supersede_held()  # the source serves the accepted state again
        self.unrecorded.clear(run.source)
        return run_id

    def record_suspect(self, run: RunInfo, snapshot: Snapshot, raw: bytes, reason: str) -> int:
        """Keep a snapshot for inspection without accepting it; counts as a failure.

        Its whole state is kept for review (``ecmon accept`` applies exactly it): a
        partial snapshot's records are completed from the accepted state."""
        _check_source(run, snapshot)
        held = dict(snapshot.records)
        if snapshot.partial:
            held = self.accepted_records(run.source)
            for key in snapshot.removed:
                held.pop(key, None)
            held.update(snapshot.records)
        with self.db.transaction(run.source) as cur:
            writer = w.RunWriter(cur, run, RunOutcome.SUSPECT)
            sha = writer.put_blob(raw, expected=snapshot.raw_sha256)
            run_id = writer.insert_run(raw_sha256=sha, record_count=snapshot.count)
            snapshot_id = writer.insert_snapshot(snapshot, "suspect", reason=reason)
            writer.keep_held(snapshot_id, held)
            writer.mark_failure(reason)
            writer.release_old_blobs(self.keep_raw)
        self.unrecorded.clear(run.source)
        return run_id

    def record_archived(self, run: RunInfo, snapshot: Snapshot, raw: bytes) -> int:
        """Keep an as-of snapshot (e.g. the eCFR on a past date) for later comparisons.

        Neither the accepted state nor the source's health changes: it is a cache of
        what the source said for ``snapshot.valid_for``, found again by ``as_of``.
        """
        _check_source(run, snapshot)
        if not snapshot.valid_for:
            raise ValueError("an archived snapshot needs the date it is valid for")
        with self.db.transaction(run.source) as cur:
            writer = w.RunWriter(cur, run, RunOutcome.ARCHIVED)
            sha = writer.put_blob(raw, expected=snapshot.raw_sha256)
            run_id = writer.insert_run(raw_sha256=sha, record_count=snapshot.count)
            writer.insert_snapshot(snapshot, "archived")
        return run_id

    def as_of(self, source: str, valid_for: str) -> tuple[str, bytes] | None:
        """(url, raw bytes) of a stored snapshot of ``source`` valid for that date."""
        row = self.db.one(
            "SELECT url, raw_sha256 FROM snapshots WHERE source = ? AND valid_for = ?"
            " AND status IN ('accepted', 'archived') ORDER BY id DESC LIMIT 1",
            (source, valid_for),
        )
        if row is None:
            return None
        raw = self.blob(row["raw_sha256"])
        return None if raw is None else (str(row["url"]), raw)

    def accepted_valid_for(self, source: str) -> str | None:
        """The date the accepted snapshot of ``source`` is valid for, if it says."""
        row = self.db.one(
            "SELECT s.valid_for FROM source_state st JOIN snapshots s"
            " ON s.id = st.accepted_snapshot_id WHERE st.source = ?",
            (source,),
        )
        return None if row is None or row["valid_for"] is None else str(row["valid_for"])

    def record_failure(self, run: RunInfo, error: EcmonError, raw: bytes | None = None) -> int:
        """Record a failed run (and its raw bytes, if any, for replay)."""
        with self.db.transaction(run.source) as cur:
            writer = w.RunWriter(cur, run, RunOutcome.FAILED)
            sha = writer.put_blob(raw) if raw is not None else None
            run_id = writer.insert_run(
                raw_sha256=sha,
                error_kind=error.kind,
                error_message=str(error),
            )
            writer.mark_failure(str(error))
            # Failed runs' bytes fall under raw_keep too (15 failures of 2 MB kept 30 MB).
            writer.release_old_blobs(self.keep_raw)
        self.unrecorded.clear(run.source)
        return run_id

    # --------------------------------------------------------------- helpers

    def load_changes(self, where: str, params: Sequence[object]) -> list[StoredChange]:
        rows = self.db.rows(
            "SELECT c.*, r.url AS run_url, r.finished_at, s.url AS snapshot_url,"
            " s.raw_sha256, s.fetched_at, s.valid_for FROM changes c JOIN runs r ON r.id = c.run_id"
            f" LEFT JOIN snapshots s ON s.id = r.snapshot_id WHERE {where}"
            " ORDER BY c.run_id, c.id",
            params,
        )
        return [codec.stored_change(row) for row in rows]

    def note_unrecorded(self, source: str, at: datetime, error: str) -> bool:
        """Keep, beside the database, a failure of ``source`` the database refused;
        ``status`` and the daemon's health read it until the next recorded run."""
        return self.unrecorded.note(source, codec.iso(at), error)

    def _status(self, source: str, enabled: bool) -> SourceStatus:
        status = self._recorded_status(source, enabled)
        note = self.unrecorded.notes().get(source)
        if note is None:
            return status
        return replace(
            status,
            last_outcome=RunOutcome.FAILED.value,
            last_run_at=note.at,
            consecutive_failures=status.consecutive_failures + 1,
            last_error=f"not recorded in the database: {note.error}",
            suspect_reason=None,
            details={**status.details, "unrecorded": f"{note.at}: {note.error}"},
        )

    def _recorded_status(self, source: str, enabled: bool) -> SourceStatus:
        state = self.db.one("SELECT * FROM source_state WHERE source = ?", (source,))
        suspect = self.db.one(
            "SELECT s.reason FROM source_state st JOIN snapshots s ON s.run_id = st.last_run_id"
            " WHERE st.source = ? AND st.last_outcome = ?",
            (source, RunOutcome.SUSPECT.value),
        )
        return SourceStatus(
            source=source,
            enabled=enabled,
            last_outcome=state["last_outcome"] if state else None,
            last_run_at=state["last_run_at"] if state else None,
            last_success_at=state["last_success_at"] if state else None,
            consecutive_failures=state["consecutive_failures"] if state else 0,
            last_error=state["last_error"] if state else None,
            record_count=self.record_count(source),
            suspect_reason=suspect["reason"] if suspect else None,
        )

    def _entity_rows(
        self, condition: str, params: Sequence[object], folded: str = ""
    ) -> list[sqlite3.Row]:
        """Current records, then past versions, matching ``condition``; exact names first."""
        return self.db.rows(
            "SELECT source, key, name, country, name_folded = ? AS exact, 1 AS current, id"
            f" FROM records WHERE {condition} UNION ALL"
            " SELECT source, key, name, country, name_folded = ? AS exact, 0 AS current, id"
            f" FROM record_versions WHERE {condition}"
            " ORDER BY exact DESC, current DESC, id DESC",
            (folded, *params, folded, *params),
        )

    def _baseline_events(self, source: str, keys: Sequence[str]) -> list[TimelineEvent]:
        marks = ",".join("?" * len(keys))
        rows = self.db.rows(
            "SELECT coalesce(v.record_z, c.record_z) AS record_z, v.from_run,"
            " coalesce(s.fetched_at, r.finished_at) AS at"
            " FROM record_versions v JOIN runs r ON r.id = v.from_run"
            " LEFT JOIN records c ON v.to_run IS NULL AND c.source = v.source AND c.key = v.key"
            " LEFT JOIN snapshots s ON s.id = r.snapshot_id WHERE v.source = ?"
            f" AND r.outcome = ? AND v.key IN ({marks}) ORDER BY v.id",
            (source, RunOutcome.BASELINE.value, *keys),
        )
        return [
            TimelineEvent(
                at=row["at"],
                run_id=row["from_run"],
                source=source,
                kind="baseline",
                record=codec.record_from_blob(row["record_z"]),
            )
            for row in rows
        ]

    def _change_events(self, source: str, keys: Sequence[str]) -> list[TimelineEvent]:
        marks = ",".join("?" * len(keys))
        where = f"c.source = ? AND (c.key IN ({marks}) OR c.previous_key IN ({marks}))"
        return [
            TimelineEvent(
                at=codec.iso(stored.provenance.fetched_at),
                run_id=stored.provenance.run_id,
                source=source,
                kind=_event_kind(stored.change.kind, stored.change.labels),
                record=stored.change.record,
                change=stored,
            )
            for stored in self.load_changes(where, [source, *keys, *keys])
        ]

    def _linked_keys(self, source: str, key: str) -> tuple[str, ...]:
        """``key`` plus every key it was renamed from or to (transitively)."""
        keys = {key}
        while True:
            marks = ",".join("?" * len(keys))
            rows = self.db.rows(
                "SELECT key, previous_key FROM changes WHERE source = ? AND previous_key"
                f" IS NOT NULL AND (key IN ({marks}) OR previous_key IN ({marks}))",
                (source, *keys, *keys),
            )
            found = keys | {row["key"] for row in rows} | {row["previous_key"] for row in rows}
            if found == keys:
                return tuple(sorted(keys))
            keys = found


def _check_source(run: RunInfo, snapshot: Snapshot) -> None:
    if run.source != snapshot.source:
        raise StoreError(
            f"snapshot of {snapshot.source!r} recorded for run of {run.source!r}",
            source=run.source,
        )


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _holds_all(words: Sequence[str], row: sqlite3.Row) -> bool:
    """Whether the name or the search text a row would get holds every word, as SQLite's
    LIKE finds it (ASCII letters in either case)."""
    text = codec.search_text(codec.record_from_blob(row["record_z"]))
    haystacks = [row["name"].translate(_ASCII_LOWER), text.translate(_ASCII_LOWER)]
    return all(any(w.translate(_ASCII_LOWER) in h for h in haystacks) for w in words)


def _missing(path: Path) -> StoreError:
    return StoreError(
        f"no database at {path}: check --db, ECMON_DB or 'database' in the config "
        "(only ecmon run, backfill, demo and daemon create one)"
    )


def _schema_version_or_zero(conn: sqlite3.Connection) -> int:
    try:
        return schema_version(conn)
    except sqlite3.OperationalError:  # no schema_migrations table yet: a new database
        return 0


def _event_kind(kind: str, labels: Sequence[str]) -> str:
    """A timeline step's name: a key change is a rename only when the name changed
    (the key holds the country too, so a move to another country is "moved")."""
    if "renamed" in labels:
        return "renamed"
    if "country_changed" in labels:
        return "moved"
    return kind
