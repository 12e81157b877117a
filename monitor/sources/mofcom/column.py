"""What a MOFCOM column page declares: the list API it loads its items from, and the ids.

A JPaaS column page (``…/index.html``) renders its list by script. The script tag names its
own parameters::

    <script src="…/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit"
            queryData="{'webId':'…','tplSetId':'…','tagId':'分页列表','pageId':'…',…}"></script>

``queryData`` is a JSON-like object written with single quotes (public scrapers of these
sites read it by replacing ``'`` with ``"``; SOURCES.md section 4, "Column pages declare…").
Reading it at run time means an index is configured by its column page alone, and a
redesign shows up as "no unitbuild.js declaration on the column page" instead of an empty
list. Anything else than exactly what is described here raises ShapeError naming the column:
no declaration, a declaration without ``url`` or ``queryData``, a ``queryData`` that is not
an object of plain values, one that lacks an id, several declarations none of which can be
told to be the list.

A page may declare several units (a navigation unit, a list unit): the one whose tagId is
the configured ``tag_id``, else the only one, else the only one whose tagId names a list
(``…列表``) is taken.

Configured ids override declared ones; an index with every id configured is not read from
its page at all (``IndexSpec.pinned``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from types import MappingProxyType
from urllib.parse import urljoin, urlsplit

from monitor.errors import ShapeError
from monitor.http import HttpClient, Validators
from monitor.sources.mofcom.options import NAME, QUERY_NAMES, IndexSpec, MofcomOptions
from monitor.sources.mofcom.text import decode

# Sent unless the page declares otherwise: what the MOFCOM CMS answers to ("bulidstatic" is
# misspelt on purpose; MIIT's CMS wants "buildstatic").
QUERY_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {"parseType": "bulidstatic", "pageType": "column", "editType": "null"}
)


@dataclass(frozen=True)
class ListTarget:
    """One index as a run asks for it: the list API URL and its query (without paging)."""

    index: IndexSpec
    endpoint: str  # absolute, on this run's host
    query: Mapping[str, str]
    declared: bool  # the ids were read from the column page

    @property
    def page_id(self) -> str:
        return self.query["pageId"]


def pinned_target(index: IndexSpec, options: MofcomOptions) -> ListTarget:
    """The target of an index whose ids are all configured (its page is not read)."""
    query = {**QUERY_DEFAULTS, **index.overrides}
    return ListTarget(index, index.base + options.api_path, MappingProxyType(query), False)


def declared_target(
    body: bytes, charset: str | None, *, index: IndexSpec, options: MofcomOptions
) -> ListTarget:
    """The target a column page declares, configured ids applied over the declared ones."""
    url = index.referer
    declarations = _declarations(decode(body, charset, url=url), index, url)
    attrs = _chosen(declarations, index, url)
    api = (attrs.get("url") or "").strip()
    if not api:
        raise _shape(index, "its unitbuild.js declaration has no url attribute", url)
    declared = _query_data(attrs.get("querydata"), index, url)
    query = {**QUERY_DEFAULTS, **declared, **index.overrides}
    missing = [name for name in QUERY_NAMES.values() if not query.get(name)]
    if missing:
        raise _shape(index, f"its queryData has no {', '.join(missing)}", url)
    endpoint = _endpoint(api, index, options)
    if not options.on_site(endpoint):
        raise _shape(index, f"its unitbuild.js url {api!r} is off the configured hosts", url)
    return ListTarget(index, endpoint, MappingProxyType(query), True)


class ColumnCache:
    """Column pages held between runs of one process (the daemon), with their validators,
    so that a page unchanged since the last run is answered by a 304 and not read again."""

    def __init__(self) -> None:
        self._pages: dict[str, tuple[Validators, bytes, str | None]] = {}
        self._lock = threading.Lock()  # daemon jobs run in threads

    def fetch(self, client: HttpClient, url: str) -> tuple[bytes, str | None]:
        """The page's bytes and charset: fetched, or the cached copy when not modified."""
        with self._lock:
            held = self._pages.get(url)
        result = client.get(url, source=NAME, validators=held[0] if held else None)
        if result.not_modified and held is not None:
            return held[1], held[2]
        if result.validators.etag or result.validators.last_modified:
            with self._lock:
                self._pages[url] = (result.validators, result.content, result.charset)
        return result.content, result.charset

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


COLUMN_PAGES = ColumnCache()


def _declarations(html: str, index: IndexSpec, url: str) -> list[dict[str, str]]:
    reader = _ScriptReader()
    reader.feed(html)
    reader.close()
    if not reader.found:
        raise _shape(
            index,
            "the column page has no unitbuild.js declaration (<script src=…unitbuild.js"
            " url=… queryData=…>); the site may have been redesigned",
            url,
        )
    return reader.found


def _chosen(found: list[dict[str, str]], index: IndexSpec, url: str) -> dict[str, str]:
    if len(found) == 1:
        return found[0]
    tags = [_tag_of(attrs) for attrs in found]
    wanted = index.overrides.get("tagId")
    lists = [i for i, tag in enumerate(tags) if (tag == wanted if wanted else tag.endswith("列表"))]
    if len(lists) == 1:
        return found[lists[0]]
    raise _shape(
        index,
        f"the column page has {len(found)} unitbuild.js declarations (tagIds"
        f" {', '.join(repr(t) for t in tags)}); set tag_id to say which one is the list",
        url,
    )


def _tag_of(attrs: Mapping[str, str]) -> str:
    try:
        doc = _loads(attrs.get("querydata") or "")
    except ValueError:
        return ""
    return str(doc.get("tagId", "")) if isinstance(doc, dict) else ""


def _query_data(raw: str | None, index: IndexSpec, url: str) -> dict[str, str]:
    if raw is None or not raw.strip():
        raise _shape(index, "its unitbuild.js declaration has no queryData attribute", url)
    try:
        doc = _loads(raw)
    except ValueError as exc:
        raise _shape(index, f"its queryData is not readable ({exc}): {raw[:120]!r}", url) from exc
    if not isinstance(doc, dict):
        raise _shape(index, f"its queryData is not an object: {raw[:120]!r}", url)
    query: dict[str, str] = {}
    for key, value in doc.items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _shape(index, f"its queryData value of {key!r} is not a plain value", url)
        query[str(key)] = str(value)
    return query


def _loads(raw: str) -> object:
    """queryData as the site's own script reads it: single quotes stand for double ones."""
    return json.loads(raw.replace("'", '"'))


def _endpoint(api: str, index: IndexSpec, options: MofcomOptions) -> str:
    """The declared API path on this run's host (a mirror keeps its prefix)."""
    if api.startswith("//"):
        api = f"{urlsplit(index.referer).scheme or 'https'}:{api}"
    if urlsplit(api).scheme in ("http", "https"):
        return options.fetch_url(api)
    if api.startswith("/"):
        return index.base.rstrip("/") + api
    return urljoin(index.referer, api)


def _shape(index: IndexSpec, message: str, url: str) -> ShapeError:
    return ShapeError(f"{index.describe()}: {message}", source=NAME, url=url)


class _ScriptReader(HTMLParser):
    """The attributes of every ``<script>`` whose src names unitbuild.js (names lower-cased,
    as HTML attribute names are case-insensitive: the site writes ``queryData``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "script":
            return
        values = {name: value or "" for name, value in attrs}
        if "unitbuild.js" in values.get("src", ""):
            self.found.append(values)
