"""Sector tags stored once computed (issue 17, "tag once"): per (source, key, content
hash, listing), under the taxonomy fingerprint; a new record version, another listing
action or an edited taxonomy is tagged again; overrides apply after, every time."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from monitor import enrich
from monitor.actions import action_record
from monitor.analysis.sectors import Override, SectorTag, classify_record
from monitor.analysis.taxonomy import (
    default_taxonomy,
    parse_taxonomy,
    taxonomy_fingerprint,
)
from monitor.enrich import Analysis, load_analysis
from monitor.models import Record
from monitor.store import Store
from monitor.store.tags import TagStore, decode, encode

SOURCE = "us_csl_entity_list"


def entry(name: str, **fields: str | tuple[str, ...]) -> Record:
    return Record(f"{name.casefold()}|CN", "el", name, "CN", {"name": name, **fields})


CHIP = entry("Shanghai Microelectronics Equipment", aliases=("SMEE", "Quantum Chips Ltd"))


class Counting:
    """``classify_record`` that counts its calls (the tagger itself, unchanged)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> tuple[SectorTag, ...]:
        self.calls += 1
        return classify_record(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def tagger(monkeypatch: pytest.MonkeyPatch) -> Counting:
    counting = Counting()
    monkeypatch.setattr(enrich, "classify_record", counting)
    return counting


def _store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "t.db")


def test_tags_are_computed_once_and_read_by_the_next_command(
    tmp_path: Path, tagger: Counting
) -> None:
    with _store(tmp_path) as store:
        first = load_analysis(store)
        tags = first.tags(SOURCE, CHIP)
        assert {t.sector for t in tags} >= {"semiconductors", "quantum"}
        first.save_tags()
        assert tagger.calls == 1
        second = load_analysis(store)  # another command: a fresh analysis, the same store
        assert second.tags(SOURCE, CHIP) == tags
        assert tagger.calls == 1
        assert second.tags(SOURCE, CHIP) == classify_record(CHIP, default_taxonomy())


def test_a_new_version_of_the_record_is_tagged_again(tmp_path: Path, tagger: Counting) -> None:
    with _store(tmp_path) as store:
        first = load_analysis(store)
        first.tags(SOURCE, CHIP)
        first.save_tags()
        changed = replace(CHIP, fields={**CHIP.fields, "aliases": ("Drone Works",)})
        tags = load_analysis(store).tags(SOURCE, changed)
        assert tagger.calls == 2
        assert {t.sector for t in tags} == {"semiconductors", "drones"}


def test_a_listing_action_known_later_is_a_new_tagging(tmp_path: Path, tagger: Counting) -> None:
    plain = entry("Example Trading Co", listed_by="act-1")
    act = action_record(
        key="act-1",
        kind="uel_addition",
        jurisdiction="CN",
        title="关于将有关美国实体列入不可靠实体清单的公告",
        fields={"reasons": ("sold drones to Taiwan",), "published": "2025-01-02"},
    )
    with _store(tmp_path) as store:
        before = load_analysis(store)
        assert before.tags("cn_mofcom_uel", plain) == ()
        before.save_tags()
        after = replace(load_analysis(store), actions={"act-1": act})
        assert {t.sector for t in after.tags("cn_mofcom_uel", plain)} == {"drones"}
        assert tagger.calls == 2


def test_an_edited_taxonomy_retags(tmp_path: Path, tagger: Counting) -> None:
    """Editing sectors.toml changes the fingerprint: nothing stored under the old one is
    read, and the answer is the new taxonomy's."""
    text = resources.files("monitor").joinpath("data/sectors.toml").read_text(encoding="utf-8")
    assert default_taxonomy().fingerprint == taxonomy_fingerprint(text)
    edited_text = text.replace('"microelectronic", "microelectronics",', "")
    assert edited_text != text
    edited = replace(
        parse_taxonomy(tomllib.loads(edited_text)), fingerprint=taxonomy_fingerprint(edited_text)
    )
    record = entry("Shanghai Microelectronics Equipment")
    with _store(tmp_path) as store:
        old = load_analysis(store)
        assert {t.sector for t in old.tags(SOURCE, record)} == {"semiconductors"}
        old.save_tags()
        new = Analysis(taxonomy=edited, stored=TagStore(store, edited.fingerprint))
        assert new.tags(SOURCE, record) == ()
        assert tagger.calls == 2
        new.save_tags()
        # The edited taxonomy's answer replaced the old row for the same record version.
        assert load_analysis(store).tags(SOURCE, record) != ()
        assert tagger.calls == 3


def test_overrides_apply_after_the_stored_tags(tmp_path: Path, tagger: Counting) -> None:
    drop = Override(key=CHIP.key, remove=("quantum",), origin="o.toml")
    with _store(tmp_path) as store:
        first = load_analysis(store)
        first.tags(SOURCE, CHIP)
        first.save_tags()
        overridden = replace(load_analysis(store), overrides=(drop,))
        assert "quantum" not in {t.sector for t in overridden.tags(SOURCE, CHIP)}
        assert "quantum" in {t.sector for t in load_analysis(store).tags(SOURCE, CHIP)}
        assert tagger.calls == 1


def test_a_read_only_store_reads_and_never_writes(tmp_path: Path, tagger: Counting) -> None:
    with _store(tmp_path) as store:
        writer = load_analysis(store)
        writer.tags(SOURCE, CHIP)
        writer.save_tags()
    with Store.open_read_only(tmp_path / "t.db") as store:
        reader = load_analysis(store)
        reader.tags(SOURCE, CHIP)
        other = entry("Beijing Drone Works")
        reader.tags(SOURCE, other)
        reader.save_tags()  # nothing to write with, and no error
        assert tagger.calls == 2
    with _store(tmp_path) as store:
        rows = store.db.rows("SELECT record_key FROM sector_tags")
        assert [r["record_key"] for r in rows] == [CHIP.key]


def test_stored_tags_read_back_exactly() -> None:
    record = entry("中国电子科技集团 Microelectronics Institute", aliases=("UAV; AI",))
    tags = classify_record(record, default_taxonomy())
    assert tags and decode(encode(tags)) == tags


def test_preloaded_tags_are_answered_without_a_query_each(
    tmp_path: Path, tagger: Counting, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = entry("Beijing Drone Works")
    with _store(tmp_path) as store:
        first = load_analysis(store)
        first.tags(SOURCE, CHIP)
        first.tags(SOURCE, other)
        first.save_tags()
        second = load_analysis(store)
        assert second.stored is not None
        reads: list[str] = []
        real_read = second.stored._read

        def counted(where: str, params: Sequence[str]) -> None:
            reads.append(where)
            real_read(where, params)

        monkeypatch.setattr(second.stored, "_read", counted)
        second.preload_tags([(SOURCE, CHIP), (SOURCE, other)])
        assert len(reads) == 1
        assert {t.sector for t in second.tags(SOURCE, other)} == {"drones"}
        assert second.tags(SOURCE, CHIP) == first.tags(SOURCE, CHIP)
        assert len(reads) == 1 and tagger.calls == 2
