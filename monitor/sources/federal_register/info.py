"""The Federal Register source's static facts (name, API root, schedule, bounds), importable
without its parser: the registry and the configuration read these for every source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from monitor.config import SourceSettings
from monitor.errors import ConfigError
from monitor.sources.base import SourceInfo

NAME: Final = "us_federal_register"
DEFAULT_SITE: Final = "https://www.federalregister.gov"
DEFAULT_API: Final = f"{DEFAULT_SITE}/api/v1"


@dataclass(frozen=True)
class Options:
    per_page: int
    max_pages: int
    since: str
    public_inspection: bool


def read_options(settings: SourceSettings) -> Options:
    """The source's options, checked; a wrong value raises ConfigError naming it."""
    options = settings.options

    def bad(name: str, wanted: str) -> ConfigError:
        return ConfigError(
            f"option {name} = {options.get(name)!r}: {wanted}", source=NAME, url=settings.url
        )

    per_page, max_pages = options.get("per_page"), options.get("max_pages")
    if not _whole(per_page, 1, 1000):
        raise bad("per_page", "a whole number from 1 to 1000")
    if not _whole(max_pages, 1, None):
        raise bad("max_pages", "a whole number of at least 1")
    since = _iso_date(options.get("since"))
    if since is None:
        raise bad("since", "an ISO date (YYYY-MM-DD)")
    public_inspection = options.get("public_inspection")
    if not isinstance(public_inspection, bool):
        raise bad("public_inspection", "true or false")
    return Options(int(str(per_page)), int(str(max_pages)), since, public_inspection)


def _whole(value: object, low: int, high: int | None) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return low <= value and (high is None or value <= high)


def _iso_date(value: object) -> str | None:
    """An ISO date from text or a TOML date (``since = 2024-01-01``); None if it is neither."""
    if isinstance(value, date):
        return value.isoformat()[:10]  # a TOML date-time keeps its date
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        return None


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
        "public_inspection": True,  # BIS rules are on the desk days before publication
    },
    check=read_options,  # when the settings load, not at the first fetch
)
