"""What Datasette shows about an ecmon database: table and column descriptions and the
canned queries of ``ecmon browse``: kept by the store, which owns the schema they describe
(``cli.browse`` writes it as metadata.json)."""

from __future__ import annotations

from typing import Final

TABLES: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "records": (
        "The accepted state: one row per record (list entry or government act) per source.",
        {
            "source": "The source that published it (us_csl_entity_list, ...)",
            "key": "ecmon's stable key: folded name + country (never a publisher id)",
            "list_name": "el, meu, uvl, dpl (BIS), ecl, uel (MOFCOM), mfa, or action",
            "record_z": "Every field as parsed: JSON, stored packed (shown decoded; in SQL:"
            " ecmon_json(record_z))",
            "content_hash": "sha256 over the fields that matter (URLs and row ids excluded)",
            "first_seen_run": "The run that first accepted it (runs.id)",
            "last_changed_run": "The run that accepted its current version (runs.id)",
        },
    ),
    "record_versions": (
        "Every version of every record, with the runs that brought and replaced it.",
        {
            "from_run": "The run that accepted this version",
            "to_run": "The run that replaced or removed it (empty: still current)",
            "record_z": "The version as parsed (packed JSON, as in records); empty while"
            " current (see records)",
        },
    ),
    "changes": (
        "Every change ecmon reported: added, removed, modified (with field labels).",
        {
            "kind": "added, removed or modified",
            "labels_json": "What changed, e.g. alias_added, address_changed, citation_added",
            "fields_json": "The changed fields",
            "before_json": "The record before (modified, removed)",
            "after_json": "The record after (added, modified)",
            "detected_at": "When ecmon saw it (UTC), not the list's own date",
        },
    ),
    "runs": (
        "One row per run of a source: outcome, counts and the raw bytes' hash.",
        {
            "outcome": "baseline, changed, unchanged, not_modified, suspect, failed ...",
            "raw_sha256": "sha256 of the raw bytes fetched (blobs.sha256)",
            "error_message": "Why a run failed",
        },
    ),
    "snapshots": (
        "Each parsed publication: accepted, archived, or held as suspect with the reason.",
        {
            "status": "accepted, suspect (held by the gate), archived ...",
            "reason": "Why the gate held it",
            "valid_for": "The date the publication is valid for, where the source says",
        },
    ),
    "source_state": (
        "Per source: validators for conditional GET, last outcome, failures in a row.",
        {"consecutive_failures": "Failed runs in a row (health alerts use it)"},
    ),
    "blobs": ("Raw bytes as fetched (zlib), kept for the newest runs.", {}),
    "digests": ("Digests composed: the range of changes each covers.", {}),
    "outbox": (
        "Messages stored before sending; retried until a channel accepts them.",
        {
            "status": "pending, sending, sent or failed",
            "next_attempt_at": "Next retry (UTC)",
            "kind": "digest, broken, recovered, watchlist_hit or test",
            "channel": "email, or the name of a configured Apprise channel",
        },
    ),
    "watch_hits": ("Watchlist hits with score, reason and the analyst's decision.", {}),
}

QUERIES: Final[dict[str, dict[str, str]]] = {
    "latest_changes": {
        "title": "Latest changes",
        "description": "The newest 200 changes with the run and URL they came from.",
        "sql": (
            "SELECT c.id, c.detected_at, c.source, c.kind, c.list_name, c.name, c.country,"
            " c.labels_json, r.url AS fetched_from, r.raw_sha256"
            " FROM changes c JOIN runs r ON r.id = c.run_id ORDER BY c.id DESC LIMIT 200"
        ),
    },
    "entity_timeline": {
        "title": "An entity's timeline",
        "description": "Every change of one record key (or a key it was renamed from).",
        "sql": (
            "SELECT c.detected_at, c.source, c.kind, c.key, c.previous_key, c.name,"
            " c.labels_json, c.fields_json FROM changes c"
            " WHERE c.key = :key OR c.previous_key = :key ORDER BY c.id"
        ),
    },
    "held_snapshots": {
        "title": "Held snapshots",
        "description": "Publications the gate held as suspect, with the reason.",
        "sql": (
            "SELECT s.id, s.source, s.run_id, s.fetched_at, s.record_count, s.reason, s.url"
            " FROM snapshots s WHERE s.status = 'suspect' ORDER BY s.id DESC"
        ),
    },
    "outbox": {
        "title": "Outbox",
        "description": "Every stored message and its delivery state, newest first.",
        "sql": "SELECT * FROM outbox ORDER BY id DESC",
    },
    "acts": {
        "title": "Government acts",
        "description": "Rules and announcements held, with what each refers to.",
        "sql": (
            "SELECT source, key, name,"
            " json_extract(ecmon_json(record_z), '$.fields.kind') AS kind,"
            " json_extract(ecmon_json(record_z), '$.fields.published') AS published,"
            " json_extract(ecmon_json(record_z), '$.fields.refers_to') AS refers_to,"
            " json_extract(ecmon_json(record_z), '$.fields.url') AS url"
            " FROM records WHERE list_name = 'action' ORDER BY published DESC"
        ),
    },
    "record": {
        "title": "A record as stored",
        "description": "The current record(s) of one key (?key=...), every field as JSON.",
        "sql": (
            "SELECT source, key, list_name, name, country, content_hash,"
            " ecmon_json(record_z) AS record_json FROM records WHERE key = :key"
        ),
    },
}

LINK_QUERIES: Final[dict[str, dict[str, str]]] = {
    "countermeasure_links": {
        "title": "Countermeasure links",
        "description": "Trigger -> response, days after, score and the evidence (computed at"
        " `ecmon browse` start, as `ecmon links` shows them).",
        "sql": (
            "SELECT trigger_date, trigger_title, response_date, response_title, days_after,"
            " score, evidence_json FROM links ORDER BY trigger_date DESC, score DESC"
        ),
    },
}


def metadata(database: str, links_database: str | None) -> dict[str, object]:
    """Datasette metadata for the database named ``database`` (its file stem)."""
    dbs: dict[str, object] = {
        database: {
            "description": "ecmon: export-control list changes (read-only)",
            "tables": {
                name: {"description": text, "columns": columns}
                for name, (text, columns) in TABLES.items()
            },
            "queries": QUERIES,
        }
    }
    if links_database:
        dbs[links_database] = {
            "description": "Countermeasure links computed from the database at start-up",
            "queries": LINK_QUERIES,
        }
    return {
        "title": "ecmon",
        "description": "Export-control list changes, acts and their links. Read-only.",
        "databases": dbs,
    }
