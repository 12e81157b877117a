"""The fault-injection scenarios, as data: per source, what is injected where and what must follow.

Every scenario starts from a store holding the source's ``before`` fixtures as its accepted
baseline and runs the source against its ``after`` mirror, where a clean run records a known
set of real changes (the *reference*). The scenario injects faults (``Fault`` lists, consumed
request by request) or serves changed bytes (``Route``) at a path that run really requests:

* ``first``: the source's first request (CSL file; eCFR versions index; FR ``documents.json``;
  MOFCOM www list API, which the www indexes share);
* ``document``: the main document (CSL file; eCFR full XML; FR ``documents.json``, served as
  one page; MOFCOM policy list answer);
* a few secondary requests (eCFR XML, an FR full text, a MOFCOM article, the aqygzj list).

Expected outcomes:

* ``recovered``: the run succeeds; what it records is a subset of the reference (nothing
  false), and with the clean run that follows, each reference change exactly once;
* ``failed``: the run fails with the named error class and message fragment; no change is
  recorded and the accepted records are untouched; the clean run that follows records the
  reference changes exactly once;
* ``suspect``: the snapshot is held as suspect (not diffed); no change recorded, state intact.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.testing.demo import FIXTURES_DIR, STAGES
from monitor.testing.fixture_server import Fault

CSL = "us_csl_entity_list"
ECFR = "us_ecfr_entity_list"
FR = "us_federal_register"
MOFCOM = "cn_mofcom_announcements"
SOURCES = (CSL, ECFR, FR, MOFCOM)
# The stage folder whose run the scenarios break: the first stage after the baseline that a
# source has a folder for (the demo's stages follow real dates, monitor.testing.demo.STAGES:
# the eCFR has nothing before its 16 September amendment, in later/). The Federal Register's
# scenarios break its published rules (full texts, pages), which are in later/ (after/ holds
# only the public inspection filing of 12 September).
STAGE_OVERRIDES = {FR: "later"}


def stage_of(source: str) -> str:
    if source in STAGE_OVERRIDES:
        return STAGE_OVERRIDES[source]
    return next(s.name for s in STAGES[1:] if (FIXTURES_DIR / source / s.name).is_dir())


Transform = Callable[[bytes], bytes]


def fixture(source: str, rel: str) -> bytes:
    return (FIXTURES_DIR / source / stage_of(source) / rel).read_bytes()


@dataclass(frozen=True)
class Route:
    """Serve ``body()`` at ``path`` (relative to the stage folder; any query string)."""

    path: str
    body: Callable[[], bytes]
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Scenario:
    source: str
    name: str
    group: str  # transport | body | layout | encoding | content
    injected: str  # what was done, for the report
    expect: str  # recovered | failed | suspect
    error: str = ""  # error class of a failed run
    message: str = ""  # fragment of the run's message
    faults: tuple[tuple[str, tuple[Fault, ...]], ...] = ()
    routes: tuple[Route, ...] = ()
    http: Mapping[str, Any] = field(default_factory=dict)
    refused: bool = False  # the source points at a port nothing listens on
    slept: float | None = None  # a backoff the client must have asked for (Retry-After)
    same_content: bool = True  # recovered records equal the reference's, not only their keys
    review_flag: tuple[str, str] = ("", "")  # (record key, flag fragment) the run must store
    # Keys the clean re-run may complete (an action stored without its full text gains it
    # when the list is read again): that one modification is the recovery itself, not a
    # change reported twice.
    completes: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.source}:{self.name}"

    @property
    def expected(self) -> str:
        detail = f" ({self.message})" if self.message else ""
        if self.expect == "failed":
            return f"failed {self.error}{detail}"
        if self.expect == "suspect":
            return f"suspect{detail}"
        return "recovered" + (f" (backoff {self.slept:g} s)" if self.slept else "")


# --- where each source is hit ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    first: str
    document: str
    document_body: Callable[[], bytes]
    content_type: str


def _fr_single_page() -> bytes:
    """Both ``documents.json`` pages as one page (a route answers every query alike)."""
    pages = [json.loads(fixture(FR, f"documents.page-{n}.json")) for n in (1, 2)]
    merged = dict(pages[0])
    merged["results"] = pages[0]["results"] + pages[1]["results"]
    merged.update(next_page_url=None, total_pages=1, count=len(merged["results"]))
    return json.dumps(merged, indent=1).encode("utf-8")


MOFCOM_LIST = "www/api-gateway/jpaas-publish-server/front/page/build/unit"
MOFCOM_AQYGZJ_LIST = "aqygzj/api-gateway/jpaas-publish-server/front/page/build/unit"
MOFCOM_ARTICLE = "www/zwgk/zcfb/art/2025/art_00000000000000000000002025091302.html"
ECFR_XML = "full/2025-09-16/title-15.xml"
FR_FULL_TEXT = "documents/full_text/xml/2025/09/30/2025-19001.xml"

TARGETS: dict[str, Target] = {
    CSL: Target(
        "consolidated.csv",
        "consolidated.csv",
        lambda: fixture(CSL, "consolidated.csv"),
        "text/csv",
    ),
    ECFR: Target(
        "versions/title-15.json", ECFR_XML, lambda: fixture(ECFR, ECFR_XML), "application/xml"
    ),
    FR: Target("documents.json", "documents.json", _fr_single_page, "application/json"),
    MOFCOM: Target(
        MOFCOM_LIST,
        MOFCOM_LIST,
        lambda: fixture(MOFCOM, "lists/www_policy_size15_page1.json"),
        "application/json",
    ),
}


def document_route(source: str, change: Transform, content_type: str | None = None) -> Route:
    target = TARGETS[source]
    return Route(
        target.document, lambda: change(target.document_body()), content_type or target.content_type
    )


def route(source: str, path: str, change: Transform, content_type: str) -> Route:
    return Route(path, lambda: change(fixture(source, path)), content_type)


# --- the transport and body faults every source gets ------------------------------------------

TIMEOUTS = {"read_timeout": 0.3}
DEADLINE = {"total_timeout": 0.4}
TRICKLE_SLOW = Fault.trickle(delay=0.05, chunk_size=8)  # ~160 bytes/s: past any deadline
TRICKLE_OK = Fault.trickle(delay=0.002, chunk_size=256)


def _first(source: str, *faults: Fault) -> tuple[tuple[str, tuple[Fault, ...]], ...]:
    return ((TARGETS[source].first, faults),)


def _doc(source: str, *faults: Fault) -> tuple[tuple[str, tuple[Fault, ...]], ...]:
    return ((TARGETS[source].document, faults),)


def transport(source: str) -> list[Scenario]:
    s = source
    e500, e502, e503 = (Fault.http_status(n) for n in (500, 502, 503))
    fetch = "FetchError"
    return [
        Scenario(s, "HTTP 500 once", "transport", "500, then the real answer", "recovered",
                 faults=_first(s, e500)),
        Scenario(s, "HTTP 502 once", "transport", "502, then the real answer", "recovered",
                 faults=_first(s, e502)),
        Scenario(s, "HTTP 503 once", "transport", "503, then the real answer", "recovered",
                 faults=_first(s, e503)),
        Scenario(s, "HTTP 429 with Retry-After", "transport", "429 Retry-After: 7, then the answer",
                 "recovered", faults=_first(s, Fault.http_status(429, retry_after=7)), slept=7.0),
        Scenario(s, "HTTP 503 with a long Retry-After", "transport",
                 "503 Retry-After: 3600 (cap 30 s), then the answer", "recovered",
                 faults=_first(s, Fault.http_status(503, retry_after=3600)), slept=30.0),
        Scenario(s, "HTTP 500 on every attempt", "transport", "500 x2 (retries = 1)", "failed",
                 fetch, "HTTP 500 after 2 attempts", faults=_first(s, e500, e500)),
        Scenario(s, "HTTP 502 on every attempt", "transport", "502 x2", "failed", fetch,
                 "HTTP 502 after 2 attempts", faults=_first(s, e502, e502)),
        Scenario(s, "HTTP 503 on every attempt", "transport", "503 x2", "failed", fetch,
                 "HTTP 503 after 2 attempts", faults=_first(s, e503, e503)),
        Scenario(s, "HTTP 404", "transport", "404 (not retried)", "failed", fetch,
                 "HTTP 404", faults=_first(s, Fault.http_status(404))),
        Scenario(s, "connection refused", "transport", "nothing listens on the port", "failed",
                 fetch, "connection refused after 2 attempts", refused=True),
        Scenario(s, "connection dropped once", "transport", "closed without an answer, then OK",
                 "recovered", faults=_first(s, Fault.close_connection())),
        Scenario(s, "connection dropped on every attempt", "transport",
                 "closed without an answer x2", "failed", fetch, "after 2 attempts",
                 faults=_first(s, Fault.close_connection(), Fault.close_connection())),
        Scenario(s, "read timeout once", "transport", "no answer for 1 s (read timeout 0.3 s), "
                 "then OK", "recovered", faults=_first(s, Fault.slow(1.0)), http=TIMEOUTS),
        Scenario(s, "read timeout on every attempt", "transport", "no answer for 1 s x2",
                 "failed", fetch, "read timed out after 2 attempts",
                 faults=_first(s, Fault.slow(1.0), Fault.slow(1.0)), http=TIMEOUTS),
        Scenario(s, "body trickled in time", "transport", "256 bytes every 2 ms", "recovered",
                 faults=_first(s, TRICKLE_OK)),
        Scenario(s, "server trickling bytes", "transport",
                 "8 bytes every 50 ms x2 (whole-response limit 0.4 s)", "failed", fetch,
                 "server trickling", faults=_first(s, TRICKLE_SLOW, TRICKLE_SLOW), http=DEADLINE),
        Scenario(s, "truncated body once", "transport",
                 "half the body, connection closed (Content-Length says more), then OK",
                 "recovered", faults=_first(s, Fault.truncated())),
        Scenario(s, "truncated body on every attempt", "transport", "half the body x2", "failed",
                 fetch, "truncated", faults=_first(s, Fault.truncated(), Fault.truncated())),
    ]  # fmt: skip


_BODY_ERRORS: dict[str, dict[str, tuple[str, str]]] = {
    "empty": {
        CSL: ("ShapeError", "empty body"),
        ECFR: ("ShapeError", "empty body"),
        FR: ("ParseError", "not JSON"),
        MOFCOM: ("ShapeError", "not JSON"),
    },
    "html": {
        CSL: ("ShapeError", "HTML page"),
        ECFR: ("ShapeError", "HTML page"),
        FR: ("ShapeError", "markup"),
        MOFCOM: ("ShapeError", "not JSON"),
    },
    "cut": {
        CSL: ("ShapeError", "malformed CSV row"),
        ECFR: ("ParseError", "not well-formed"),
        FR: ("ParseError", "not JSON"),
        MOFCOM: ("ShapeError", "not JSON"),
    },
}


def body(source: str) -> list[Scenario]:
    s = source
    size = len(TARGETS[s].document_body())
    cap = {"max_bytes": size // 2}

    def err(kind: str) -> tuple[str, str]:
        return _BODY_ERRORS[kind][s]

    return [
        Scenario(s, "HTML error page with status 200", "body", "200 text/html error page",
                 "failed", *err("html"), faults=_doc(s, Fault.html_error_page())),
        Scenario(s, "empty body", "body", "200 with no bytes", "failed", *err("empty"),
                 routes=(document_route(s, lambda _b: b""),)),
        Scenario(s, "file cut in half", "body",
                 "200 with the first half of the file (Content-Length matches)", "failed",
                 *err("cut"), routes=(document_route(s, lambda b: b[: len(b) // 2]),)),
        Scenario(s, "body over the size cap", "body", f"size cap {size // 2} bytes, below the body",
                 "failed", "ResponseTooLarge", "exceeds the", http=cap),
        Scenario(s, "gzip body expanding past the cap", "body",
                 "3 MB of zeros gzipped to ~3 kB, cap 1 MB", "failed", "ResponseTooLarge",
                 "after decompression", faults=_doc(s, Fault.gzip_bomb(3_000_000))),
    ]  # fmt: skip


# --- layout, encoding and content changes, per source ----------------------------------------


def _csv_edit(change: Callable[[list[list[str]]], list[list[str]]]) -> Transform:
    def edit(raw: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(change(rows))
        return out.getvalue().encode("utf-8")

    return edit


def _drop_column(name: str) -> Transform:
    def change(rows: list[list[str]]) -> list[list[str]]:
        index = rows[0].index(name)
        return [r[:index] + r[index + 1 :] for r in rows]

    return _csv_edit(change)


def _add_column(rows: list[list[str]]) -> list[list[str]]:
    return [[*rows[0], "risk_score"], *([*r, "1"] for r in rows[1:])]


def _twice_each_el_row(rows: list[list[str]]) -> list[list[str]]:
    out = [rows[0]]
    for row in rows[1:]:
        out += [row, row] if any("Entity List (EL)" in cell for cell in row) else [row]
    return out


def _without(needle: str) -> Callable[[list[list[str]]], list[list[str]]]:
    return lambda rows: [r for r in rows if not any(needle in cell for cell in r)]


def _recode(encoding: str, declared: tuple[bytes, bytes] | None = None) -> Transform:
    def change(raw: bytes) -> bytes:
        if declared is not None:
            raw = raw.replace(*declared)
        return raw.decode("utf-8").encode(encoding)

    return change


def _xml_rows(change: Callable[[list[str]], list[str]]) -> Transform:
    """Edit the eCFR table's body rows (``<TR>...</TR>`` after the header row)."""

    def edit(raw: bytes) -> bytes:
        text = raw.decode("utf-8")
        head, rest = text.split("<TBODY>", 1)
        rows_text, tail = rest.split("</TBODY>", 1)
        rows = re.findall(r"\s*<TR>.*?</TR>", rows_text, flags=re.S)
        return (head + "<TBODY>" + "".join(change(rows)) + "\n</TBODY>" + tail).encode("utf-8")

    return edit


def _drop_first_td(rows: list[str]) -> list[str]:
    first = re.sub(r"<TD[^>]*>.*?</TD>", "", rows[0], count=1, flags=re.S)
    return [first, *rows[1:]]


def csl() -> list[Scenario]:
    s = CSL
    return [
        Scenario(s, "renamed CSV column", "layout", "federal_register_notice -> fr_notice",
                 "failed", "ShapeError", "missing column(s): federal_register_notice",
                 routes=(document_route(s, lambda b: b.replace(
                     b"federal_register_notice", b"fr_notice", 1)),)),
        Scenario(s, "missing CSV column", "layout", "the remarks column left out", "failed",
                 "ShapeError", "missing column(s): remarks",
                 routes=(document_route(s, _drop_column("remarks")),)),
        Scenario(s, "extra CSV column", "layout", "a risk_score column added", "failed",
                 "ShapeError", "unexpected column(s): risk_score",
                 routes=(document_route(s, _csv_edit(_add_column)),)),
        Scenario(s, "JSON layout instead of CSV", "layout",
                 "the same rows in the publisher's JSON layout", "recovered",
                 routes=(document_route(s, lambda _b: fixture(s, "consolidated.json"),
                                        "application/json"),)),
        Scenario(s, "encoding switch to Windows-1252", "encoding",
                 "re-encoded as cp1252 (§ becomes one byte)", "failed", "ParseError",
                 "not UTF-8", routes=(document_route(s, _recode("cp1252")),)),
        Scenario(s, "encoding switch to UTF-16", "encoding", "re-encoded as UTF-16 with BOM",
                 "failed", "ParseError", "not UTF-8",
                 routes=(document_route(s, _recode("utf-16")),)),
        Scenario(s, "UTF-8 with a byte-order mark", "encoding", "BOM added", "recovered",
                 routes=(document_route(s, lambda b: b"\xef\xbb\xbf" + b),)),
        Scenario(s, "duplicate rows", "content", "every Entity List row twice", "recovered",
                 routes=(document_route(s, _csv_edit(_twice_each_el_row)),)),
        Scenario(s, "mass removal past the shrink cap", "content",
                 "a second accepted EL entry missing: 2 of 5 removed (cap 25%)", "suspect",
                 message="would remove 2 of 5 records",
                 routes=(document_route(s, _csv_edit(_without("32 Group China"))),)),
    ]  # fmt: skip


def ecfr() -> list[Scenario]:
    s = ECFR
    versions = TARGETS[ECFR].first

    def no_table(raw: bytes) -> bytes:
        return re.sub(rb"<TABLE.*</TABLE>", b"", raw, flags=re.S)

    def utf16(raw: bytes) -> bytes:
        text = raw.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
        return text.encode("utf-16")

    return [
        Scenario(s, "missing XML table", "layout", "Supplement No. 4 without its TABLE",
                 "failed", "ShapeError", "holds 0 TABLE elements",
                 routes=(document_route(s, no_table),)),
        Scenario(s, "GPO table markup instead of TABLE", "layout", "TABLE renamed GPOTABLE",
                 "failed", "ShapeError", "GPOTABLE",
                 routes=(document_route(s, lambda b: b.replace(b"TABLE", b"GPOTABLE")),)),
        Scenario(s, "renamed table column", "layout",
                 "header 'Federal Register citation' -> 'FR citation'", "failed", "ShapeError",
                 "table header is", routes=(document_route(s, lambda b: b.replace(
                     b"Federal Register citation", b"FR citation", 1)),)),
        Scenario(s, "row with a missing cell", "layout", "first entry row has 4 cells",
                 "failed", "ShapeError", "has 4 cells, expected 5",
                 routes=(document_route(s, _xml_rows(_drop_first_td)),)),
        Scenario(s, "supplement renamed", "layout", 'N="Supplement No. 4 ..." renamed',
                 "failed", "ShapeError", "no element with N=",
                 routes=(document_route(s, lambda b: b.replace(
                     b'N="Supplement No. 4 to Part 744"', b'N="Supplement No. 4A"', 1)),)),
        Scenario(s, "versions index without the supplement", "layout",
                 "content_versions emptied", "failed", "ShapeError", "lists neither",
                 routes=(route(s, versions, lambda _b: json.dumps(
                     {"content_versions": [], "meta": {"total_pages": 1}}).encode(),
                     "application/json"),)),
        Scenario(s, "encoding switch to UTF-16 (declared)", "encoding",
                 "re-encoded as UTF-16, XML declaration says so", "recovered",
                 routes=(document_route(s, utf16),)),
        Scenario(s, "encoding switch with a stale declaration", "encoding",
                 "cp1252 bytes, declaration still UTF-8", "failed", "ParseError",
                 "not well-formed", routes=(document_route(s, _recode("cp1252")),)),
        Scenario(s, "duplicate rows", "content", "every entry row twice", "recovered",
                 routes=(document_route(s, _xml_rows(lambda rows: [r for r in rows
                                                                   for _ in (1, 2)])),)),
        Scenario(s, "mass removal past the shrink cap", "content",
                 "a second accepted entry missing: 2 of 6 removed (cap 25%)", "suspect",
                 message="would remove 2 of 6 records",
                 routes=(document_route(s, _xml_rows(lambda rows: [
                     r for r in rows if "A.C. International" not in r])),)),
        Scenario(s, "full XML 503 on every attempt", "transport", "503 x2 on the XML",
                 "failed", "FetchError", "HTTP 503 after 2 attempts",
                 faults=((ECFR_XML, (Fault.http_status(503),) * 2),)),
        Scenario(s, "full XML dropped once", "transport", "XML connection closed, then OK",
                 "recovered", faults=((ECFR_XML, (Fault.close_connection(),)),)),
    ]  # fmt: skip


def _fr_edit(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Transform:
    return lambda raw: json.dumps(change(json.loads(raw)), indent=1).encode("utf-8")


def _rename_number(page: dict[str, Any]) -> dict[str, Any]:
    page["results"] = [
        {("doc_number" if k == "document_number" else k): v for k, v in r.items()}
        for r in page["results"]
    ]
    return page


def _fr_drop_held(page: dict[str, Any]) -> dict[str, Any]:
    """Three of the eight documents (all held since the baseline) fall off the index."""
    gone = {"2025-00480", "2024-28267", "2024-25411"}
    page["results"] = [r for r in page["results"] if r["document_number"] not in gone]
    return page


def fr() -> list[Scenario]:
    s = FR
    page1 = "documents.page-1.json"
    return [
        Scenario(s, "renamed JSON field", "layout", "document_number -> doc_number", "failed",
                 "ShapeError", "unexpected key(s): doc_number",
                 routes=(document_route(s, _fr_edit(_rename_number)),)),
        Scenario(s, "missing results list", "layout", "envelope without 'results'", "failed",
                 "ShapeError", "no 'results' list", routes=(document_route(s, _fr_edit(
                     lambda p: {k: v for k, v in p.items() if k != "results"})),)),
        Scenario(s, "pagination loop", "layout", "next_page_url answers page 1 again",
                 "failed", "ShapeError", "leads back to a page already read",
                 routes=(Route("documents.json", lambda: fixture(s, page1), "application/json"),
                         )),
        Scenario(s, "encoding switch to UTF-16", "encoding", "JSON re-encoded as UTF-16",
                 "recovered", routes=(document_route(s, _recode("utf-16")),)),
        Scenario(s, "duplicate documents", "content", "every result listed twice", "recovered",
                 routes=(document_route(s, _fr_edit(
                     lambda p: {**p, "results": p["results"] * 2})),)),
        Scenario(s, "index shrinks by 3 of 8 documents", "content",
                 "held documents fall off the index (a feed: they stay)", "recovered",
                 routes=(document_route(s, _fr_edit(_fr_drop_held)),)),
        Scenario(s, "full text 503 on every attempt", "transport",
                 "503 x2 on a new rule's full text", "recovered", same_content=False,
                 faults=((FR_FULL_TEXT, (Fault.http_status(503),) * 2),),
                 review_flag=("us:2025-19001", "full text not fetched: HTTP 503"),
                 completes=("us:2025-19001",)),
    ]  # fmt: skip


def _list_html(change: Callable[[str], str]) -> Transform:
    def edit(raw: bytes) -> bytes:
        doc = json.loads(raw)
        doc["data"]["html"] = change(doc["data"]["html"])
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")

    return edit


def _items(html: str) -> list[str]:
    return re.findall(r"<li>.*?</li>", html)


def _mofcom_drop_held(html: str) -> str:
    """Three of the policy items (held since the baseline) fall off the index."""
    keep = [i for i in _items(html) if not re.search(r"art_(c29bed|e4f474|c164b1)", i)]
    return "<ul>" + "".join(keep) + "</ul>"


_META_BLOCK = re.compile(rb'<div class="meta">.*?</div>', re.S)
# A title that opens with its 文号 is read as one (a release without a block); the
# scenario removes that too, so the page carries no number at all.
_TITLE_NUMBER = re.compile(r"<h1>商务部公告\d{4}年第\d+号 ".encode())


def _mofcom_drop_meta(page: bytes) -> bytes:
    return _TITLE_NUMBER.sub(b"<h1>", _META_BLOCK.sub(b"", page))


_UTF8_META = (b'<meta charset="utf-8">', b"")


def mofcom() -> list[Scenario]:
    s = MOFCOM
    article_type = "text/html"

    def article(change: Transform, content_type: str = article_type) -> Route:
        return route(s, MOFCOM_ARTICLE, change, content_type)

    return [
        Scenario(s, "list page with no items", "layout", "data.html empty", "failed",
                 "ShapeError", "list page has no items",
                 routes=(document_route(s, _list_html(lambda _h: "")),)),
        Scenario(s, "list answer not successful", "layout", '"success": false', "failed",
                 "ShapeError", "success != true", routes=(document_route(s, lambda b: b.replace(
                     b'"success": true', b'"success": false', 1)),)),
        Scenario(s, "list item without its date", "layout", "the [YYYY-MM-DD] spans removed",
                 "failed", "ShapeError", "has no [YYYY-MM-DD] date",
                 routes=(document_route(s, _list_html(
                     lambda h: re.sub(r"<span>\[[-0-9]+\]</span>", "", h))),)),
        Scenario(s, "article without its metadata block", "layout",
                 "【发布单位】/【发布文号】/【发文日期】 block removed", "failed", "ShapeError",
                 "no stable key", routes=(article(_mofcom_drop_meta),)),
        Scenario(s, "article without its 发布文号 line", "layout", "【发布文号】 line removed",
                 "failed", "ShapeError", "metadata block incomplete", routes=(article(
                     lambda b: re.sub(rb"<p>\xe3\x80\x90\xe5\x8f\x91\xe5\xb8\x83\xe6\x96\x87"
                                      rb"\xe5\x8f\xb7.*?</p>", b"", b)),)),
        Scenario(s, "article cut in half", "layout", "the page's first half only", "failed",
                 "ShapeError", "", routes=(article(lambda b: b[: len(b) // 2]),)),
        Scenario(s, "encoding switch with a stale declaration", "encoding",
                 "article re-encoded as GB18030, <meta charset=utf-8> kept", "failed",
                 "ParseError", "do not decode as utf-8 declared by the meta charset",
                 routes=(article(_recode("gb18030")),)),
        Scenario(s, "encoding switch, no declaration", "encoding",
                 "article re-encoded as GB18030, no meta charset, no header charset",
                 "recovered", routes=(article(_recode("gb18030", _UTF8_META)),)),
        Scenario(s, "encoding switch, wrong HTTP charset", "encoding",
                 "GB18030 bytes served as text/html; charset=utf-8", "failed", "ParseError",
                 "declared by the HTTP header", routes=(article(
                     _recode("gb18030", _UTF8_META), "text/html; charset=utf-8"),)),
        Scenario(s, "every list link moved to another host", "layout",
                 "every policy item links to http://elsewhere.example/...", "failed",
                 "ShapeError", "links off the configured hosts",
                 routes=(document_route(s, _list_html(
                     lambda h: h.replace('href="/', 'href="http://elsewhere.example/'))),)),
        Scenario(s, "duplicate list items", "content", "every policy item listed twice",
                 "recovered", routes=(document_route(s, _list_html(
                     lambda h: "<ul>" + "".join(i + i for i in _items(h)) + "</ul>")),)),
        Scenario(s, "index shrinks by 3 of 7 items", "content",
                 "held announcements fall off the index (a feed: they stay)", "recovered",
                 routes=(document_route(s, _list_html(_mofcom_drop_held)),)),
        Scenario(s, "article 503 once", "transport", "503 on a new article, then OK",
                 "recovered", faults=((MOFCOM_ARTICLE, (Fault.http_status(503),)),)),
        Scenario(s, "article 503 on every attempt", "transport", "503 x2 on a new article",
                 "failed", "FetchError", "HTTP 503 after 2 attempts",
                 faults=((MOFCOM_ARTICLE, (Fault.http_status(503),) * 2),)),
        Scenario(s, "second host's list 503 on every attempt", "transport",
                 "503 x2 on the aqygzj list API", "failed", "FetchError",
                 "HTTP 503 after 2 attempts",
                 faults=((MOFCOM_AQYGZJ_LIST, (Fault.http_status(503),) * 2),)),
    ]  # fmt: skip


PER_SOURCE = {CSL: csl, ECFR: ecfr, FR: fr, MOFCOM: mofcom}


def all_scenarios() -> list[Scenario]:
    return [x for source in SOURCES for x in (*transport(source), *body(source),
                                               *PER_SOURCE[source]())]  # fmt: skip


SCENARIOS = all_scenarios()
