"""Options of the MOFCOM source: the JPaaS list indexes it polls and the hosts they live on.

The list pages of www.mofcom.gov.cn and aqygzj.mofcom.gov.cn are rendered by script; the items
come from one CMS endpoint (``api_path``) told which column to render by four opaque ids
(webId, tplSetId, tagId, pageId). The ids below are the ones two public crawlers use
(reference SOURCES.md section 4); they are CMS internals that change on a redesign, which is
why an empty first page is an error and not "no news".

Index table (``options["indexes"]``, one table per index; a config file may override any key of
any index, the rest keep their defaults):

=============  ======  ===============================================  ========================
index          host    column                                           default
=============  ======  ===============================================  ========================
policy         www     政务公开 > 政策发布 ``/zwgk/zcfb/``               enabled (ids known)
aqygzj         aqygzj  安全与管制局 规章及规范性文件 ``/flzc/gzjgfxwj/``  enabled, one call of
                                                                        99999 items
spokesperson   www     新闻发言人谈话 ``/xwfb/xwfyrth/``                 disabled: pageId and
                                                                        tagId not known
trade_remedy   www     贸易救济 ``/zcfb/zgdwjjmywg/``                    disabled: no id known
=============  ======  ===============================================  ========================

Suspensions and stops of UEL measures are often announced only as spokesperson answers, so
until the spokesperson ids are configured such acts are missed; fill them in from the column
page's source (``webId``/``tplSetId``/``tagId``/``pageId``) and set ``enabled = true``.

Hosts: ``settings.url`` is the www host; ``options["hosts"]["aqygzj"]`` the bureau's. Stored
URLs are always written on the public origins (``SITE_ORIGINS``), whatever host a run fetched
from, so a mirror (tests, ``ecmon demo``) and the live site give the same records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from monitor.errors import ConfigError

NAME = "cn_mofcom_announcements"
API_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"
SITE_ORIGINS: Mapping[str, str] = MappingProxyType(
    {"www": "https://www.mofcom.gov.cn", "aqygzj": "https://aqygzj.mofcom.gov.cn"}
)
# The ids of the www site's template set (the policy column's); assumed site-wide [INF].
_WWW_WEB_ID = "8f43c7ad3afc411fb56f281724b73708"
_WWW_TPL_SET_ID = "52551ea0e2c14bca8c84792f7aa37ead"

DEFAULT_INDEXES: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "policy": {
            "enabled": True,
            "host": "www",
            "column": "/zwgk/zcfb/index.html",
            "web_id": _WWW_WEB_ID,
            "tpl_set_id": _WWW_TPL_SET_ID,
            "tag_id": "分页列表",
            "page_id": "fc8bdff48fa345a48b651c1285b70b8f",
        },
        "aqygzj": {
            "enabled": True,
            "host": "aqygzj",
            "column": "/flzc/gzjgfxwj/index.html",
            "web_id": "b28941ad4e064442856787562c9a4961",
            "tpl_set_id": "DDBav9QvwJVbs9iznQVmO",
            "tag_id": "信息列表",
            "page_id": "79d6d2c4e44d458180d37dd4f0996645",
            # The whole list in one call, as the opensanctions crawler asks for it.
            "page_size": 99999,
            "pages": 1,
        },
        "spokesperson": {
            "enabled": False,
            "host": "www",
            "column": "/xwfb/xwfyrth/index.html",
            "web_id": _WWW_WEB_ID,
            "tpl_set_id": _WWW_TPL_SET_ID,
            "tag_id": "",
            "page_id": "",
        },
        "trade_remedy": {
            "enabled": False,
            "host": "www",
            "column": "/zcfb/zgdwjjmywg/index.html",
            "web_id": "",
            "tpl_set_id": "",
            "tag_id": "",
            "page_id": "",
        },
    }
)

DEFAULT_OPTIONS: Mapping[str, Any] = MappingProxyType(
    {
        "api_path": API_PATH,
        "hosts": MappingProxyType({"aqygzj": SITE_ORIGINS["aqygzj"]}),
        "page_size": 15,
        "pages": 2,
        "indexes": DEFAULT_INDEXES,
        # Site URLs a human has reviewed and wants skipped (e.g. a page that cannot be parsed).
        "skip_urls": (),
    }
)

_ID_KEYS = ("web_id", "tpl_set_id", "tag_id", "page_id")
_INDEX_KEYS = frozenset({"enabled", "host", "column", "page_size", "pages", *_ID_KEYS})


@dataclass(frozen=True)
class IndexSpec:
    """One list index: where its API lives, which column it renders, how far to page."""

    name: str
    host: str  # a key of SITE_ORIGINS
    base: str  # the host's base URL for this run (the site, or a mirror)
    column: str
    web_id: str
    tpl_set_id: str
    tag_id: str
    page_id: str
    page_size: int
    pages: int

    @property
    def referer(self) -> str:
        return self.base + self.column


@dataclass(frozen=True)
class MofcomOptions:
    api_path: str
    bases: Mapping[str, str]  # host key -> base URL for this run
    indexes: tuple[IndexSpec, ...]  # the enabled ones, in table order
    skip_urls: frozenset[str]

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


def read_options(url: str, options: Mapping[str, Any]) -> MofcomOptions:
    """Typed options; anything malformed raises ConfigError naming the key."""
    hosts = _mapping(options.get("hosts", DEFAULT_OPTIONS["hosts"]), "hosts")
    bases = {"www": url.rstrip("/"), "aqygzj": str(hosts.get("aqygzj", "")).rstrip("/")}
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
    skip = options.get("skip_urls", ())
    if isinstance(skip, str) or not all(isinstance(u, str) for u in skip):
        raise ConfigError("skip_urls must be a list of URLs", source=NAME, url=url)
    return MofcomOptions(
        api_path=str(options.get("api_path", API_PATH)),
        bases=MappingProxyType(bases),
        indexes=tuple(indexes),
        skip_urls=frozenset(skip),
    )


def _index(
    name: str, table: Mapping[str, Any], bases: Mapping[str, str], page_size: int, pages: int
) -> IndexSpec | None:
    unknown = sorted(set(table) - _INDEX_KEYS)
    if unknown:
        raise ConfigError(f"index {name}: unknown key(s) {', '.join(unknown)}", source=NAME)
    if not table.get("enabled", False):
        return None
    missing = [key for key in _ID_KEYS if not str(table.get(key) or "")]
    if missing:
        raise ConfigError(
            f"index {name} is enabled but has no {', '.join(missing)} "
            "(read them from the column page of the site)",
            source=NAME,
        )
    host = str(table.get("host", ""))
    if host not in SITE_ORIGINS or not bases.get(host):
        raise ConfigError(f"index {name}: unknown host {host!r}", source=NAME)
    return IndexSpec(
        name=name,
        host=host,
        base=bases[host],
        column=str(table.get("column", "/")),
        web_id=str(table["web_id"]),
        tpl_set_id=str(table["tpl_set_id"]),
        tag_id=str(table["tag_id"]),
        page_id=str(table["page_id"]),
        page_size=_whole(table.get("page_size", page_size), f"{name}.page_size"),
        pages=_whole(table.get("pages", pages), f"{name}.pages"),
    )


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"option {what} must be a table", source=NAME)
    return value


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"option {what} must be a whole number >= 1", source=NAME)
    return value
