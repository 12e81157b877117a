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
# The column's first page. Later pages as ``index_1.shtml``, ``index_2.shtml`` follow the
# convention of the CMS the site runs on [INF: not verified on this column]; one page is read
# by default, and a decision already held is never fetched again.
INDEX_PAGE = "index.shtml"
DEFAULT_OPTIONS: Mapping[str, object] = MappingProxyType({"pages": 1, "skip_urls": ()})

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
    """(index pages to read, site URLs to skip); anything malformed raises ConfigError."""
    pages = settings.options.get("pages", 1)
    if isinstance(pages, bool) or not isinstance(pages, int) or not 1 <= pages <= 50:
        raise ConfigError("option pages must be a whole number from 1 to 50", source=NAME)
    skip = url_list_option(settings.options.get("skip_urls", ()), source=NAME)
    if not settings.url.rstrip("/").endswith(COLUMN.rstrip("/")):
        raise ConfigError(
            f"url must be the 反制裁 column (ending {COLUMN}), not {settings.url}", source=NAME
        )
    return pages, skip
