"""One MOFCOM article page to its parts, found by text markers (no CSS class is relied on).

Two layouts (reference SOURCES.md section 4):

* **Policy release** (``/zwgk/zcfb/``, ``/zcfb/…``, aqygzj ``/flzc/…``): title, then the
  metadata block ``【发布单位】…`` / ``【发布文号】…`` / ``【发文日期】YYYY年MM月DD日`` (brackets
  full- or half-width), the text, a signature (``商务部``, ``不可靠实体清单工作机制（商务部代章）``)
  over a date line ``2025年1月2日``, then any annex (``附件`` and numbered entity lines). The text
  runs from the block to the signature date; the annex from there to the first line that is
  not an entity line, so page chrome after it is never read as entities.
* **News / spokesperson answer** (``/xwfb/…``, ``/syxwfb/…``): no metadata block; a header line
  ``来源：商务部新闻办公室 类型：原创 分类：新闻 2025-05-14 22:00`` and the title under it. The text
  is every line after the title inside the nearest element holding both header and title.

* **Numbered release without a block** (商务部公告2025年第21号 under ``/zcfb/blgg/``): the first
  line of the text is the 文号 itself (``商务部公告2025年第21号``, possibly followed by the
  subject on the same line), the subject is the title, the date is the signature date, the
  issuing unit is not stated. Its key is the same 文号, so it is one record with a copy that
  has the block.

A page with none of these (no metadata block, no news header ``分类：新闻``, no 文号 line
closed by a signature) raises ShapeError: a policy release without its 文号 has no stable
key, and keying it by title would give it a second identity the day the block comes back.
A block missing one of its three lines, or repeating one, raises ShapeError too, and so does
a policy text without a signature date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from monitor.errors import ShapeError
from monitor.sources.mofcom.options import NAME
from monitor.sources.mofcom.text import Line, common_ancestor, page_lines, within

_META = {
    "unit": re.compile(r"^[【\[［]\s*发布单位\s*[】\]］]\s*[:：]?\s*(.*)$"),
    "number": re.compile(r"^[【\[［]\s*发布文号\s*[】\]］]\s*[:：]?\s*(.*)$"),
    "date": re.compile(r"^[【\[［]\s*发文日期\s*[】\]］]\s*[:：]?\s*(.*)$"),
}
# Other labelled fields may sit between 类型 and the date ("时效状态：现行有效").
_HEADER = re.compile(
    r"来源\s*[:：]\s*(?P<source>\S+)\s+类型\s*[:：]\s*\S+"
    r"(?:\s+(?!分类)[^\s:：]+\s*[:：]\s*\S+)*?"
    r"(?:\s+分类\s*[:：]\s*(?P<category>\S+))?\s+(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:\s+(?P<time>\d{1,2}:\d{2}))?"
)
_CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
_SIGNATURE = re.compile(r"^[^，。；：:、]{2,40}$")
_NUMBER_LINE = re.compile(
    r"^(?P<number>商务部(?:\s*海关总署)?(?:公告|令)\s*\d{4}\s*年\s*第\s*\d+\s*号)\s*(?P<rest>.*)$"
)


@dataclass(frozen=True)
class Article:
    """The parts of one page; ``document_number`` is "" for news pages."""

    title: str
    layout: str  # "policy" | "news"
    issuing_unit: str
    document_number: str
    published: str  # ISO date
    published_time: str  # "22:00" on news pages, else ""
    body: tuple[str, ...]
    annex: tuple[str, ...]


def parse_article(html: str, *, url: str) -> Article:
    lines = page_lines(html)
    meta = {
        name: [i for i, line in enumerate(lines) if rx.match(line.text)]
        for name, rx in _META.items()
    }
    if any(meta.values()):
        return _policy(lines, meta, url)
    header = next((i for i, line in enumerate(lines) if _HEADER.search(line.text)), None)
    if header is not None:
        found = _HEADER.search(lines[header].text)
        assert found is not None
        if found.group("category") == "新闻":
            return _news(lines, header, found, url)
    numbered = next((i for i, line in enumerate(lines) if _NUMBER_LINE.match(line.text)), None)
    if numbered is not None:
        return _numbered(lines, numbered, url)
    raise _shape(
        "article page has no 【发布单位】/【发布文号】/【发文日期】 block and is not a news page "
        "(no 分类：新闻 header); no stable key",
        url,
    )


def _policy(lines: Sequence[Line], meta: dict[str, list[int]], url: str) -> Article:
    bad = [f"{name} x{len(found)}" for name, found in meta.items() if len(found) != 1]
    if bad:
        raise _shape(f"metadata block incomplete or repeated ({', '.join(bad)})", url)
    first, last = min(i for [i] in meta.values()), max(i for [i] in meta.values())
    if last - first != 2:
        raise _shape("metadata block lines are not together", url)
    value = {name: _value(lines[i].text, name) for name, [i] in meta.items()}
    if not value["number"]:
        raise _shape("【发布文号】 is empty", url)
    title_at = first - 1
    while title_at >= 0 and _HEADER.search(lines[title_at].text):
        title_at -= 1  # the header line may sit between title and block
    if title_at < 0:
        raise _shape("no title line before the metadata block", url)
    end = _signature_date(lines, last + 1, url)
    return Article(
        title=lines[title_at].text,
        layout="policy",
        issuing_unit=value["unit"],
        document_number=value["number"],
        published=iso_date(value["date"], url),
        published_time="",
        body=tuple(line.text for line in lines[last + 1 : end + 1]),
        annex=tuple(line.text for line in lines[end + 1 :]),
    )


def _numbered(lines: Sequence[Line], at: int, url: str) -> Article:
    found = _NUMBER_LINE.match(lines[at].text)
    assert found is not None
    title_at = at if found.group("rest") else at + 1
    if title_at >= len(lines):
        raise _shape("文号 line with no title under it", url)
    end = _signature_date(lines, title_at + 1, url)
    title = found.group("rest") or lines[title_at].text
    return Article(
        title=title,
        layout="policy",
        issuing_unit="",
        document_number=found.group("number"),
        published=iso_date(lines[end].text, url),
        published_time="",
        body=tuple(line.text for line in lines[title_at + 1 : end + 1]),
        annex=tuple(line.text for line in lines[end + 1 :]),
    )


def _news(lines: Sequence[Line], header: int, found: re.Match[str], url: str) -> Article:
    if header + 1 >= len(lines):
        raise _shape("news page has no title under its header line", url)
    title = lines[header + 1]
    root = common_ancestor(lines[header].element, title.element)
    body = tuple(line.text for line in lines[header + 2 :] if within(line.element, root))
    if not body:
        raise _shape("news page has no text under its title", url)
    return Article(
        title=title.text,
        layout="news",
        issuing_unit=found.group("source"),
        document_number="",
        published=found.group("date"),
        published_time=found.group("time") or "",
        body=body,
        annex=(),
    )


def _value(text: str, name: str) -> str:
    found = _META[name].match(text)
    assert found is not None
    return found.group(1).strip()


def _signature_date(lines: Sequence[Line], start: int, url: str) -> int:
    """Index of the date line under the signature that closes the text."""
    for i in range(start + 1, len(lines)):
        if _DATE_LINE.match(lines[i].text) and _SIGNATURE.match(lines[i - 1].text):
            return i
    raise _shape("no signature and date line closes the text; unknown layout", url)


def iso_date(text: str, url: str) -> str:
    found = _CN_DATE.search(text)
    if found is None:
        raise _shape(f"no date in {text!r}", url)
    year, month, day = (int(g) for g in found.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError as exc:
        raise _shape(f"impossible date {text!r}", url) from exc


def _shape(message: str, url: str) -> ShapeError:
    return ShapeError(message, source=NAME, url=url)
