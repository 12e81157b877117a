"""A change's identity (kind/source/key/content hash) is read from the stored changes'
records as loaded (``actions.identities_of``) instead of rebuilding and re-hashing each
record of the change document: the same identities, the same model."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.digest import inputs
from monitor.digest.actions import identities_of, identity
from monitor.store import Store
from monitor.testing.demo import demo_settings
from tests.digest.support import _NoServer, build_demo_db

NOW = datetime(2025, 10, 1, tzinfo=UTC)


def test_identities_from_the_stored_records_equal_those_of_the_document(tmp_path: Path) -> None:
    db = build_demo_db(tmp_path / "demo.db")
    settings = demo_settings(db, _NoServer(), "after")
    with Store.open(db) as store:
        changes = store.changes()
        doc = inputs.change_document(store, settings, changes, query={}, now=NOW)
        period = inputs.period_of(changes, "all")
        known = identities_of(changes)
        computed = {c["id"]: identity(c) for c in doc["changes"]}
        with_known = inputs.digest_model(
            store, settings, doc, period=period, now=NOW, changes=changes
        )
        without = inputs.digest_model(store, settings, doc, period=period, now=NOW)
    kinds = {c["kind"] for c in doc["changes"]}
    assert {"added", "modified", "removed"} <= kinds
    assert len(known) == len(changes) > 20
    assert known == computed
    assert with_known == without
    assert any(e["identities"] for e in with_known["modifications"])
