"""The MFA source's static facts (name, column, schedule, bounds, default options),
importable without its parser: the registry and the configuration read these for every source.

The column (reference SOURCES.md section 4, "MFA"): ``https://www.mfa.gov.cn/web/wjb_673085/
zfxxgk_674865/gknrlb/fzcqdcs/``, its decisions at ``YYYYMM/tYYYYMMDD_NNNNNNNN.shtml`` under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from monitor.config import SourceSettings
from monitor.errors import ConfigError
from monitor.sources.base import SourceInfo, url_list_option

NAME = "cn_mfa_countermeasures"
ORIGIN = "https://www.mfa.gov.cn"
COLUMN = "/web/wjb_673085/zfxxgk_674865/gknrlb/fzcqdcs/"
# The most column pages a run follows. Each page declares how many the column has
# (``pages.column_paging``); a column declaring more fails the run rather than reading part
# of it. A public crawler of the site's ZH listings records that they stop at 29 pages.
MAX_PAGES = 30
DEFAULT_OPTIONS: Mapping[str, object] = MappingProxyType({"max_pages": MAX_PAGES, "skip_urls": ()})

INFO = SourceInfo(
    name=NAME,
    title="MFA countermeasure decisions (外交部 反制措施的决定, 反制清单)",
    url=ORIGIN + COLUMN,
    schedule_hours=6,
    min_records=1,
    max_records=100000,
    key_fields=("instrument",),
    lists=("MFA",),
    options=DEFAULT_OPTIONS,
    accumulate=True,
    act_fields=("status", "status_since", "status_action", "history"),
    feed_lists=("action",),
    check=lambda settings: read_options(settings),
)


def read_options(settings: SourceSettings) -> tuple[int, frozenset[str]]:
    """(the most column pages to follow, site URLs to skip); anything malformed raises
    ConfigError."""
    if "pages" in settings.options:
        raise ConfigError(
            "option pages is gone: the column's pages declare how many there are; set"
            " max_pages (the most to follow, 1 to 100) instead",
            source=NAME,
        )
    pages = settings.options.get("max_pages", MAX_PAGES)
    if isinstance(pages, bool) or not isinstance(pages, int) or not 1 <= pages <= 100:
        raise ConfigError("option max_pages must be a whole number from 1 to 100", source=NAME)
    skip = url_list_option(settings.options.get("skip_urls", ()), source=NAME)
    if not settings.url.rstrip("/").endswith(COLUMN.rstrip("/")):
        raise ConfigError(
            f"url must be the 反制裁 column (ending {COLUMN}), not {settings.url}", source=NAME
        )
    return pages, skip
