"""The CSL source's static facts (name, default URL, schedule, bounds), importable without
its parser: the registry and the configuration read these for every source."""

from __future__ import annotations

from monitor.sources.base import SourceInfo

NAME = "us_csl_entity_list"

INFO = SourceInfo(
    name=NAME,
    title="BIS Entity List (ITA Consolidated Screening List)",
    url="https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",
    schedule_hours=3,
    min_records=1000,
    max_records=20000,
    key_fields=("name", "country"),
    lists=("EL",),
    list_codes=("EL", "MEU", "UVL", "DPL"),  # the BIS lists one may ask the CSL file for
)
