"""The JPaaS list API: the request for one page of an index, and the items of its answer.

Request: ``GET {endpoint}?<the column's query>&paramJson={"pageNo":N,"pageSize":M}`` with the
column page as Referer; the endpoint and the query (parseType=bulidstatic, webId, tplSetId,
pageType=column, tagId, editType=null, pageId) are what the column page declares
(``mofcom_column``), configured ids over them.

Answer (the www site's as checked on 2026-10-01, SOURCES.md section 4): ``{"roles": …,
"permissions": …, "success": true, "message": …, "code": "200", "data": {"html": …},
"traceId": …}``; ``data.html`` holds ``div#分页列表 div.page-content ul.txtList_01 > li`` items,
each ``<li><a href="/zwgk/zcfb/art/2025/art_<hex>.html" title="TITLE">TITLE</a><span>
[YYYY-MM-DD]</span></li>``, then a ``div.pagination``. Anything else (no ``success``, a
``code`` other than "200", no ``data.html``, an item without exactly one link or without a
date) raises ShapeError naming the column: a list we cannot read must not pass for "no news".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

from monitor.errors import ShapeError
from monitor.sources.mofcom.column import ListTarget
from monitor.sources.mofcom.options import NAME, IndexSpec, MofcomOptions
from monitor.sources.mofcom.text import clean, decode, fragment_items

_ITEM_DATE = re.compile(r"\[?\s*(\d{4})-(\d{2})-(\d{2})\s*\]?")


@dataclass(frozen=True)
class ListEntry:
    """One item of an index page: the article URL to fetch (on this run's host), title, date."""

    url: str
    title: str
    date: str


def list_params(target: ListTarget, page_no: int, page_size: int = 0) -> dict[str, str]:
    """The query of one list page (``page_size`` 0: the index's own)."""
    size = page_size or target.index.page_size
    paging = json.dumps({"pageNo": page_no, "pageSize": size}, separators=(",", ":"))
    return {**target.query, "paramJson": paging}


def list_page(
    body: bytes,
    charset: str | None,
    *,
    url: str,
    index: IndexSpec,
    options: MofcomOptions,
    page_no: int,
) -> list[ListEntry]:
    """The items of page ``page_no``; an empty first page raises ShapeError."""
    entries = list_entries(body, charset, url=url, index=index, options=options)
    if page_no == 1 and not entries:
        raise _shape(
            f"{index.describe()}: list page has no items; the site may have been redesigned",
            url,
        )
    return entries


def page_of(url: str) -> tuple[str, str, int]:
    """(endpoint URL, pageId, pageNo) of a list request URL."""
    query = parse_qs(urlsplit(url).query)
    try:
        page_no = json.loads(query["paramJson"][0])["pageNo"]
        page_id = query["pageId"][0]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise _shape(f"not a JPaaS list request URL ({exc!r})", url) from exc
    if not isinstance(page_no, int):
        raise _shape("not a JPaaS list request URL (pageNo is not a number)", url)
    return url.split("?", 1)[0], page_id, page_no


def list_entries(
    body: bytes, charset: str | None, *, url: str, index: IndexSpec, options: MofcomOptions
) -> list[ListEntry]:
    """The items of one list answer, links resolved against the index's host."""
    column = index.describe()
    html = _fragment(decode(body, charset, url=url, html=False), url, column)
    entries = []
    for number, item in enumerate(fragment_items(html), start=1):
        if len(item.links) != 1:
            raise _shape(
                f"{column}: list item {number} has {len(item.links)} links, expected 1", url
            )
        link = item.links[0]
        date = _ITEM_DATE.search(clean(item.text).replace(clean(link.text), ""))
        if date is None:
            raise _shape(f"{column}: list item {number} has no [YYYY-MM-DD] date", url)
        title = clean(link.title or link.text)
        if not title:
            raise _shape(f"{column}: list item {number} has no title", url)
        target = _resolve(link.href.strip(), index, options)
        entries.append(ListEntry(target, title, "-".join(date.groups())))
    return entries


def _fragment(text: str, url: str, column: str) -> str:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise _shape(f"{column}: list answer is not JSON: {exc}", url) from exc
    if not isinstance(doc, dict) or doc.get("success") is not True:
        raise _shape(
            f"{column}: list answer is not a successful JPaaS answer (success != true)", url
        )
    if "code" in doc and str(doc["code"]) != "200":
        raise _shape(f'{column}: list answer has code {doc["code"]!r}, not "200"', url)
    data = doc.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("html"), str):
        raise _shape(f"{column}: list answer has no data.html text", url)
    return str(data["html"])


def _resolve(href: str, index: IndexSpec, options: MofcomOptions) -> str:
    """Root-relative links belong to the index's host (a mirror keeps its path prefix);
    absolute and protocol-relative ones (``//host/path``) are the site's only on its origins."""
    href = href.split("#", 1)[0]
    if href.startswith("//"):
        href = f"{urlsplit(index.referer).scheme or 'https'}:{href}"
    if urlsplit(href).scheme in ("http", "https"):
        return options.fetch_url(href)
    if href.startswith("/"):
        return index.base.rstrip("/") + href
    return urljoin(index.referer, href)


def _shape(message: str, url: str) -> ShapeError:
    return ShapeError(message, source=NAME, url=url)
