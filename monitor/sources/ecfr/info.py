"""The eCFR source's static facts (name, default URL, schedule, bounds), importable without
its parser: the registry and the configuration read these for every source."""

from __future__ import annotations

from monitor.sources.base import SourceInfo

NAME = "us_ecfr_entity_list"

INFO = SourceInfo(
    name=NAME,
    title="BIS Entity List (eCFR, 15 CFR 744 Supp. 4)",
    url="https://www.ecfr.gov/api/versioner/v1",
    schedule_hours=24,
    min_records=1000,
    max_records=20000,
    key_fields=("name", "country"),
    lists=("EL",),
)
