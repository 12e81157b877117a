"""The MFA column's pages: the index (which decisions it lists) and one decision page's text.

**Index.** The column page lists its decisions as links to ``YYYYMM/tYYYYMMDD_N.shtml`` under
the column (relative ``./202509/t20250908_11704050.shtml`` or absolute). Every such link is an
item, whatever element holds it (no CSS class of the real site is known, so none is relied on);
other links (navigation, other columns, other sites) are not items. A column page with no item
raises ShapeError: a redesign must never read as "no new decision".

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
