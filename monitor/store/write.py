"""The write half of the store: the SQL one run issues inside its transaction.

Used only by ``monitor.store.store``, which opens the transaction and hands a cursor
to a ``RunWriter``. Everything here is plain parameterised SQL on that cursor:
sqlite-utils' write helpers manage transactions of their own.

``records`` holds the current accepted state; ``record_versions`` one row per
distinct version (``to_run`` NULL while current; a version's JSON is kept there only
once it is replaced, the current one being the ``records`` row). Search text is built
with the search index, not here. Changes are applied first
(so each change moves exactly the rows it names), then the state is reconciled
against the snapshot: a key or content difference left over means the changes
were not diff(accepted, snapshot) and the run is refused; a difference in
``meta`` or in the order of a multi-valued field (neither is a change) is
refreshed in place so the stored state equals the snapshot exactly.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from monitor.errors import StoreError
from monitor.keys import fold_name
from monitor.models import (
    Change,
    Record,
    RunInfo,
    RunOutcome,
    Snapshot,
)
from monitor.redact import redact_url
from monitor.store import codec


def accepted_outcome(changes: Sequence[Change], *, baseline: bool) -> RunOutcome:
    if baseline:
        return RunOutcome.BASELINE
    return RunOutcome.CHANGED if changes else RunOutcome.UNCHANGED


def change_counts(changes: Iterable[Change]) -> dict[str, int]:
    counts = {"added": 0, "removed": 0, "modified": 0}
    for change in changes:
        counts[change.kind] += 1
    return counts


# The columns ``RunWriter._insert_records`` fills, in its tuples' order (``_record_row``'s).
_RECORD_COLUMNS = (
    "source", "key", "list_name", "name", "name_folded", "country", "content_hash",
    "record_z", "search_text", "first_seen_run", "last_changed_run",
)  # fmt: skip
_VERSION_COLUMNS = ("source", "key", "name", "name_folded", "country", "content_hash", "from_run")
_INSERT_RECORDS = (
    f"INSERT INTO records ({', '.join(_RECORD_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_RECORD_COLUMNS))})"
)
_INSERT_VERSIONS = (
    f"INSERT INTO record_versions ({', '.join(_VERSION_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_VERSION_COLUMNS))})"
)


# zlib level of a stored raw file: 1 compresses the real 2022 CSL (5.8 MB) in 43 ms to
# 1.62 MB where level 6 took 122 ms for 1.39 MB; a blob is written once per distinct file,
# in the run's transaction, and read back only for a replay or an export.
RAW_LEVEL = 1


def _insert_many(cur: sqlite3.Cursor, table: str, rows: Sequence[Mapping[str, object]]) -> None:
    """INSERT rows that all have the same columns (ours, never user input)."""
    if not rows:
        return
    columns = list(rows[0])
    marks = ", ".join("?" * len(columns))
    cur.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        [tuple(row[c] for c in columns) for row in rows],
    )


def _insert(cur: sqlite3.Cursor, table: str, row: Mapping[str, object]) -> int:
    """INSERT one row (column names are ours, never user input); returns its rowid."""
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    cur.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values()))
    assert cur.lastrowid is not None
    return cur.lastrowid


class RunWriter:
    """Writes one run's rows on a cursor whose transaction the caller owns."""

    def __init__(self, cur: sqlite3.Cursor, run: RunInfo, outcome: RunOutcome) -> None:
        self.cur = cur
        self.run = run
        self.outcome = outcome
        self.source = run.source
        self.at = codec.iso(run.finished_at)
        self.run_id = 0

    # ------------------------------------------------------------ run rows

    def put_blob(self, raw: bytes, expected: str | None = None) -> str:
        """Store ``raw`` once per distinct content; returns its sha256."""
        sha = self.checked_sha(raw, expected)
        if not self.has_blob(sha):  # stored once: no need to compress it again
            self.insert_blob(sha, len(raw), zlib.compress(raw, RAW_LEVEL))
        return sha

    def checked_sha(self, raw: bytes, expected: str | None) -> str:
        sha = hashlib.sha256(raw).hexdigest()
        if expected is not None and expected != sha:
            raise StoreError(
                f"snapshot raw_sha256 {expected} is not the hash of its raw bytes ({sha})",
                source=self.source,
            )
        return sha

    def has_blob(self, sha: str) -> bool:
        found = self.cur.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha,))
        return found.fetchone() is not None

    def insert_blob(self, sha: str, size: int, data: bytes) -> None:
        self.cur.execute(
            "INSERT INTO blobs (sha256, size, data, first_seen_at) VALUES (?, ?, ?, ?)",
            (sha, size, data, self.at),
        )

    def insert_run(self, **columns: object) -> int:
        row = {
            "source": self.source,
            "url": redact_url(self.run.url),
            "started_at": codec.iso(self.run.started_at),
            "finished_at": self.at,
            "outcome": self.outcome.value,
            "http_status": self.run.http_status,
            **columns,
        }
        self.run_id = _insert(self.cur, "runs", row)
        return self.run_id

    def insert_snapshot(self, snapshot: Snapshot, status: str, reason: str | None = None) -> int:
        """A snapshot row for this run (the records themselves are not kept here)."""
        snapshot_id = _insert(
            self.cur,
            "snapshots",
            {
                "source": snapshot.source,
                "run_id": self.run_id,
                "raw_sha256": snapshot.raw_sha256,
                "url": redact_url(snapshot.url),
                "fetched_at": codec.iso(snapshot.fetched_at),
                "valid_for": snapshot.valid_for,
                "record_count": snapshot.count,
                "status": status,
                "reason": reason,
            },
        )
        self.cur.execute("UPDATE runs SET snapshot_id = ? WHERE id = ?", (snapshot_id, self.run_id))
        return snapshot_id

    def keep_held(self, snapshot_id: int, records: Mapping[str, Record]) -> None:
        """Keep a suspect snapshot's whole state for review, so accepting it later applies
        exactly what was held (not a re-parse by a newer parser)."""
        self.keep_held_blob(snapshot_id, codec.records_blob(records.values()))

    def keep_held_blob(self, snapshot_id: int, blob: bytes) -> None:
        """``keep_held`` with the records already as ``codec.records_blob``."""
        self.cur.execute(
            "UPDATE snapshots SET review = 'pending', records_data = ? WHERE id = ?",
            (blob, snapshot_id),
        )

    def supersede_held(self, before_run: int | None = None) -> None:
        """A newer good snapshot was accepted: this source's snapshots still waiting for
        review (held by runs before ``before_run``, default: all) are superseded, and
        their kept records released."""
        self.cur.execute(
            "UPDATE snapshots SET review = 'superseded', records_data = NULL,"
            " reviewed_at = ?, review_run_id = ?"
            " WHERE source = ? AND review = 'pending' AND run_id < ?",
            (self.at, self.run_id, self.source, before_run or self.run_id),
        )

    def accepted_raw_sha256(self) -> str | None:
        row = self.cur.execute(
            "SELECT s.raw_sha256 FROM source_state st JOIN snapshots s"
            " ON s.id = st.accepted_snapshot_id WHERE st.source = ?",
            (self.source,),
        ).fetchone()
        return None if row is None else str(row[0])

    def current_count(self) -> int:
        row = self.cur.execute(
            "SELECT count(*) FROM records WHERE source = ?", (self.source,)
        ).fetchone()
        return int(row[0])

    def release_old_blobs(self, keep: int) -> None:
        """Release the raw bytes of this source's runs older than its newest ``keep``.

        A list that changes most days would otherwise store a whole new file per day.
        The accepted snapshot's bytes and archived (as-of) snapshots are kept; a
        released blob keeps its row, hash and size, so provenance stays checkable.
        The bytes are set to an empty blob (the column is NOT NULL); the freed pages
        are reused by SQLite.
        """
        self.cur.execute(
            "UPDATE blobs SET data = X'' WHERE length(data) > 0"
            " AND sha256 IN (SELECT raw_sha256 FROM runs WHERE source = :s)"
            " AND sha256 NOT IN (SELECT raw_sha256 FROM runs WHERE source = :s"
            "   AND raw_sha256 IS NOT NULL ORDER BY id DESC LIMIT :keep)"
            " AND sha256 NOT IN (SELECT raw_sha256 FROM snapshots WHERE status = 'archived')"
            # a snapshot held for review keeps its bytes until it is decided
            " AND sha256 NOT IN (SELECT raw_sha256 FROM snapshots WHERE review = 'pending')"
            " AND sha256 NOT IN (SELECT s.raw_sha256 FROM snapshots s JOIN source_state st"
            "   ON s.id = st.accepted_snapshot_id)",
            {"s": self.source, "keep": max(keep, 1)},
        )

    # -------------------------------------------------------- source_state

    def _touch_state(self) -> None:
        self.cur.execute(
            "INSERT INTO source_state (source) VALUES (?) ON CONFLICT (source) DO NOTHING",
            (self.source,),
        )
        self.cur.execute(
            "UPDATE source_state SET last_run_id = ?, last_run_at = ?, last_outcome = ?"
            " WHERE source = ?",
            (self.run_id, self.at, self.outcome.value, self.source),
        )

    def mark_success(self, *, snapshot_id: int | None, keep_validators: bool) -> None:
        """Reset the failure streak; save validators (kept when not given and asked to)."""
        self._touch_state()
        etag, modified = (
            ("coalesce(?, etag)", "coalesce(?, last_modified)") if keep_validators else ("?", "?")
        )
        self.cur.execute(
            "UPDATE source_state SET last_success_at = ?, consecutive_failures = 0,"
            " last_error = NULL, accepted_snapshot_id = coalesce(?, accepted_snapshot_id),"
            f" etag = {etag}, last_modified = {modified} WHERE source = ?",
            (self.at, snapshot_id, self.run.etag, self.run.last_modified, self.source),
        )

    def mark_failure(self, error: str) -> None:
        """Lengthen the failure streak; validators and accepted state stay as they were."""
        self._touch_state()
        self.cur.execute(
            "UPDATE source_state SET consecutive_failures = consecutive_failures + 1,"
            " last_error = ? WHERE source = ?",
            (error, self.source),
        )

    # ------------------------------------------------------------- records

    def apply_changes(self, changes: Iterable[Change]) -> None:
        """Move the rows each change names and store the change itself."""
        for change in changes:
            self._apply(change)
            self._insert_change(change)

    def _apply(self, change: Change) -> None:
        if change.kind == "removed":
            self._remove(change.key)
            return
        if change.after is None:
            raise StoreError(
                f"{change.kind} change of {change.key} has no after", source=self.source
            )
        if change.previous_key is not None:
            first_seen = self._remove(change.previous_key)
            self._add(change.after, first_seen=first_seen)
        elif change.kind == "added":
            self._add(change.after)
        else:
            self._replace(change.after)

    def _insert_change(self, change: Change) -> None:
        row = {"run_id": self.run_id, "source": self.source, "detected_at": self.at}
        _insert(self.cur, "changes", {**row, **codec.change_columns(change)})

    def sync_records(self, records: Mapping[str, Record], *, strict: bool) -> None:
        """Make the current state equal ``records``.

        ``strict``: the changes were already applied, so only meta/order may differ;
        anything else raises. Otherwise (a baseline) adds, removes and replaces rows.
        Stored JSON is compared row by row, never held all at once (a 20,000-record
        list would hold ~20 MB of text).
        """
        stored = {
            str(key): str(content_hash)
            for key, content_hash in self.cur.execute(
                "SELECT key, content_hash FROM records WHERE source = ?", (self.source,)
            )
        }
        gone = stored.keys() - records.keys()
        new = records.keys() - stored.keys()
        moved = {k for k in records.keys() & stored.keys() if stored[k] != records[k].content_hash}
        if strict and (gone or new or moved):
            example = sorted(gone | new | moved)[0]
            raise StoreError(
                f"changes do not match the snapshot: {len(gone | new | moved)} keys differ"
                f" (e.g. {example!r})",
                source=self.source,
            )
        for key in sorted(gone):
            self._remove(key)
        self._add_many([records[key] for key in sorted(new)])
        for key in sorted(moved):
            self._replace(records[key])
        self._refresh_unchanged(records, skip=gone | new | moved)

    def sync_partial(self, snapshot: Snapshot) -> None:
        """The state after a partial snapshot's changes: only its keys are looked at.

        The changes were applied, so each key of ``snapshot.records`` must hold its
        record's content and each removed key be gone (else the run is refused, as
        ``sync_records`` refuses); a differing meta or order is refreshed. Keys the
        snapshot does not name are the accepted records unchanged: only their number is
        checked. Their rows' digests then follow.
        """
        assert snapshot.rows is not None
        stored = self._stored(sorted(snapshot.records.keys() | snapshot.removed))
        wrong = [k for k in snapshot.removed if k in stored]
        wrong += [
            k for k, r in snapshot.records.items() if stored.get(k, ("", ""))[0] != r.content_hash
        ]
        count = self.current_count()
        if wrong or count != snapshot.count:
            example = f" (e.g. {sorted(wrong)[0]!r})" if wrong else ""
            raise StoreError(
                f"changes do not match the snapshot: {len(wrong)} keys differ{example},"
                f" {count} records stored for {snapshot.count}",
                source=self.source,
            )
        for key, record in sorted(snapshot.records.items()):
            if stored[key][1] != codec.record_json(record):
                self._refresh(record)
        self._delete_rows(snapshot.stale_rows)
        self._insert_rows(snapshot.rows)

    def _stored(self, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        """key -> (content hash, record JSON) of those of ``keys`` that are stored."""
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, content_hash, data in self.cur.execute(
                "SELECT key, content_hash, record_z FROM records"
                f" WHERE source = ? AND key IN ({marks})",
                (self.source, *chunk),
            ):
                found[str(key)] = (str(content_hash), codec.unpack_json(data))
        return found

    def replace_rows(self, rows: Mapping[str, tuple[bytes, ...]]) -> None:
        """The source's row digests are exactly ``rows`` (none for a state written whole)."""
        self.cur.execute("DELETE FROM record_rows WHERE source = ?", (self.source,))
        self._insert_rows(rows)

    def _delete_rows(self, digests: Iterable[bytes]) -> None:
        self.cur.executemany(
            "DELETE FROM record_rows WHERE source = ? AND digest = ?",
            ((self.source, digest) for digest in digests),
        )

    def _insert_rows(self, rows: Mapping[str, tuple[bytes, ...]]) -> None:
        self.cur.executemany(
            "INSERT INTO record_rows (source, digest, key, n) VALUES (?, ?, ?, ?)",
            (
                (self.source, digest, key, n)
                for key, digests in rows.items()
                for digest, n in (
                    ((digests[0], 1),) if len(digests) == 1 else Counter(digests).items()
                )
            ),
        )

    def _refresh_unchanged(self, records: Mapping[str, Record], skip: set[str]) -> None:
        """Rewrite rows whose content is the same but whose meta or order changed."""
        rows = self.cur.execute(
            "SELECT key, record_z FROM records WHERE source = ?", (self.source,)
        )
        stale = [
            records[key]
            for key, data in rows
            if key not in skip
            and key in records
            and codec.unpack_json(data) != codec.record_json(records[key])
        ]
        for record in stale:
            self._refresh(record)

    def _add_many(self, records: Sequence[Record]) -> None:
        """Insert new current rows and open their versions, in batches.

        A baseline inserts every record of a snapshot (tens of thousands): one
        serialisation per record and ``executemany`` instead of two statements each.
        """
        dropped = self._drop_indexes() if self._worth_reindexing(len(records)) else []
        for start in range(0, len(records), 1000):
            self._insert_records(records[start : start + 1000])
        for sql in dropped:  # a duplicate key fails here, and the run rolls back
            self.cur.execute(sql)

    def _insert_records(self, records: Sequence[Record]) -> None:
        """New current rows and their open versions, one ``executemany`` each (the values
        built as tuples in ``_RECORD_COLUMNS`` order: no dict per row, as ``_add`` makes)."""
        run_id = self.run_id
        rows = []
        for record in records:
            text, content_hash = record.json_and_hash()
            rows.append(
                (self.source, record.key, record.list_name, record.name,
                 fold_name(record.name), record.country, content_hash, codec.pack_json(text),
                 None, run_id, run_id)  # search_text: built with the search index
            )  # fmt: skip
        self.cur.executemany(_INSERT_RECORDS, rows)
        self.cur.executemany(
            _INSERT_VERSIONS, [(*row[:2], *row[3:7], run_id) for row in rows]
        )

    def _worth_reindexing(self, adding: int, least: int = 5000) -> bool:
        """Whether inserting ``adding`` rows before building the secondary indexes beats
        keeping them up to date row by row: a large insert into a table no larger
        (``least``: the smallest insert called large)."""
        if adding < least:
            return False
        row = self.cur.execute("SELECT count(*) FROM record_versions").fetchone()
        return int(row[0]) <= adding

    def _drop_indexes(self) -> list[str]:
        """Drop the indexes of the record tables; returns the SQL that makes them again."""
        found = self.cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('records', 'record_versions')"
        ).fetchall()
        for name, _sql in found:
            self.cur.execute(f'DROP INDEX "{name}"')
        return [str(sql) for _name, sql in found]

    def _record_row(self, record: Record, first_seen: int | None = None) -> dict[str, object]:
        text, content_hash = record.json_and_hash()
        return {
            "source": self.source,
            "key": record.key,
            "list_name": record.list_name,
            "name": record.name,
            "name_folded": fold_name(record.name),
            "country": record.country,
            "content_hash": content_hash,
            "record_z": codec.pack_json(text),
            "search_text": None,  # built with the search index (``Store.search``)
            "first_seen_run": first_seen or self.run_id,
            "last_changed_run": self.run_id,
        }

    def _version_row(self, row: Mapping[str, object]) -> dict[str, object]:
        # No JSON: a current version's record is the ``records`` row (copied at close).
        names = ("source", "key", "name", "name_folded", "country", "content_hash")
        return {**{name: row[name] for name in names}, "from_run": self.run_id}

    def _add(self, record: Record, first_seen: int | None = None) -> None:
        row = self._record_row(record, first_seen)
        _insert(self.cur, "records", row)
        _insert(self.cur, "record_versions", self._version_row(row))

    def _remove(self, key: str) -> int:
        """Delete the current row of ``key`` and close its version; returns first_seen_run."""
        row = self.cur.execute(
            "SELECT first_seen_run FROM records WHERE source = ? AND key = ?", (self.source, key)
        ).fetchone()
        if row is None:
            raise StoreError(
                f"cannot remove {key!r}: it is not in the accepted state", source=self.source
            )
        self._close_version(key)
        self.cur.execute("DELETE FROM records WHERE source = ? AND key = ?", (self.source, key))
        return int(row[0])

    def update_current(self, record: Record, *, changed_run: int | None) -> None:
        """Rewrite the ``records`` row of ``record.key`` (its search text is built again
        with the index); ``changed_run`` None keeps its ``last_changed_run``."""
        self.cur.execute(
            "UPDATE records SET list_name = ?, name = ?, name_folded = ?, country = ?,"
            " content_hash = ?, record_z = ?, search_text = NULL,"
            " last_changed_run = coalesce(?, last_changed_run) WHERE source = ? AND key = ?",
            (
                record.list_name,
                record.name,
                fold_name(record.name),
                record.country,
                record.content_hash,
                codec.record_blob(record),
                changed_run,
                self.source,
                record.key,
            ),
        )

    def _replace(self, record: Record) -> None:
        self._close_version(record.key)  # first: it keeps the JSON being replaced
        self.update_current(record, changed_run=self.run_id)
        if self.cur.rowcount != 1:
            raise StoreError(
                f"cannot modify {record.key!r}: it is not in the accepted state", source=self.source
            )
        self._open_version(record)

    def _refresh(self, record: Record) -> None:
        """Same content, different meta or order: rewrite the JSON, no new version (the
        current version's JSON is the ``records`` row)."""
        self.cur.execute(
            "UPDATE records SET record_z = ?, search_text = NULL WHERE source = ? AND key = ?",
            (codec.record_blob(record), self.source, record.key),
        )

    def _open_version(self, record: Record) -> None:
        """A current version: its JSON stays in ``records`` until ``_close_version``."""
        _insert(
            self.cur,
            "record_versions",
            {
                "source": self.source,
                "key": record.key,
                "name": record.name,
                "name_folded": fold_name(record.name),
                "country": record.country,
                "content_hash": record.content_hash,
                "from_run": self.run_id,
            },
        )

    def _close_version(self, key: str) -> None:
        """End the current version of ``key``, keeping its JSON: call it before the
        ``records`` row is replaced or deleted."""
        self.cur.execute(
            "UPDATE record_versions SET to_run = ?, record_z = (SELECT record_z"
            " FROM records WHERE source = ? AND key = ?)"
            " WHERE source = ? AND key = ? AND to_run IS NULL",
            (self.run_id, self.source, key, self.source, key),
        )
