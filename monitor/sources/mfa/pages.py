"""The MFA column's pages: the index (which decisions it lists) and one decision page's text.

**Index.** The column page lists its decisions as links to ``YYYYMM/tYYYYMMDD_N.shtml`` under
the column (relative ``./202509/t20250908_11704050.shtml`` or absolute). Every such link is an
item, whatever element holds it (no CSS class of the real site is known, so none is relied on);
other links (navigation, other columns, other sites) are not items. A column page with no item
raises ShapeError: a redesign must never read as "no new decision".

**Paging.** The column runs on the MFA's TRS CMS: its pages are ``index.shtml``,
``index_1.shtml``, … and each page's script declares how many there are and which one it is:
``var currentPage = 0;`` / ``var countPage = N`` (0-based, the pager the site's ZH listings
and its embassies' listings carry), or the TRS call ``createPageHTML(N, current, "index",
"shtml")``. ``column_paging`` reads that declaration; a page declaring none, conflicting
counts, or pages named otherwise raises ShapeError naming the column, so a redesigned pager
never reads as "one page, nothing older".

**Decision page.** Found by text markers: the title (a line holding ``决定``) directly above a
date line ``YYYY-MM-DD[ HH:MM]``; the text is every line after the date inside the nearest
element holding both (so the page's navigation and footer are never read). A page without
that pair, or with no text under it, raises ShapeError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from monitor.errors import ShapeError
from monitor.sources.mfa.info import NAME
from monitor.sources.mofcom.text import common_ancestor, decode, page_lines, within

_ITEM_PATH = re.compile(r"/fzcqdcs/(\d{6})/t(\d{8})_(\d+)\.shtml$")
# The pager declarations (module docstring); only <script> text is searched.
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*(\d+)")
_CURRENT_PAGE = re.compile(r"\bcurrentPage\s*=\s*(\d+)")
_CREATE_PAGE = re.compile(
    r"""\bcreatePageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*["']([^"']*)["']\s*,\s*["']([^"']*)["']"""
)
PAGE_BASE, PAGE_EXT = "index", "shtml"
_DATE_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s+(\d{1,2}:\d{2}))?$")


@dataclass(frozen=True)
class IndexItem:
    """One decision the column lists: its URL (on this run's host) and the link's title."""

    url: str
    title: str


@dataclass(frozen=True)
class DecisionPage:
    title: str
    published: str  # ISO date of the page's date line
    published_time: str  # "17:00", or ""
    lines: tuple[str, ...]  # the text under the date line


@dataclass(frozen=True)
class Paging:
    """What one column page declares: how many pages the column has, and which one it is
    (0-based; ``None`` when the page does not say)."""

    count: int
    current: int | None


def page_name(number: int) -> str:
    """The file name of column page ``number`` (0-based): ``index.shtml``, ``index_1.shtml``…"""
    return f"{PAGE_BASE}.{PAGE_EXT}" if number == 0 else f"{PAGE_BASE}_{number}.{PAGE_EXT}"


def column_paging(body: bytes, charset: str | None, *, url: str, column: str) -> Paging:
    """The paging the column page at ``url`` declares in its script (module docstring).
    ``column`` (the column's URL) is named in every error."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode(body, charset, url=url, source=NAME), "lxml")
    script = "\n".join(tag.get_text() for tag in soup.find_all("script"))
    counts = {int(m.group(1)) for m in _COUNT_PAGE.finditer(script)}
    currents = {int(m.group(1)) for m in _CURRENT_PAGE.finditer(script)}
    for call in _CREATE_PAGE.finditer(script):
        if (call.group(3), call.group(4)) != (PAGE_BASE, PAGE_EXT):
            raise ShapeError(
                f"the 反制裁 column {column} declares its pages as"
                f" {call.group(3)}_N.{call.group(4)}, not {PAGE_BASE}_N.{PAGE_EXT}:"
                " a pager this source cannot follow",
                source=NAME,
                url=url,
            )
        counts.add(int(call.group(1)))
        currents.add(int(call.group(2)))
    if not counts:
        raise ShapeError(
            f"the 反制裁 column {column}: this page declares no page count (no"
            " 'countPage = N' or createPageHTML(N, …) in its script); the pager may have been"
            " redesigned",
            source=NAME,
            url=url,
        )
    if len(counts) > 1 or len(currents) > 1:
        raise ShapeError(
            f"the 反制裁 column {column}: this page declares conflicting paging"
            f" (page counts {sorted(counts)}, current pages {sorted(currents)})",
            source=NAME,
            url=url,
        )
    [count] = counts
    if count < 1:
        raise ShapeError(f"the 反制裁 column {column} declares {count} pages", source=NAME, url=url)
    return Paging(count, next(iter(currents)) if currents else None)


def index_items(body: bytes, charset: str | None, *, url: str, base: str) -> list[IndexItem]:
    """The decisions one column page links, in page order, each once. ``base`` is the root
    of the host this run reads: a root-relative link (``/wjb_673085/…``) is resolved under it,
    so a mirror keeps its path prefix."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode(body, charset, url=url, source=NAME), "lxml")
    host = urlsplit(url).netloc
    found: dict[str, IndexItem] = {}
    for link in soup.find_all("a", href=True):
        href = str(link["href"]).strip()
        if href.startswith("/") and not href.startswith("//"):
            href = base.rstrip("/") + href
        target = urljoin(url, href).split("#", 1)[0]
        parts = urlsplit(target)
        if parts.netloc != host or not _ITEM_PATH.search(parts.path):
            continue
        title = " ".join(str(link.get("title") or link.get_text()).split())
        found.setdefault(target, IndexItem(target, title))
    if not found:
        raise ShapeError(
            "the 反制裁 column page links no decision (no YYYYMM/tYYYYMMDD_N.shtml link);"
            " the site may have been redesigned",
            source=NAME,
            url=url,
        )
    return list(found.values())


def decision_page(body: bytes, charset: str | None, *, url: str) -> DecisionPage:
    lines = page_lines(decode(body, charset, url=url, source=NAME))
    for at in range(1, len(lines)):
        dated = _DATE_LINE.match(lines[at].text)
        if dated is None or "决定" not in lines[at - 1].text:
            continue
        root = common_ancestor(lines[at - 1].element, lines[at].element)
        text = tuple(line.text for line in lines[at + 1 :] if within(line.element, root))
        if not text:
            raise ShapeError("decision page has no text under its date line", source=NAME, url=url)
        return DecisionPage(lines[at - 1].text, dated.group(1), dated.group(2) or "", text)
    raise ShapeError(
        "no title (a line with 决定) above a YYYY-MM-DD date line: not a decision page we know",
        source=NAME,
        url=url,
    )
