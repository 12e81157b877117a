"""The MOFCOM source's static facts (name, site, schedule, bounds, default options),
importable without its parser: the registry and the configuration read these for every source."""

from __future__ import annotations

from monitor.config import SourceSettings
from monitor.sources.base import SourceInfo
from monitor.sources.mofcom.options import DEFAULT_OPTIONS, NAME, read_options

INFO = SourceInfo(
    name=NAME,
    title="MOFCOM announcements (商务部公告, 不可靠实体清单, 出口管制管控名单)",
    url="https://www.mofcom.gov.cn",
    schedule_hours=2,
    min_records=1,
    max_records=100000,
    key_fields=("instrument",),
    lists=("ECL", "UEL"),
    options=DEFAULT_OPTIONS,
    accumulate=True,
    act_fields=("status", "status_since", "status_action", "history"),
    feed_lists=("action",),
    check=lambda settings: _check(settings),
)


def _check(settings: SourceSettings) -> None:
    """The options as the source reads them, when the settings load."""
    read_options(settings.url, settings.options)
