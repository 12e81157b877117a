"""The store's schema and its numbered migrations (used only by ``monitor.store.store``).

Each migration is a function ``_migration_N(db)`` that receives a
``sqlite_utils.Database``; ``apply_migrations`` runs every pending one in its own
``BEGIN IMMEDIATE`` transaction and records it in ``schema_migrations``. The
version is re-read inside that transaction, so two processes opening a fresh
database at once apply each migration exactly once. sqlite-utils (4.x) nests its
DDL helpers in savepoints when a transaction is open, so they never commit ours.

Tables (timestamps are ISO-8601 UTC text):

- ``source_state``: one row per source: validators, last run, failure streak,
  the accepted snapshot.
- ``runs``: one row per run, whatever its outcome.
- ``blobs``: raw bytes, zlib-compressed, stored once per distinct sha256.
- ``snapshots``: one row per accepted or suspect snapshot (not the records).
- ``records``: the current accepted state, unique on (source, key), with an
  FTS5 index over name + search_text kept in sync by triggers. It has its own
  ``INTEGER PRIMARY KEY`` because an external-content FTS table addresses rows
  by rowid, and only an aliased rowid survives ``VACUUM``.
- ``record_versions``: one row per distinct version of a record
  (``to_run`` NULL while current), so history grows with changes, not runs; its
  record JSON is set when the version is replaced (the current one is ``records``').
- ``changes``: every reported change with its field detail and labels.
- ``record_rows``: the digests of the raw rows each current record was built from.
- held (suspect) snapshots keep their records and review (``_migration_9``).
- URLs and texts stored before redaction are redacted in place (``_migration_11``).
- record JSON (of ``records`` and ``record_versions``) is stored packed in ``record_z``
  (``_migration_12``, ``codec.pack_json``); the tables' ``record_json`` became it.
- ``sector_tags``: each record version's sector tags, once computed (``_migration_13``,
  ``monitor.store.tags``).
- ``listing_facts``: a current record's listing facts for link events, once read from its
  packed JSON (``_migration_14``, ``monitor.store.analysis.listing_facts``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.models import utc_iso
from monitor.redact import redact_text

if TYPE_CHECKING:  # imported at run time only when a migration is pending
    from sqlite_utils import Database

FTS_TOKENIZER = "unicode61 remove_diacritics 2"


def _migration_1(db: Database) -> None:
    """The initial schema."""
    db.table("source_state").create(
        {
            "source": str,
            "etag": str,
            "last_modified": str,
            "last_run_id": int,
            "last_run_at": str,
            "last_success_at": str,
            "last_outcome": str,
            "consecutive_failures": int,
            "last_error": str,
            "accepted_snapshot_id": int,
        },
        pk="source",
        not_null=["consecutive_failures"],
        defaults={"consecutive_failures": 0},
    )
    db.table("runs").create(
        {
            "id": int,
            "source": str,
            "url": str,
            "started_at": str,
            "finished_at": str,
            "outcome": str,
            "http_status": int,
            "raw_sha256": str,
            "record_count": int,
            "added": int,
            "removed": int,
            "modified": int,
            "error_kind": str,
            "error_message": str,
            "snapshot_id": int,
        },
        pk="id",
        not_null=["source", "url", "started_at", "finished_at", "outcome"],
        defaults={"added": 0, "removed": 0, "modified": 0},
    )
    db.table("runs").create_index(["source", "id"])
    db.table("runs").create_index(["outcome", "id"])
    db.table("blobs").create(
        {"sha256": str, "size": int, "data": bytes, "first_seen_at": str},
        pk="sha256",
        not_null=["size", "data", "first_seen_at"],
    )
    db.table("snapshots").create(
        {
            "id": int,
            "source": str,
            "run_id": int,
            "raw_sha256": str,
            "url": str,
            "fetched_at": str,
            "valid_for": str,
            "record_count": int,
            "status": str,
            "reason": str,
        },
        pk="id",
        not_null=["source", "run_id", "raw_sha256", "url", "fetched_at", "status"],
        foreign_keys=[("run_id", "runs", "id"), ("raw_sha256", "blobs", "sha256")],
    )
    db.table("snapshots").create_index(["source", "id"])
    db.table("snapshots").create_index(["run_id"])
    _create_record_tables(db)
    _create_changes_table(db)


def _create_record_tables(db: Database) -> None:
    db.table("records").create(
        {
            "id": int,
            "source": str,
            "key": str,
            "list_name": str,
            "name": str,
            "name_folded": str,
            "country": str,
            "content_hash": str,
            "record_json": str,
            "search_text": str,
            "first_seen_run": int,
            "last_changed_run": int,
        },
        pk="id",
        not_null=["source", "key", "name", "name_folded", "content_hash", "record_json"],
    )
    db.table("records").create_index(["source", "key"], unique=True)
    db.table("records").create_index(["name_folded"])
    db.table("records").enable_fts(
        ["name", "search_text"], create_triggers=True, tokenize=FTS_TOKENIZER
    )
    db.table("record_versions").create(
        {
            "id": int,
            "source": str,
            "key": str,
            "name": str,
            "name_folded": str,
            "country": str,
            "content_hash": str,
            "record_json": str,
            "from_run": int,
            "to_run": int,
        },
        pk="id",
        not_null=[
            "source",
            "key",
            "name",
            "name_folded",
            "content_hash",
            "record_json",
            "from_run",
        ],
        foreign_keys=[("from_run", "runs", "id"), ("to_run", "runs", "id")],
    )
    db.table("record_versions").create_index(["source", "key", "to_run"])
    db.table("record_versions").create_index(["key"])
    db.table("record_versions").create_index(["name_folded"])


def _create_changes_table(db: Database) -> None:
    db.table("changes").create(
        {
            "id": int,
            "run_id": int,
            "source": str,
            "kind": str,
            "key": str,
            "previous_key": str,
            "list_name": str,
            "name": str,
            "country": str,
            "labels_json": str,
            "fields_json": str,
            "before_json": str,
            "after_json": str,
            "detected_at": str,
        },
        pk="id",
        not_null=["run_id", "source", "kind", "key", "detected_at"],
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("changes").create_index(["run_id"])
    db.table("changes").create_index(["source", "run_id"])
    db.table("changes").create_index(["key"])
    db.table("changes").create_index(["previous_key"])
    db.table("changes").create_index(["detected_at"])


def _migration_2(db: Database) -> None:
    """Watchlist hits and the analyst's decisions on them (issue 4; SQL in
    ``monitor.store.analysis``).

    ``watch_hits``: one row per (watch entry ref, source, record key) ever found at or
    above the threshold, with the latest score, reason and record content hash, the
    status (new | confirmed | dismissed) and the content hash the decision was made on:
    a dismissal holds only while the record's hash is unchanged. ``watch_decisions``:
    every confirm/dismiss, for the audit trail.
    """
    db.table("watch_hits").create(
        {
            "id": int,
            "ref": str,
            "watch_name": str,
            "source": str,
            "record_key": str,
            "list_name": str,
            "record_name": str,
            "country": str,
            "score": float,
            "reason": str,
            "content_hash": str,
            "status": str,
            "decided_hash": str,
            "decided_at": str,
            "decision_note": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "present": int,
        },
        pk="id",
        not_null=["ref", "source", "record_key", "score", "content_hash", "status"],
        defaults={"status": "new", "present": 1},
    )
    db.table("watch_hits").create_index(["ref", "source", "record_key"], unique=True)
    db.table("watch_hits").create_index(["source", "record_key"])
    db.table("watch_decisions").create(
        {
            "id": int,
            "hit_id": int,
            "status": str,
            "note": str,
            "content_hash": str,
            "decided_at": str,
        },
        pk="id",
        not_null=["hit_id", "status", "content_hash", "decided_at"],
        foreign_keys=[("hit_id", "watch_hits", "id")],
    )
    db.table("watch_decisions").create_index(["hit_id"])


def _migration_3(db: Database) -> None:
    """Digests and their delivery outbox (issue 5; SQL in ``monitor.store.outbox``).

    ``digests``: one row per queued digest; it covers the changes with
    ``first_change_id < id <= last_change_id`` and is delivered once every outbox row
    of it is sent. ``outbox``: one row per digest and recipient, holding the rendered
    message so a retry sends exactly what was queued.
    """
    db.table("digests").create(
        {
            "id": int,
            "created_at": str,
            "first_change_id": int,
            "last_change_id": int,
            "change_count": int,
            "health_key": str,
            "heartbeat": int,
            "subject": str,
            "delivered_at": str,
        },
        pk="id",
        not_null=["created_at", "first_change_id", "last_change_id", "change_count"],
        defaults={"health_key": "", "heartbeat": 0},
    )
    db.table("digests").create_index(["last_change_id"])
    db.table("outbox").create(
        {
            "id": int,
            "digest_id": int,
            "channel": str,
            "recipient": str,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "lease_until": str,
            "last_error": str,
            "message_id": str,
            "sender": str,
            "subject": str,
            "text_body": str,
            "html_body": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        not_null=[
            "digest_id",
            "channel",
            "recipient",
            "status",
            "attempts",
            "next_attempt_at",
            "message_id",
            "sender",
            "subject",
            "text_body",
            "html_body",
            "created_at",
        ],
        defaults={"attempts": 0},
        foreign_keys=[("digest_id", "digests", "id")],
    )
    db.table("outbox").create_index(["digest_id", "channel", "recipient"], unique=True)
    db.table("outbox").create_index(["message_id"], unique=True)
    db.table("outbox").create_index(["status", "next_attempt_at"])


def _migration_4(db: Database) -> None:
    """Search index rebuilt on demand instead of by per-row triggers.

    The triggers cost a third of a 20,000-record baseline; searches are rare next
    to runs. Writers mark the index stale; ``Store.search`` rebuilds it first.
    """
    for (name,) in db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'records'"
    ).fetchall():
        db.conn.execute(f'DROP TRIGGER "{name}"')
    db.conn.execute(
        "CREATE TABLE search_state (id INTEGER PRIMARY KEY CHECK (id = 1), stale INTEGER NOT NULL)"
    )
    db.conn.execute("INSERT INTO search_state (id, stale) VALUES (1, 1)")


def _migration_5(db: Database) -> None:
    """Health alerts and watchlist-hit alerts of the daemon (issue 6; SQL in
    ``monitor.store.alerts``).

    ``source_alerts``: one row per source that ever had an alert: its alert state
    (``broken`` or ``ok``), why, and when it last changed; the next alert is only sent
    on a change of this state, so each breakage gives one alert and one recovery.
    ``alert_messages``: one rendered mail per alert event and recipient, kept until the
    channel accepted it (retried with backoff like the digest outbox). ``alerted_hits``:
    the watchlist hits (at a record version) already alerted, so a hit is mailed once.
    """
    db.table("source_alerts").create(
        {"source": str, "state": str, "reason": str, "changed_at": str},
        pk="source",
        not_null=["state", "changed_at"],
    )
    db.table("alert_messages").create(
        {
            "id": int,
            "kind": str,
            "event_key": str,
            "source": str,
            "recipient": str,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "message_id": str,
            "sender": str,
            "subject": str,
            "text_body": str,
            "html_body": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        not_null=[
            "kind",
            "event_key",
            "recipient",
            "status",
            "attempts",
            "next_attempt_at",
            "message_id",
            "sender",
            "subject",
            "text_body",
            "html_body",
            "created_at",
        ],
        defaults={"attempts": 0},
    )
    db.table("alert_messages").create_index(["event_key", "recipient"], unique=True)
    db.table("alert_messages").create_index(["status", "next_attempt_at"])
    db.table("alerted_hits").create(
        {"hit_id": int, "content_hash": str, "alerted_at": str},
        pk=("hit_id", "content_hash"),
        not_null=["alerted_at"],
        foreign_keys=[("hit_id", "watch_hits", "id")],
    )


def _migration_6(db: Database) -> None:
    """A trigram index beside the word index, so a search finds Chinese substrings
    (``ecmon search 无人机`` finds BRINC无人机公司): FTS5's word tokenizer reads a run of
    Chinese characters as one word. Rebuilt with the word index (``search_state``)."""
    db.conn.execute(
        "CREATE VIRTUAL TABLE records_trigram USING fts5(name, search_text,"
        " content='records', content_rowid='id', tokenize='trigram')"
    )
    db.conn.execute("UPDATE search_state SET stale = 1")


def _migration_7(db: Database) -> None:
    """Row digests beside the records (issue 17): ``record_rows`` holds, for each record
    of a source read row by row (the CSL file), the digest of every raw row it was built
    from (``n``: how many identical rows), so the next run parses only new rows
    (``monitor.incremental``). A source's rows are complete or absent: a state written
    whole drops them, and the next run reads every row as new."""
    db.conn.execute(
        "CREATE TABLE record_rows (source TEXT NOT NULL, digest BLOB NOT NULL,"
        " key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (source, digest)) WITHOUT ROWID"
    )


def _migration_8(db: Database) -> None:
    """One outbox for every message (issue 11, item 4; SQL in ``monitor.store.outbox``).

    Alert mails (``alert_messages``, migration 5) move into ``outbox`` beside the digest
    messages, so one claim/send/retry path delivers both. An outbox row now says what it
    carries (``kind``: digest, broken, recovered, watchlist_hit, test); ``digest_id`` is
    set for digest rows only and ``event_key`` (one message per event, channel and
    recipient) for alerts. ``lease_owner`` names the process holding a ``sending`` row
    (host and pid), so ``--retry-now`` can take back a row whose sender crashed without
    waiting out the lease. SQLite cannot drop a NOT NULL, so the table is rebuilt: every
    row is copied with its id, status, attempts and timestamps; alert rows get new ids
    after the digest rows, in their old order. Nothing queued is lost: a failure rolls
    the whole migration back.
    """
    conn = db.conn
    conn.execute(
        "CREATE TABLE outbox_v7 ("
        " id INTEGER PRIMARY KEY,"
        " kind TEXT NOT NULL DEFAULT 'digest',"
        " digest_id INTEGER REFERENCES digests(id),"
        " event_key TEXT,"
        " source TEXT,"
        " channel TEXT NOT NULL,"
        " recipient TEXT NOT NULL,"
        " status TEXT NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0,"
        " next_attempt_at TEXT NOT NULL,"
        " lease_until TEXT,"
        " lease_owner TEXT,"
        " last_error TEXT,"
        " message_id TEXT NOT NULL,"
        " sender TEXT NOT NULL,"
        " subject TEXT NOT NULL,"
        " text_body TEXT NOT NULL,"
        " html_body TEXT NOT NULL,"
        " created_at TEXT NOT NULL,"
        " sent_at TEXT)"
    )
    shared = (
        "channel, recipient, status, attempts, next_attempt_at, last_error, message_id,"
        " sender, subject, text_body, html_body, created_at, sent_at"
    )
    conn.execute(
        f"INSERT INTO outbox_v7 (id, kind, digest_id, lease_until, {shared})"
        f" SELECT id, 'digest', digest_id, lease_until, {shared} FROM outbox ORDER BY id"
    )
    conn.execute(
        f"INSERT INTO outbox_v7 (kind, event_key, source, {shared})"
        f" SELECT kind, event_key, source, 'email', recipient, status, attempts,"
        " next_attempt_at, last_error, message_id, sender, subject, text_body, html_body,"
        " created_at, sent_at FROM alert_messages ORDER BY id"
    )
    conn.execute("DROP TABLE alert_messages")
    conn.execute("DROP TABLE outbox")
    conn.execute("ALTER TABLE outbox_v7 RENAME TO outbox")
    conn.execute(
        "CREATE UNIQUE INDEX idx_outbox_digest_channel_recipient"
        " ON outbox (digest_id, channel, recipient)"
    )
    conn.execute(
        "CREATE UNIQUE INDEX idx_outbox_event_channel_recipient"
        " ON outbox (event_key, channel, recipient)"
    )
    for sql in (
        "CREATE UNIQUE INDEX idx_outbox_channel_message_id ON outbox (channel, message_id)",
        "CREATE INDEX idx_outbox_status_next_attempt_at ON outbox (status, next_attempt_at)",
        "CREATE INDEX idx_outbox_kind ON outbox (kind)",
    ):
        conn.execute(sql)


def _migration_9(db: Database) -> None:
    """Held snapshots are reviewed (issue 15; SQL in ``monitor.store.review``).

    A suspect snapshot keeps its records (``records_data``: zlib-compressed JSON), so
    ``ecmon accept`` applies exactly what was held, and its review: ``pending``, then
    ``accepted``, ``rejected`` or ``superseded`` (a newer good snapshot was accepted),
    with who, when, why and the run that applied it. The accepting run names the run it
    accepted (``runs.review_of``) and carries the same who and why. Snapshots held
    before this migration kept no records: their review stays NULL (not acceptable).
    """
    for column, kind in (
        ("records_data", "BLOB"),
        ("review", "TEXT"),
        ("reviewed_at", "TEXT"),
        ("reviewed_by", "TEXT"),
        ("review_reason", "TEXT"),
        ("review_run_id", "INTEGER"),
    ):
        db.conn.execute(f"ALTER TABLE snapshots ADD COLUMN {column} {kind}")
    for column, kind in (
        ("review_of", "INTEGER"),
        ("reviewed_by", "TEXT"),
        ("review_reason", "TEXT"),
    ):
        db.conn.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
    db.conn.execute("CREATE INDEX idx_snapshots_review ON snapshots (source, review)")


def _migration_10(db: Database) -> None:
    """Write once (issue 17): the current version of a record is stored once, in
    ``records``; ``record_versions.record_json`` is kept from when the version is replaced
    (NULL while current). The table is rebuilt to let the column be NULL (indexes and
    foreign keys kept), then the current versions' copies are dropped."""
    db.table("record_versions").transform(not_null={"record_json": False})
    db.conn.execute("UPDATE record_versions SET record_json = NULL WHERE to_run IS NULL")


# Columns that may hold a source URL or a text quoting one (an error, a rendered message).
_URL_COLUMNS = {
    "runs": ("url", "error_message"),
    "snapshots": ("url", "reason"),
    "source_state": ("last_error",),
    "source_alerts": ("reason",),
    "outbox": ("last_error", "subject", "text_body", "html_body"),
}


def _migration_11(db: Database) -> None:
    """Credentials in URLs stored before ecmon redacted them (issue 16, defect 5) are
    redacted in place (``monitor.redact``): a source URL's ``user:pass@`` or
    ``?subscription-key=`` in runs, snapshots, errors and queued messages. A message not
    yet sent is then sent without the secret; its Message-ID is unchanged."""
    conn = db.conn
    conn.create_function("ecmon_redact", 1, _redacted, deterministic=True)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table, columns in _URL_COLUMNS.items():
        if table not in tables:
            continue
        for column in columns:
            conn.execute(
                f"UPDATE {table} SET {column} = ecmon_redact({column})"
                f" WHERE {column} IS NOT NULL AND {column} <> ecmon_redact({column})"
            )


def _redacted(value: str | None) -> str | None:
    return redact_text(value) if isinstance(value, str) else value


def _migration_12(db: Database) -> None:
    """Records stored packed (issue 17, write once): the record JSON of ``records`` and
    ``record_versions`` moves to ``record_z``, deflated against a preset dictionary
    (``codec.pack_json``: ~180 bytes for an ~830-byte CSL record; the text it unpacks to
    is the stored JSON byte for byte, so no record reads as changed). The column keeps
    its declared TEXT type (a rename, not a rebuild of the tables); SQLite stores the
    values as blobs. ``ecmon browse`` shows them as JSON (``ecmon_json()``).

    The two indexes on ``name_folded`` are dropped: no query can use them (names are
    matched with ``instr``, and ``name_folded = ?`` is only selected). Space freed here is
    reused by later writes; ``VACUUM`` gives it back to the file system.
    """
    from monitor.store.codec import pack_json

    conn = db.conn
    conn.create_function("ecmon_pack_json", 1, pack_json, deterministic=True)
    for table in ("records", "record_versions"):
        conn.execute(f"ALTER TABLE {table} RENAME COLUMN record_json TO record_z")
        conn.execute(
            f"UPDATE {table} SET record_z = ecmon_pack_json(record_z)"
            " WHERE typeof(record_z) = 'text'"
        )
    conn.execute("DROP INDEX IF EXISTS idx_records_name_folded")
    conn.execute("DROP INDEX IF EXISTS idx_record_versions_name_folded")


def _migration_13(db: Database) -> None:
    """Sector tags stored once computed (issue 17, "tag once"): the pure tagger's answer
    per (source, record key, content hash, listing action), under the fingerprint of the
    taxonomy it was computed with (``monitor.store.tags``). Filled lazily by the commands
    that tag; a database migrated from 12 starts empty, and its first digest fills it."""
    db.conn.execute(
        "CREATE TABLE sector_tags (source TEXT NOT NULL, record_key TEXT NOT NULL,"
        " content_hash TEXT NOT NULL, listing TEXT NOT NULL, taxonomy TEXT NOT NULL,"
        " tags_json TEXT NOT NULL,"
        " PRIMARY KEY (source, record_key, content_hash, listing)) WITHOUT ROWID"
    )


def _migration_14(db: Database) -> None:
    """Listing facts kept once read (issue 17): a current record's key, list, name, country,
    start date and citations, as JSON, under the content hash of the record they were read
    from. Link events group every CSL entry by these facts; reading them from the packed
    record JSON unpacked every stored entry each digest. A row whose hash is no longer the
    record's is read again (``monitor.store.analysis.listing_facts``). Starts empty."""
    db.conn.execute(
        "CREATE TABLE listing_facts (source TEXT NOT NULL, record_key TEXT NOT NULL,"
        " content_hash TEXT NOT NULL, facts_json TEXT NOT NULL,"
        " PRIMARY KEY (source, record_key)) WITHOUT ROWID"
    )


MIGRATIONS: tuple[Callable[[Database], None], ...] = (
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
    _migration_8,
    _migration_9,
    _migration_10,
    _migration_11,
    _migration_12,
    _migration_13,
    _migration_14,
)


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest applied migration (0 for a new database)."""
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0])


def apply_migrations(db: Database) -> int:
    """Apply every pending migration, each in its own transaction; returns the version.

    Raises ``ValueError`` when the database is newer than this code knows.
    """
    conn = db.conn
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    _check_not_newer(conn)
    for version, migration in enumerate(MIGRATIONS, start=1):
        _apply_one(db, version, migration)
    return schema_version(conn)


def _check_not_newer(conn: sqlite3.Connection) -> None:
    found = schema_version(conn)
    if found > len(MIGRATIONS):
        raise ValueError(f"schema version {found} is newer than this ecmon ({len(MIGRATIONS)})")


def _apply_one(db: Database, version: int, migration: Callable[[Database], None]) -> None:
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        if schema_version(conn) < version:
            migration(db)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                (version, utc_iso(datetime.now(UTC))),
            )
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
