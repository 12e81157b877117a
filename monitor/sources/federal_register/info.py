"""The Federal Register source's static facts (name, API root, schedule, bounds), importable
without its parser: the registry and the configuration read these for every source."""

from __future__ import annotations

from typing import Final

from monitor.sources.base import SourceInfo

NAME: Final = "us_federal_register"
DEFAULT_SITE: Final = "https://www.federalregister.gov"
DEFAULT_API: Final = f"{DEFAULT_SITE}/api/v1"

INFO = SourceInfo(
    name=NAME,
    title="Federal Register: BIS rules (Entity List)",
    url=DEFAULT_API,
    schedule_hours=1,
    schedule="0 * * * mon-fri",  # rules are published on weekdays
    min_records=1,
    max_records=100000,
    key_fields=("document_number",),
    accumulate=True,
    feed_lists=("action",),
    options={
        "per_page": 100,
        "max_pages": 5,
        "since": "2024-01-01",
        "public_inspection": False,
    },
)
