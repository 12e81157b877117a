"""Credentials in URLs (monitor/redact.py); end to end: tests/reliability/test_secrets.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from monitor.redact import has_secret, redact_text, redact_url
from monitor.store import Store, schema
from monitor.store.schema import MIGRATIONS


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p4ss@host.example/a.csv", "https://REDACTED@host.example/a.csv"),
        ("http://tok@127.0.0.1:8080/x", "http://REDACTED@127.0.0.1:8080/x"),
        (
            "https://h.example/a?subscription-key=s3cr3t&format=csv",
            "https://h.example/a?subscription-key=REDACTED&format=csv",
        ),
        (
            "https://h.example/a?api_key=1&X-Amz-Signature=2",
            "https://h.example/a?api_key=REDACTED&X-Amz-Signature=REDACTED",
        ),
        ("https://h.example/a?access_token=abc", "https://h.example/a?access_token=REDACTED"),
        ("https://h.example/a?apikey=abc", "https://h.example/a?apikey=REDACTED"),
        ("https://h.example/a?password=abc", "https://h.example/a?password=REDACTED"),
    ],
)
def test_secrets_are_redacted(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert has_secret(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.federalregister.gov/api/v1/documents.json?conditions[agencies][]=x&page=2",
        "https://data.trade.gov/consolidated.csv?country_code=CN&sort=name",
        "https://h.example/a?key=",  # an empty value carries nothing
        "not a url",
    ],
)
def test_plain_urls_are_kept_exactly(url: str) -> None:
    assert redact_url(url) == url
    assert not has_secret(url)


def test_urls_inside_text() -> None:
    text = "source x: HTTP 404 (url https://u:pw@h.example/a.csv?token=t0k, HTTP 404)"
    shown = redact_text(text)
    assert "pw" not in shown and "t0k" not in shown
    assert "https://REDACTED@h.example/a.csv?token=REDACTED" in shown


def test_secrets_stored_before_redaction_are_redacted_by_the_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database written before ecmon redacted URLs: migration 11 redacts them in place."""
    db = tmp_path / "old.db"
    secret = "https://u:pw-c4n4ry@h.example/a.csv?subscription-key=k3y-c4n4ry"
    # A database of the release before migration 11: later migrations must not be
    # recorded, or the re-opened store (which applies what is above the highest recorded
    # version) would never run 11 again.
    with monkeypatch.context() as before_redaction:
        before_redaction.setattr(schema, "MIGRATIONS", MIGRATIONS[:10])
        with Store.open(db):
            pass
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO runs (source, url, started_at, finished_at, outcome, error_message)"
            " VALUES ('s', ?, 't', 't', 'failed', ?)",
            (secret, f"source s: HTTP 500 (url {secret})"),
        )
        conn.execute(
            "INSERT INTO source_state (source, last_error) VALUES ('s', ?)", (f"(url {secret})",)
        )
    with Store.open(db) as store:
        assert store.schema_version() == len(MIGRATIONS)
    with sqlite3.connect(db) as conn:
        text = repr(conn.execute("SELECT * FROM runs").fetchall())
        text += repr(conn.execute("SELECT * FROM source_state").fetchall())
    assert "c4n4ry" not in text
    assert "https://REDACTED@h.example/a.csv?subscription-key=REDACTED" in text
