"""The real legacy 28-column CSL file (2019, no ``_id``; moov-io/watchman archive) read by
ecmon, against the standard-library reading of ``csl_reading`` and ``truth/csl_2022.toml``
(section ``legacy_2019``)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from monitor.models import Record
from monitor.sources.csl.info import NAME
from monitor.sources.csl.source import CslEntityListSource
from tests.realdata import csl_reading as reading
from tests.realdata import report
from tests.realdata.conftest import realdata_file, truth

FILE = "csl/watchman_2019_csl_legacy.csv"
TRUTH = truth("csl_2022.toml")["legacy_2019"]
LISTS = {"EL": reading.EL, "DPL": reading.DPL}


def test_every_bis_row_of_the_legacy_file_is_read_with_its_country() -> None:
    raw = realdata_file(FILE).read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert len(rows) == TRUTH["data_rows"] and "_id" not in rows[0]
    source = CslEntityListSource()
    for code, label in LISTS.items():
        mine = [r for r in rows if r["source"] == label]
        assert len(mine) == TRUTH["source_counts"][label]
        entities = reading.entities(mine)
        settings = replace(source.info.default_settings(), lists=(code,))
        records: list[Record] = source.parse(raw, url="realdata:" + FILE, settings=settings)
        row = report.record(
            report.FileRow(NAME, FILE, f"{code} records, name and key country", len(entities), 0)
        )
        found = {(reading.name_key(r.name), r.country) for r in records}
        for name, country in sorted(entities):
            if report.compare(
                row, f"{name!r}: record with country", True, (name, country) in found
            ):
                row.found += 1
        report.compare(row, "record count", len(entities), len(records))
        report.compare(
            row, "keys without country", [], [r.key for r in records if r.key.endswith("|??")]
        )
        assert row.misses == []
