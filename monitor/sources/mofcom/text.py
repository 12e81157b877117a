"""Bytes to text for MOFCOM pages: charset choice, and HTML to lines of text.

Charset, in order: a byte-order mark; the charset the HTTP header declared; the page's own
``<meta charset>`` or ``http-equiv`` declaration; else detection (UTF-8 strictly, then
GB18030). A declared charset the bytes do not decode under raises ParseError instead of
falling back: a page we cannot read reliably must fail loudly, never be parsed as mojibake
(which would read as a changed title and a vanished entity list). GB2312 and GBK labels are
read as GB18030, their superset, as browsers do.

Lines: block elements (p, div, li, headings, table cells, ``<br>``) end a line; runs of
spaces, including the full-width space MOFCOM indents with, fold to one. Each line keeps the
block element it came from so callers can find the part of the page that holds an article.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from monitor.errors import ParseError
from monitor.sources.mofcom.options import NAME

if TYPE_CHECKING:
    # bs4 is imported where pages are parsed: a run that gets "not modified" never needs it.
    from bs4 import Tag

_GB_LABELS = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "csgb2312", "cp936", "gb18030"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_SPACES = re.compile(r"[\s\u3000\u00a0]+")
# Invisible format characters pasted into names (a real annex has U+200C right after "（"):
# dropped, so "\u200cHigh Point" and "High Point" are one name and one key.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
# fmt: off
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "center", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody",
    "td", "tfoot", "th", "thead", "title", "tr", "ul",
})
# fmt: on
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "head"})


def decode(
    body: bytes, declared: str | None, *, url: str, html: bool = True, source: str = NAME
) -> str:
    """The text of ``body``; see the module docstring for the order of choices. ``source``
    names the source in errors (the MFA source reads its pages with the same rules)."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if body.startswith(bom):
            return _strict(body, name, "byte-order mark", url, source)
    if declared:
        return _strict(body, declared, "HTTP header", url, source)
    if html:
        found = _META_CHARSET.search(body[:4096])
        if found:
            return _strict(body, found.group(1).decode("ascii"), "meta charset", url, source)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"no charset declared and the bytes are neither UTF-8 nor GB18030: {exc}",
            source=source,
            url=url,
        ) from exc


def _strict(body: bytes, label: str, where: str, url: str, source: str) -> str:
    name = "gb18030" if label.strip().lower() in _GB_LABELS else label.strip().lower()
    try:
        text = body.decode(name)
    except LookupError as exc:
        raise ParseError(f"unknown charset {label!r} ({where})", source=source, url=url) from exc
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"bytes do not decode as {label} declared by the {where}: {exc}", source=source, url=url
        ) from exc
    if "\ufffd" in text:
        raise ParseError(
            f"replacement characters after decoding as {label} ({where})", source=source, url=url
        )
    return text


def clean(text: str) -> str:
    """One line of text with every run of (full-width) spaces folded to one space and
    invisible format characters (zero-width space, joiners, BOM) removed."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


@dataclass(frozen=True)
class Line:
    """A line of page text and the block element it was read from."""

    text: str
    element: Tag


def page_lines(html: str) -> list[Line]:
    """The page's text, line by line, in document order (comments and scripts left out)."""
    from bs4 import BeautifulSoup, Tag
    from bs4.element import Comment, Declaration, Doctype, NavigableString

    soup = BeautifulSoup(html, "lxml")
    root = soup.body or soup
    lines: list[Line] = []
    buffer: list[str] = []

    def flush(owner: Tag) -> None:
        text = clean("".join(buffer))
        buffer.clear()
        if text:
            lines.append(Line(text, owner))

    def walk(node: Tag, block: Tag) -> None:
        for child in node.children:
            if isinstance(child, Comment | Declaration | Doctype):
                continue
            if isinstance(child, NavigableString):
                buffer.append(str(child))
            elif isinstance(child, Tag) and child.name not in _SKIPPED_TAGS:
                if child.name in _BLOCK_TAGS:
                    flush(block)
                    walk(child, child)
                    flush(child)
                else:
                    walk(child, block)

    walk(root, root)
    flush(root)
    return lines


def within(element: Tag, root: Tag) -> bool:
    return element is root or any(parent is root for parent in element.parents)


def common_ancestor(first: Tag, second: Tag) -> Tag:
    """The nearest element holding both (the document itself at worst)."""
    chain = [first, *first.parents]
    for candidate in [second, *second.parents]:
        if any(candidate is seen for seen in chain):
            return candidate
    raise AssertionError("elements of one document share the document")


@dataclass(frozen=True)
class ListLink:
    href: str
    title: str
    text: str


@dataclass(frozen=True)
class ListItem:
    """One ``<li>`` of a JPaaS list fragment: its text and its links."""

    text: str
    links: tuple[ListLink, ...]


def fragment_items(html: str) -> list[ListItem]:
    """The ``<li>`` items of an HTML fragment (a JPaaS list page).

    Read with the standard library's HTML parser, not BeautifulSoup: a warm run
    reads list pages every time and would otherwise import bs4 only for this.
    """
    reader = _ListReader()
    reader.feed(html)
    reader.close()
    return reader.items


class _ListReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[ListItem] = []
        self._text: list[str] | None = None
        self._links: list[ListLink] = []
        self._link: tuple[str, str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            self._finish_item()
            self._text, self._links = [], []
        elif tag == "a" and self._text is not None:
            values = dict(attrs)
            self._link = (values.get("href") or "", values.get("title") or "", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            href, title, text = self._link
            if href:
                self._links.append(ListLink(href, title, "".join(text)))
            self._link = None
        elif tag == "li":
            self._finish_item()

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._link is not None:
            self._link[2].append(data)

    def close(self) -> None:
        super().close()
        self._finish_item()

    def _finish_item(self) -> None:
        if self._text is not None:
            self.items.append(ListItem("".join(self._text), tuple(self._links)))
        self._text, self._link = None, None
