"""The export-control site's own column list (exportcontrol.mofcom.gov.cn), read where it lists
acts the main site lacks.

Request (facts from two public crawlers, SOURCES.md section 4): ``POST {host}/edi_ecms_web_front/
front/column/getColumnList`` with the form ``pageNumber=N&columnID=ID&title=`` and the headers of
the site's own XHR call (``X-Requested-With: XMLHttpRequest``, ``Accept: application/json,
text/javascript, */*; q=0.01``). Without the XHR header the site still answers 200 but with every
Chinese character replaced by ``?``: such an answer is refused (ShapeError, "came back as '?'"),
never read as titles that name nothing.

Answer: ``{"pageInfo": {"rows": [...], "maxPageNum": N, …}, …}``; a row carries ``title``,
``url`` (root-relative, ``/article/zcfg/gnzcfg/zcfggzqd/YYYYMM/NNNN.html`` or
``/article/gndt/YYYYMM/NNNN.html``), ``publishTimeStr`` (``YYYY-MM-DD …``) and ``content``
(the article's text; empty for a few articles, whose page is then fetched). Anything else (not
JSON, no ``pageInfo.rows`` list, a row without a title, URL or date, an empty first page)
raises ShapeError naming the column and the request.

A stored list answer is named by its request: the endpoint with the form fields written as a
query (``…/getColumnList?columnID=9&pageNumber=1&title=``), so a bundle replays under the same
rules as it was fetched.

Which rows become acts (``ec_actions``, run on the stored bytes, so replay gives the same): a
row whose list title may matter (``title_matters``), read from its ``content`` (the text as the
article page has it: a 【发布文号】 block or a 文号 first line, else a news text keyed by date and
title like the main site's answers), of a kind the source acts on (not ``other``: every title
on this site says 管制), and whose key (the normalised 文号) is not already read from the main
site, in this run's bundle or held from earlier runs: the same announcement is published under
several URLs and one 文号 is one act (SOURCES.md section 4).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from monitor.errors import ShapeError
from monitor.models import Record
from monitor.sources.mofcom.actions import action_from_article
from monitor.sources.mofcom.article import Article, parse_article
from monitor.sources.mofcom.classify import title_key, title_matters
from monitor.sources.mofcom.options import NAME, EcColumn, MofcomOptions
from monitor.sources.mofcom.text import decode, page_lines

XHR_HEADERS: Mapping[str, str] = {
    "X-Requested-With": "XMLHttpRequest",
    "Accept": "application/json, text/javascript, */*; q=0.01",
}
# Said where the site's answers stop making sense: how to run on without this site.
_OFF = " (options.export_control.enabled = false stops reading this site)"
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
# Two question marks in a row never occur in a Chinese title; the site's '?' for every
# Chinese character always gives them.
_MANGLED = re.compile(r"\?{2,}")


@dataclass(frozen=True)
class EcRow:
    """One row of a column answer; ``url`` on this run's host."""

    url: str
    title: str
    date: str
    content: str
    source: str


def ec_form(column: EcColumn, page: int) -> dict[str, str]:
    return {"pageNumber": str(page), "columnID": str(column.column_id), "title": ""}


def ec_answer_url(column: EcColumn, page: int) -> str:
    """The name a stored answer is kept under: the endpoint, the form fields as a query."""
    return f"{column.endpoint}?{urlencode(sorted(ec_form(column, page).items()))}"


def ec_column_of(url: str, options: MofcomOptions) -> tuple[EcColumn, int]:
    """The column and page number of a stored answer's name."""
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    try:
        column_id, page = int(query["columnID"][0]), int(query["pageNumber"][0])
    except (KeyError, IndexError, ValueError) as exc:
        raise ShapeError(
            f"not an export-control list request ({exc!r})", source=NAME, url=url
        ) from exc
    for column in options.ec_columns:
        if column.column_id == column_id and url.split("?", 1)[0] == column.endpoint:
            return column, page
    raise ShapeError("list answer of no configured export-control column", source=NAME, url=url)


def ec_rows(
    body: bytes,
    charset: str | None,
    *,
    url: str,
    column: EcColumn,
    options: MofcomOptions,
    page: int,
) -> tuple[list[EcRow], int]:
    """The rows of one answer and its ``maxPageNum`` (the page itself when not stated)."""
    where = column.describe()
    text = decode(body, charset, url=url, html=False)
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise _shape(f"{where}: list answer is not JSON: {exc}", url) from exc
    info = doc.get("pageInfo") if isinstance(doc, dict) else None
    rows = info.get("rows") if isinstance(info, dict) else None
    if not isinstance(info, dict) or not isinstance(rows, list):
        raise _shape(
            f"{where}: list answer has no pageInfo.rows list; the API has changed{_OFF}", url
        )
    if page == 1 and not rows:
        raise _shape(
            f"{where}: list answer has no rows; the site may have been redesigned{_OFF}", url
        )
    found = []
    for number, row in enumerate(rows, start=1):
        found.append(_row(row, number, where=where, url=url, options=options))
    pages = info.get("maxPageNum", page)
    return found, pages if isinstance(pages, int) and not isinstance(pages, bool) else page


def _row(row: object, number: int, *, where: str, url: str, options: MofcomOptions) -> EcRow:
    if not isinstance(row, dict):
        raise _shape(f"{where}: row {number} is not an object", url)
    fields = {}
    for key in ("title", "url", "publishTimeStr"):
        value = row.get(key)
        if not isinstance(value, str) or not value.strip():
            raise _shape(f"{where}: row {number} has no {key}", url)
        fields[key] = value.strip()
    content, source = row.get("content"), row.get("source")
    if content is not None and not isinstance(content, str):
        raise _shape(f"{where}: row {number} content is not text", url)
    texts = (fields["title"], str(source or ""), str(row.get("columnName") or ""))
    if any(_MANGLED.search(t) for t in texts) or _MANGLED.search((content or "")[:400]):
        raise ShapeError(
            f"{where}: the answer's Chinese came back as '?' (row {number} title"
            f" {fields['title'][:40]!r}); the site does this when a request lacks"
            f" X-Requested-With: XMLHttpRequest. Nothing was read from it{_OFF}",
            source=NAME,
            url=url,
        )
    date = _DATE.match(fields["publishTimeStr"])
    if date is None:
        raise _shape(f"{where}: row {number} publishTimeStr is not YYYY-MM-DD…", url)
    return EcRow(
        url=_resolve(fields["url"], options),
        title=fields["title"],
        date="-".join(date.groups()),
        content=content or "",
        source=str(source or ""),
    )


def wanted(row: EcRow, held: Collection[str]) -> bool:
    """Whether a row may be an act not held yet (title first, no text read)."""
    key = title_key(row.title)
    return title_matters(row.title) and not (key and key in held)


def ec_actions(
    rows: Iterable[tuple[EcRow, EcColumn]], *, have: Collection[str], options: MofcomOptions
) -> list[Record]:
    """The acts of the rows that the main site (``have``: keys read or held) lacks."""
    records = []
    for row, column in rows:
        if not row.content.strip() or not wanted(row, have):
            continue  # an empty row's page is fetched and read as an article
        site = options.site_url(row.url)
        if site in options.skip_urls:
            continue  # a human reviewed it and wants it skipped (skip_urls)
        record = action_from_article(_article(row, column), url=site)
        if record.key in have or record.fields.get("kind") == "other":
            continue
        records.append(record)
    return records


def _article(row: EcRow, column: EcColumn) -> Article:
    """A row's text read as its article page is: the title over the content."""
    content = row.content if "<" in row.content else _paragraphs(row.content)
    doc = f"<html><body><div><h1>{html.escape(row.title)}</h1>{content}</div></body></html>"
    try:
        return parse_article(doc, url=row.url)
    except ShapeError as exc:
        if title_key(row.title) or "【发布文号】" in row.content:
            raise ShapeError(
                f"{column.describe()}: the text of {row.title!r} has a 文号 but cannot be"
                f" read: {exc}",
                source=NAME,
                url=row.url,
            ) from exc
    lines = [line.text for line in page_lines(doc)][1:]
    if not lines:
        raise _shape(f"{column.describe()}: row {row.title!r} has no text", row.url)
    # No 文号: a news text (a spokesperson answer), keyed by date and title like the main site's.
    return Article(
        title=row.title,
        layout="news",
        issuing_unit=row.source,
        document_number="",
        published=row.date,
        published_time="",
        body=tuple(lines),
        annex=(),
    )


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())


def _resolve(href: str, options: MofcomOptions) -> str:
    """Root-relative links belong to the export-control host of this run."""
    base = options.bases["exportcontrol"]
    if urlsplit(href).scheme in ("http", "https"):
        return options.fetch_url(href)
    if href.startswith("/"):
        return base.rstrip("/") + href
    return urljoin(base.rstrip("/") + "/", href)


def _shape(message: str, url: str) -> ShapeError:
    return ShapeError(message, source=NAME, url=url)
