"""Options of the MOFCOM source: the columns it watches and the hosts they live on.

The list pages of www.mofcom.gov.cn and aqygzj.mofcom.gov.cn are rendered by script; the items
come from one CMS endpoint told which column to render by opaque ids (webId, tplSetId, tagId,
pageId). Those ids are CMS internals that change on a redesign, so an index is configured by
its **column page** alone: the page declares the endpoint and the ids in its
``<script src="…unitbuild.js" url="…" queryData="{…}">`` tag, and the source reads them from
the page at run time (``mofcom_column``; SOURCES.md section 4, "Column pages declare…").
Ids given in the configuration (``web_id``, ``tpl_set_id``, ``tag_id``, ``page_id``) override
the declared ones; with all four given the column page is not read (and ``api_path`` is used).

Index table (``options["indexes"]``, one table per index; a config file may override any key of
any index, the rest keep their defaults). Every index is enabled by default:

=============  ======  ==============================================================
index          host    column page (``column``)
=============  ======  ==============================================================
policy         www     政务公开 > 政策发布 ``/zwgk/zcfb/index.html`` (also 商务部令 orders)
spokesperson   www     新闻发布 > 新闻发言人谈话 ``/xwfb/xwfyrth/index.html``
news           www     首页 新闻发布 ``/syxwfb/index.html`` (the 2025-11-05 UEL answer)
trade_remedy   www     贸易救济 announcements ``/zcfb/zgdwjjmywg/index.html``
aqygzj         aqygzj  安全与管制局 规章及规范性文件 ``/flzc/gzjgfxwj/index.html`` (商务部令
                       countermeasure orders, UEL notices); one call of 99999 items
=============  ======  ==============================================================

MOFCOM orders (商务部令) have no column of their own that we know of: they are published under
政策发布 and on the bureau's list (SOURCES.md section 4), which both indexes read (an order under
政策发布 is read as a countermeasure with its parties: ``tests/sources/mofcom/test_orders.py``).

The export-control site (``options["export_control"]``, ``mofcom_ecsite``): its column list API,
asked by columnID, not by a column page. Keys: ``enabled`` (default on), ``api_path``, ``pages``
(default 1; 20 rows a page), ``columns`` (a table per column: ``enabled``, ``column_id``,
``label``; defaults ``control_lists`` = 9 管制清单 and ``domestic_news`` = 1 国内动态, ids from
public crawlers, not verified on the live site). Its host is ``options["hosts"]["exportcontrol"]``.

Only items whose list title may matter (``mofcom_classify.title_matters``: export control,
entity lists, countermeasures, trade remedies, investigations) are fetched; the news columns
carry every kind of ministry news.

Hosts: ``settings.url`` is the www host; ``options["hosts"]["aqygzj"]`` the bureau's,
``options["hosts"]["exportcontrol"]`` the export-control site's (a hosts table in the config
overrides the default hosts one by one). Stored
URLs are always written on the public origins (``SITE_ORIGINS``), whatever host a run fetched
from, so a mirror (tests, ``ecmon demo``) and the live site give the same records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from monitor.errors import ConfigError
from monitor.sources.base import url_list_option

NAME = "cn_mofcom_announcements"
API_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"
SITE_ORIGINS: Mapping[str, str] = MappingProxyType(
    {
        "www": "https://www.mofcom.gov.cn",
        "aqygzj": "https://aqygzj.mofcom.gov.cn",
        "exportcontrol": "https://exportcontrol.mofcom.gov.cn",
    }
)
# The export-control site's column list API (``mofcom_ecsite``; SOURCES.md section 4).
EC_API_PATH = "/edi_ecms_web_front/front/column/getColumnList"
# Its columns by the ids public crawlers post (read_file 60818714583: 9 "carries the control
# lists, the licence catalogue and the announcements that suspend or repeal earlier ones";
# 4694176599: 1 and 2 are 国内动态 / 国际动态). Which article paths each lists is inferred
# (9: /article/zcfg/gnzcfg/zcfggzqd/ 管制清单, 1: /article/gndt/ 国内动态), not verified.
DEFAULT_EC_COLUMNS: Mapping[str, Mapping[str, object]] = MappingProxyType(
    {
        "control_lists": {"enabled": True, "column_id": 9, "label": "管制清单"},
        "domestic_news": {"enabled": True, "column_id": 1, "label": "国内动态"},
    }
)
DEFAULT_EXPORT_CONTROL: Mapping[str, object] = MappingProxyType(
    {"enabled": True, "api_path": EC_API_PATH, "pages": 1, "columns": DEFAULT_EC_COLUMNS}
)
# The ids two public crawlers use (SOURCES.md section 4), for a config that wants to pin them:
# policy webId 8f43c7ad3afc411fb56f281724b73708, tplSetId 52551ea0e2c14bca8c84792f7aa37ead,
# tagId 分页列表, pageId fc8bdff48fa345a48b651c1285b70b8f; aqygzj webId
# b28941ad4e064442856787562c9a4961, tplSetId DDBav9QvwJVbs9iznQVmO, tagId 信息列表, pageId
# 79d6d2c4e44d458180d37dd4f0996645. The defaults carry none: the column pages declare them.
DEFAULT_INDEXES: Mapping[str, Mapping[str, object]] = MappingProxyType(
    {
        "policy": {
            "enabled": True,
            "host": "www",
            "column": "/zwgk/zcfb/index.html",
            "label": "政策发布",
        },
        "aqygzj": {
            "enabled": True,
            "host": "aqygzj",
            "column": "/flzc/gzjgfxwj/index.html",
            "label": "安全与管制局 规章及规范性文件",
            # The whole list in one call, as the opensanctions crawler asks for it.
            "page_size": 99999,
            "pages": 1,
        },
        "spokesperson": {
            "enabled": True,
            "host": "www",
            "column": "/xwfb/xwfyrth/index.html",
            "label": "新闻发言人谈话",
        },
        "news": {
            "enabled": True,
            "host": "www",
            "column": "/syxwfb/index.html",
            "label": "首页新闻发布",
        },
        "trade_remedy": {
            "enabled": True,
            "host": "www",
            "column": "/zcfb/zgdwjjmywg/index.html",
            "label": "贸易救济",
        },
    }
)

DEFAULT_OPTIONS: Mapping[str, object] = MappingProxyType(
    {
        "api_path": API_PATH,
        "hosts": MappingProxyType(
            {"aqygzj": SITE_ORIGINS["aqygzj"], "exportcontrol": SITE_ORIGINS["exportcontrol"]}
        ),
        "page_size": 15,
        "pages": 2,
        "indexes": DEFAULT_INDEXES,
        "export_control": DEFAULT_EXPORT_CONTROL,
        # Site URLs a human has reviewed and wants skipped (e.g. a page that cannot be parsed).
        "skip_urls": (),
    }
)

_ID_KEYS = ("web_id", "tpl_set_id", "tag_id", "page_id")
# The names the ids have in a column page's queryData and in the list API's query.
QUERY_NAMES: Mapping[str, str] = MappingProxyType(
    {"web_id": "webId", "tpl_set_id": "tplSetId", "tag_id": "tagId", "page_id": "pageId"}
)
_INDEX_KEYS = frozenset({"enabled", "host", "column", "label", "page_size", "pages", *_ID_KEYS})


@dataclass(frozen=True)
class IndexSpec:
    """One list index: where its API lives, which column it renders, how far to page."""

    name: str
    host: str  # a key of SITE_ORIGINS
    base: str  # the host's base URL for this run (the site, or a mirror)
    column: str  # the column page's path on the host
    label: str  # the column's name on the site, for messages
    overrides: Mapping[str, str]  # configured ids by query name (webId, …); may be empty
    page_size: int
    pages: int

    @property
    def referer(self) -> str:
        """The column page on this run's host (also the list requests' Referer)."""
        return self.base + self.column

    @property
    def pinned(self) -> bool:
        """Every id is configured: the column page need not be read."""
        return len(self.overrides) == len(QUERY_NAMES)

    def describe(self) -> str:
        """How messages name the column: index, site name and public page URL."""
        return f"column {self.name} ({self.label}, {SITE_ORIGINS[self.host]}{self.column})"


@dataclass(frozen=True)
class EcColumn:
    """One column of the export-control site's list API (``mofcom_ecsite``)."""

    name: str
    column_id: int
    label: str
    base: str  # the export-control host's base URL for this run
    api_path: str
    pages: int

    @property
    def endpoint(self) -> str:
        return self.base.rstrip("/") + self.api_path

    def describe(self) -> str:
        """How messages name the column."""
        return (
            f"export-control column {self.name} ({self.label}, columnID={self.column_id},"
            f" {SITE_ORIGINS['exportcontrol']}{self.api_path})"
        )


@dataclass(frozen=True)
class MofcomOptions:
    api_path: str
    bases: Mapping[str, str]  # host key -> base URL for this run
    indexes: tuple[IndexSpec, ...]  # the enabled ones, in table order
    skip_urls: frozenset[str]
    ec_columns: tuple[EcColumn, ...] = ()  # the export-control site's, enabled ones

    def site_url(self, fetched: str) -> str:
        """``fetched`` written on the public origin (a mirror URL maps back to the site)."""
        for host, base in self.bases.items():
            if fetched.startswith(base.rstrip("/") + "/"):
                return SITE_ORIGINS[host] + fetched[len(base.rstrip("/")) :]
        return fetched

    def on_site(self, url: str) -> bool:
        """Whether ``url`` is on one of this run's configured hosts (the only ones fetched)."""
        return any(url.startswith(base.rstrip("/") + "/") for base in self.bases.values() if base)

    def fetch_url(self, site: str) -> str:
        """A public-origin URL rewritten onto this run's base (the inverse of ``site_url``)."""
        for host, origin in SITE_ORIGINS.items():
            for scheme_origin in (origin, origin.replace("https://", "http://", 1)):
                if site.startswith(scheme_origin + "/"):
                    return self.bases[host].rstrip("/") + site[len(scheme_origin) :]
        return site


def read_options(url: str, options: Mapping[str, object]) -> MofcomOptions:
    """Typed options; anything malformed raises ConfigError naming the key."""
    # A hosts table given in the config overrides the default hosts one by one.
    hosts = {
        **_mapping(DEFAULT_OPTIONS["hosts"], "hosts"),
        **_mapping(options.get("hosts", {}), "hosts"),
    }
    bases = {
        "www": url.rstrip("/"),
        "aqygzj": str(hosts.get("aqygzj", "")).rstrip("/"),
        "exportcontrol": str(hosts.get("exportcontrol", "")).rstrip("/"),
    }
    page_size = _whole(options.get("page_size", 15), "page_size")
    pages = _whole(options.get("pages", 2), "pages")
    given = _mapping(options.get("indexes", DEFAULT_INDEXES), "indexes")
    indexes = []
    for name in [*DEFAULT_INDEXES, *(n for n in given if n not in DEFAULT_INDEXES)]:
        table = {**DEFAULT_INDEXES.get(name, {}), **_mapping(given.get(name, {}), name)}
        spec = _index(name, table, bases, page_size, pages)
        if spec is not None:
            indexes.append(spec)
    if not indexes:
        raise ConfigError("no MOFCOM index is enabled", source=NAME, url=url)
    skip = url_list_option(options.get("skip_urls", ()), source=NAME, url=url)
    return MofcomOptions(
        api_path=str(options.get("api_path", API_PATH)),
        bases=MappingProxyType(bases),
        indexes=tuple(indexes),
        skip_urls=skip,
        ec_columns=_ec_columns(options.get("export_control", DEFAULT_EXPORT_CONTROL), bases),
    )


_EC_KEYS = frozenset({"enabled", "api_path", "pages", "columns"})
_EC_COLUMN_KEYS = frozenset({"enabled", "column_id", "label"})


def _ec_columns(value: object, bases: Mapping[str, str]) -> tuple[EcColumn, ...]:
    """The enabled export-control columns; a config table overrides any key of the defaults."""
    table = {**DEFAULT_EXPORT_CONTROL, **_mapping(value, "export_control")}
    unknown = sorted(set(table) - _EC_KEYS)
    if unknown:
        raise ConfigError(f"export_control: unknown key(s) {', '.join(unknown)}", source=NAME)
    if not table.get("enabled", False):
        return ()
    if not bases.get("exportcontrol"):
        raise ConfigError("export_control is enabled but hosts.exportcontrol is empty", source=NAME)
    api_path = str(table.get("api_path") or "")
    if not api_path.startswith("/"):
        raise ConfigError("export_control.api_path must be a path (/…)", source=NAME)
    pages = _whole(table.get("pages", 1), "export_control.pages")
    given = _mapping(table.get("columns", DEFAULT_EC_COLUMNS), "export_control.columns")
    columns = []
    for name in [*DEFAULT_EC_COLUMNS, *(n for n in given if n not in DEFAULT_EC_COLUMNS)]:
        column = {
            **DEFAULT_EC_COLUMNS.get(name, {}),
            **_mapping(given.get(name, {}), f"export_control.columns.{name}"),
        }
        unknown = sorted(set(column) - _EC_COLUMN_KEYS)
        if unknown:
            raise ConfigError(
                f"export_control.columns.{name}: unknown key(s) {', '.join(unknown)}",
                source=NAME,
            )
        if not column.get("enabled", False):
            continue
        columns.append(
            EcColumn(
                name=name,
                column_id=_whole(
                    column.get("column_id"), f"export_control.columns.{name}.column_id"
                ),
                label=str(column.get("label") or name),
                base=bases["exportcontrol"],
                api_path=api_path,
                pages=pages,
            )
        )
    return tuple(columns)


def _index(
    name: str, table: Mapping[str, object], bases: Mapping[str, str], page_size: int, pages: int
) -> IndexSpec | None:
    unknown = sorted(set(table) - _INDEX_KEYS)
    if unknown:
        raise ConfigError(f"index {name}: unknown key(s) {', '.join(unknown)}", source=NAME)
    if not table.get("enabled", False):
        return None
    column = str(table.get("column") or "")
    if not column.startswith("/"):
        raise ConfigError(
            f"index {name} is enabled but has no column page path (e.g. /zwgk/zcfb/index.html)",
            source=NAME,
        )
    host = str(table.get("host", ""))
    if host not in SITE_ORIGINS or not bases.get(host):
        raise ConfigError(f"index {name}: unknown host {host!r}", source=NAME)
    return IndexSpec(
        name=name,
        host=host,
        base=bases[host],
        column=column,
        label=str(table.get("label") or name),
        overrides=MappingProxyType(
            {QUERY_NAMES[key]: str(table[key]) for key in _ID_KEYS if str(table.get(key) or "")}
        ),
        page_size=_whole(table.get("page_size", page_size), f"{name}.page_size"),
        pages=_whole(table.get("pages", pages), f"{name}.pages"),
    )


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"option {what} must be a table", source=NAME)
    return value


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"option {what} must be a whole number >= 1", source=NAME)
    return value
