"""Listing facts kept once read (``listing_facts``, migration 14): a digest stores the CSL
entries' facts it read from their packed JSON; the next reads them without unpacking; a
row kept for another content hash is read again; a read-only store and the other readers
only read. The facts are always those of the whole record."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.models import Record
from monitor.store import Store, codec
from monitor.store import analysis as store_analysis
from tests.digest.support import build_demo_db
from tests.support import invoke_db

CSL = store_analysis.CSL_SOURCE


def _facts(records: list[Record]) -> list[tuple[object, ...]]:
    return [
        (r.key, r.list_name, r.name, r.country, r.get_text("start_date"), r.get_tuple("citations"))
        for r in records
    ]


def _kept(store: Store) -> int:
    row = store.db.one("SELECT count(*) AS n FROM listing_facts")
    assert row is not None
    return int(row["n"])


def _count_unpacking(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    unpack = codec.unpack_json

    def counting(packed: bytes) -> str:
        calls.append(1)
        return unpack(packed)

    monkeypatch.setattr(codec, "unpack_json", counting)
    return calls


def test_kept_facts_are_read_without_unpacking_and_equal_the_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = build_demo_db(tmp_path / "demo.db")
    with Store.open(db) as store:
        whole = _facts(list(store.accepted_records(CSL).values()))
        assert len(whole) > 10
        assert _facts(store_analysis.listing_facts(store, CSL)) == whole
        assert _kept(store) == 0  # a reader that does not ask to remember only reads
        assert _facts(store_analysis.listing_facts(store, CSL, remember=True)) == whole
        assert _kept(store) == len(whole)
        calls = _count_unpacking(monkeypatch)
        assert _facts(store_analysis.listing_facts(store, CSL, remember=True)) == whole
        assert calls == []


def test_facts_kept_for_another_version_are_read_again_and_gone_records_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = build_demo_db(tmp_path / "demo.db")
    with Store.open(db) as store:
        whole = _facts(list(store.accepted_records(CSL).values()))
        store_analysis.listing_facts(store, CSL, remember=True)
        key = str(whole[0][0])
        with store.db.transaction("test") as cur:
            # What a later version of the entry leaves: facts under its old hash.
            cur.execute(
                "UPDATE listing_facts SET content_hash = 'old',"
                ' facts_json = \'["x", "el", "STALE NAME", "XX", {}]\''
                " WHERE source = ? AND record_key = ?",
                (CSL, key),
            )
            cur.execute(
                "INSERT INTO listing_facts VALUES (?, 'gone-key', 'h', '[\"gone-key\", \"el\","
                ' "Gone", "CN", {}]\')',
                (CSL,),
            )
        calls = _count_unpacking(monkeypatch)
        assert _facts(store_analysis.listing_facts(store, CSL, remember=True)) == whole
        assert len(calls) == 1  # only the stale one
        assert _kept(store) == len(whole)  # the stale row replaced, the gone one dropped
        again = store.db.one(
            "SELECT facts_json FROM listing_facts WHERE source = ? AND record_key = ?",
            (CSL, key),
        )
        assert again is not None and "STALE" not in again["facts_json"]


def test_a_read_only_store_only_reads(tmp_path: Path) -> None:
    db = build_demo_db(tmp_path / "demo.db")
    with Store.open_read_only(db) as store:
        whole = _facts(list(store.accepted_records(CSL).values()))
        assert _facts(store_analysis.listing_facts(store, CSL, remember=True)) == whole
        assert _kept(store) == 0


def test_a_digest_keeps_the_facts_and_the_next_digest_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo holds MOFCOM acts that can answer a trigger, so its digest reads the list
    additions: the first keeps their facts, the second unpacks none of the CSL entries."""
    db = build_demo_db(tmp_path / "demo.db")
    first = invoke_db(db, "digest", "--format", "json")
    assert first.exit_code == 0, first.output
    with Store.open(db) as store:
        held = len(store.accepted_records(CSL))
        assert _kept(store) == held > 10
    calls = _count_unpacking(monkeypatch)
    inside: list[int] = []
    listing_facts = store_analysis.listing_facts

    def spied(store: Store, source: str, *, remember: bool = False) -> list[Record]:
        before = len(calls)
        found = listing_facts(store, source, remember=remember)
        inside.append(len(calls) - before)
        return found

    monkeypatch.setattr(store_analysis, "listing_facts", spied)
    second = invoke_db(db, "digest", "--format", "json")
    assert second.exit_code == 0, second.output
    assert inside == [0]  # read once, every entry from the kept facts
    strip = [line for line in first.output.splitlines() if '"generated_at"' not in line]
    assert strip == [line for line in second.output.splitlines() if '"generated_at"' not in line]
