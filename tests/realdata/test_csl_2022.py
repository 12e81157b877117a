"""The real 2022 CSL file (moov-io/watchman archive) read by ecmon, against an independent
reading (``csl_reading``, standard library only) and the truth file ``truth/csl_2022.toml``.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.config import SourceSettings
from monitor.models import Record, RunOutcome
from monitor.sources.csl.info import NAME
from monitor.sources.csl.source import CslEntityListSource
from monitor.store import Store
from monitor.testing.fixture_server import FixtureServer
from tests.realdata import csl_reading as reading
from tests.realdata import report
from tests.realdata.conftest import realdata_file, truth
from tests.support import csl_settings, run_source

FILE = "csl/watchman_2022_consolidated.csv.gz"
TRUTH = truth("csl_2022.toml")
TEXTS = (
    "federal_register_notice", "start_date", "end_date", "standard_order",
    "license_requirement", "license_policy", "remarks",
)  # fmt: skip


@pytest.fixture(scope="module")
def path() -> Path:
    return realdata_file(FILE)


@pytest.fixture(scope="module")
def raw_rows(path: Path) -> list[dict[str, str]]:
    return reading.rows(path)


def parse(raw: bytes, *lists: str) -> list[Record]:
    source = CslEntityListSource()
    settings: SourceSettings = replace(source.info.default_settings(), lists=lists or ("EL",))
    return source.parse(raw, url="realdata:" + FILE, settings=settings)


@pytest.fixture(scope="module")
def records(path: Path) -> list[Record]:
    import gzip

    return parse(gzip.decompress(path.read_bytes()))


def row_ids(record: Record) -> list[str]:
    return [i for i in record.meta.get("row_id", "").split("; ") if i]


def test_the_file_is_the_one_the_truth_describes(raw_rows: list[dict[str, str]]) -> None:
    el = [r for r in raw_rows if r["source"] == reading.EL]
    assert len(raw_rows) == TRUTH["file"]["data_rows"]
    assert len(el) == TRUTH["entity_list"]["rows"] == 2001


def test_every_el_row_is_in_exactly_one_record_and_the_entity_count_matches(
    raw_rows: list[dict[str, str]], records: list[Record]
) -> None:
    el = [r for r in raw_rows if r["source"] == reading.EL]
    expected = reading.entities(el)
    row = report.record(
        report.FileRow(NAME, FILE, "EL records (entities) and row ids", len(expected), 0)
    )
    found_ids = [i for rec in records for i in row_ids(rec)]
    report.compare(row, "row ids accounted for", sorted(r["_id"] for r in el), sorted(found_ids))
    by_id = {i: rec for rec in records for i in row_ids(rec)}
    for (name, country), group in sorted(expected.items()):
        keys = {by_id[r["_id"]].key for r in group if r["_id"] in by_id}
        if len(keys) == 1:
            row.found += 1
        else:
            row.miss(f"entity {name!r} ({country}): rows in {len(keys)} records {sorted(keys)}")
    report.compare(row, "record count", len(expected), len(records))
    assert row.misses == []


def _expected(group: list[dict[str, str]]) -> dict[str, object]:
    """What the record of one entity (one or more rows) must hold, as sets where the
    publisher's row order is no information."""
    names = {r["name"].strip() for r in group}
    aliases = {a for r in group for a in reading.values(r["alt_names"])}
    return {
        "names": names,
        "aliases_and_variant_names": aliases,
        "addresses": {a for r in group for a in reading.values(r["addresses"])},
        "countries": {c for r in group for c in reading.countries(r["addresses"])},
        "citations": {c for r in group for c in reading.citations(r["federal_register_notice"])},
        "programs": {p for r in group for p in reading.values(r["programs"])},
        "footnotes": set(),  # read by hand: no sample row glues a footnote digit on
        **{
            column: {r[column].strip() for r in group if r[column].strip()}
            for column in TEXTS
        },
    }  # fmt: skip


def _found(record: Record, expected_texts: dict[str, set[str]]) -> dict[str, object]:
    def texts(name: str) -> set[str]:
        """The merged text as the set of row values it joins (any order, "; " between)."""
        value = record.get_text(name)
        if not value:
            return set()
        published = expected_texts.get(name, set())
        inside = {v for v in published if v in value}
        if inside == published and len(value) == len("; ".join(published)):
            return set(published)
        return {value}

    return {
        "names": {record.name},
        "aliases_and_variant_names": set(record.get_tuple("aliases")),
        "addresses": set(record.get_tuple("addresses")),
        "countries": set(record.get_tuple("countries")),
        "citations": set(record.get_tuple("citations")),
        "programs": set(record.get_tuple("programs")),
        "footnotes": set(record.get_tuple("footnotes")),
        **{
            column: texts(column)
            for column in TEXTS
        },
    }  # fmt: skip


def test_every_field_of_the_30_record_sample_equals_the_independent_reading(
    raw_rows: list[dict[str, str]], records: list[Record]
) -> None:
    el = [r for r in raw_rows if r["source"] == reading.EL]
    sample = TRUTH["sample"]
    # The sample is the truth file's: random.Random(2022).sample(sorted EL ids, 30).
    assert [s["_id"] for s in sample] == random.Random(2022).sample(
        sorted(r["_id"] for r in el), 30
    )
    groups = reading.entities(el)
    group_of = {r["_id"]: g for g in groups.values() for r in g}
    by_id = {i: rec for rec in records for i in row_ids(rec)}
    row = report.record(report.FileRow(NAME, FILE, "EL sample of 30 records, every field", 30, 0))
    for truth_row in sample:
        raw = next(r for r in el if r["_id"] == truth_row["_id"])
        assert {k: raw[k] for k in raw} == {k: truth_row[k] for k in raw}  # truth = raw file
        record = by_id.get(truth_row["_id"])
        if record is None:
            row.miss(f"row {truth_row['_id']} ({truth_row['name']!r}) in no record")
            continue
        group = group_of[truth_row["_id"]]
        expected = _expected(group)
        texts = {k: v for k, v in expected.items() if k in TEXTS and isinstance(v, set)}
        found = _found(record, texts)
        # A merged entity keeps one name; the other rows' spellings are aliases.
        expected_names = expected.pop("names")
        assert isinstance(expected_names, set)
        if record.name in expected_names:
            aliases = expected["aliases_and_variant_names"]
            assert isinstance(aliases, set)
            aliases |= expected_names - {record.name}
        found.pop("names")
        all_right = report.compare(
            row, f"{truth_row['name']!r}: name", True, record.name in expected_names
        )
        expected["key country"] = (reading.countries(group[0]["addresses"]) or [""])[0]
        found["key country"] = record.country
        for field in sorted(expected):
            all_right &= report.compare(
                row, f"{truth_row['name']!r}: {field}", expected[field], found[field]
            )
        row.found += all_right
    assert row.misses == []


def test_no_entity_list_or_dpl_key_lacks_its_country(records: list[Record], path: Path) -> None:
    import gzip

    dpl = parse(gzip.decompress(path.read_bytes()), "DPL")
    for name, found in (("EL", records), ("DPL", dpl)):
        unknown = [r.key for r in found if r.key.endswith("|??")]
        row = report.record(
            report.FileRow(
                NAME, FILE, f"{name} keys with their country", len(found), len(found) - len(unknown)
            )
        )
        for key in unknown:
            row.miss(f"key without country: {key}")
    assert [r.key for r in records if r.key.endswith("|??")] == []
    assert [r.key for r in dpl if r.key.endswith("|??")] == []


def test_the_readme_examples_read_right(records: list[Record]) -> None:
    """The alias and country forms the real-data README names (truth: readme_example):
    every published alias kept verbatim (``Hebei Poshing Elec.`` keeps its period), the
    glue ``and`` never an alias, the spelled-out country read."""
    by_id = {i: rec for rec in records for i in row_ids(rec)}
    row = report.record(report.FileRow(NAME, FILE, "README examples (aliases, countries)", 0, 0))
    for example in TRUTH["readme_example"]:
        record = by_id[example["_id"]]
        row.expected += 1
        aliases = set(record.get_tuple("aliases"))
        published = set(reading.values(example["alt_names"]))
        who = repr(example["name"])
        ok = report.compare(row, f"{who}: alias 'and'", False, "and" in aliases)
        ok &= report.compare(row, f"{who}: published aliases kept", published, published & aliases)
        country = (reading.countries(example["addresses"]) or [""])[0]
        ok &= report.compare(row, f"{who}: key country", country, record.country)
        row.found += ok
    assert row.misses == []


def _reordered(raw: bytes, how: int) -> bytes:
    """The same rows in another order: ``how`` 0 swaps the rows of every multi-row entity
    among themselves (every other row stays where it is), 1 and up shuffle the whole file
    (fixed seeds). Rewritten with ``csv`` so quoted line breaks stay inside their cell."""
    table = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    header, body = table[0], table[1:]
    if how == 0:
        at = {column: i for i, column in enumerate(header)}
        rows = [dict(zip(header, cells, strict=True)) for cells in body]
        groups: dict[tuple[str, str], list[int]] = {}
        for index, row in enumerate(rows):
            if row["source"] == reading.EL:
                first = (reading.countries(row["addresses"]) or [""])[0]
                groups.setdefault((reading.name_key(row["name"]), first), []).append(index)
        swapped = list(body)
        for places in groups.values():
            for old, new in zip(places, reversed(places), strict=True):
                swapped[new] = body[old]
        body = swapped
        assert at  # header read
    else:
        random.Random(how).shuffle(body)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([header, *body])
    return out.getvalue().encode("utf-8")


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(root=None) as fixture:
        yield fixture


def test_row_swaps_and_a_shuffled_file_report_no_change(
    path: Path, tmp_path: Path, server: FixtureServer
) -> None:
    """Through the real pipeline (HTTP on 127.0.0.1, store, differ): the publisher's row
    order, within one entity or across the file, is never a change."""
    import gzip

    raw = gzip.decompress(path.read_bytes())
    settings = csl_settings(tmp_path / "real.db", server.url_for("/consolidated.csv"))
    row = report.record(
        report.FileRow(NAME, FILE, "rows of multi-row entities swapped, file shuffled", 0, 0)
    )
    with Store.open(settings.database) as store:
        server.set_route("/consolidated.csv", raw)
        first = run_source(store, settings)
        assert first.outcome in (RunOutcome.CHANGED, RunOutcome.BASELINE), first.message
        row.expected = row.found = first.record_count or 0
        for attempt in range(3):  # entity rows swapped, then two shuffles
            server.set_route("/consolidated.csv", _reordered(raw, attempt))
            again = run_source(store, settings)
            changes = again.added + again.removed + again.modified
            row.false_changes = (row.false_changes or 0) + changes
            if changes:
                row.miss(
                    f"reordering {attempt + 1}: {again.modified} modified, "
                    f"{again.added} added, {again.removed} removed"
                )
    assert row.false_changes == 0


def _churned(raw: bytes, seed: int) -> bytes:
    """The real file with about 1% of its EL rows changed, as a publisher changes it: rows
    removed, a citation appended, row URLs moved (meta only), a row repeated, the rest
    shuffled. Rewritten with ``csv`` so quoted line breaks stay inside their cell."""
    table = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    header, body = table[0], table[1:]
    at = {column: i for i, column in enumerate(header)}
    rng = random.Random(seed)
    el = [i for i, cells in enumerate(body) if cells[at["source"]] == reading.EL]
    picked = rng.sample(el, 60)
    for i in picked[:15]:
        body[i][at["federal_register_notice"]] += "; 90 FR 12345"
    for i in picked[15:30]:
        body[i][at["source_list_url"]] = "https://www.bis.gov/moved"
    body += [list(body[i]) for i in picked[30:35]]
    gone = set(picked[35:])
    body = [cells for i, cells in enumerate(body) if i not in gone]
    rng.shuffle(body)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([header, *body])
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("batch", [None, 97])
def test_incremental_runs_equal_whole_file_runs_on_the_real_file(
    path: Path, tmp_path: Path, batch: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only rows whose digest is new are parsed (``monitor.incremental``): on the real
    file and churned copies of it the outcome, every change and the accepted state equal
    those of runs that read every file whole. ``batch``: the baseline streamed in batches
    of 2,000 rows (the default) or of 97 (its multi-row entities cut across batches)."""
    import gzip

    from monitor import incremental

    if batch is not None:
        monkeypatch.setattr(incremental, "BATCH_ROWS", batch)
    from dataclasses import asdict
    from datetime import UTC, datetime

    from monitor.http import FetchResult, HttpClient, Validators
    from monitor.pipeline import RunContext, ingest
    from tests.support import FAST_HTTP

    raw = gzip.decompress(path.read_bytes())
    source = CslEntityListSource()

    class WholeFile:  # the source without its row reader
        info = source.info
        parse = source.parse
        derive = source.derive

    files = [raw, _churned(raw, 1), _churned(_churned(raw, 1), 2), raw]
    stores = {}
    for name, reader in (("rows", source), ("whole", WholeFile())):
        settings = csl_settings(tmp_path / f"{name}.db", "http://127.0.0.1/c.csv", max_shrink=1.0)
        summaries = []
        with Store.open(settings.database) as store, HttpClient(FAST_HTTP) as client:
            ctx = RunContext(settings, store, client)
            for hour, content in enumerate(files):
                result = FetchResult("http://127.0.0.1/c.csv", 200, False, content, Validators())
                at = datetime(2026, 1, 1, hour, tzinfo=UTC)
                summary = asdict(ingest(ctx, reader, result, at, {}))  # type: ignore[arg-type]
                summaries.append(summary)
            stores[name] = (
                summaries,
                [c.change for c in store.changes()],
                store.accepted_records(NAME),
            )
    assert stores["rows"][0][1]["modified"] > 0  # the churn is seen
    assert stores["rows"] == stores["whole"]
