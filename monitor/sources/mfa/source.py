"""MFA countermeasure decisions (外交部 反制措施的决定): a feed source in Chinese.

Fetch: the column's pages as the column declares them (``pages.column_paging``:
``index.shtml``, then ``index_1.shtml``… up to the page count its script states, at most the
``max_pages`` option), then every decision page they link that no held decision was seen
under (the ``urls`` of the accepted action records) and that ``skip_urls`` does not name;
held decisions are never fetched again. Every column page must declare the same count and
its own number; a declared page that cannot be fetched, one answered from another address (the
site answers a removed page with a redirect to a "system" page), a count above
``max_pages``, or a page declaring none fails the run naming the column: reading part of the
column must never pass for reading all of it. Everything is packed into one bundle (roles
``index``, ``decision``, and ``known``: the URLs of the held decisions by key, so that
replaying a stored bundle gives the same records), stored as raw bytes like every snapshot.

Parse: every index answer is read again (a column page linking no decision raises: a
redesign must not read as "no news"), every decision page becomes an action record
(``mfa_decision``); any page that cannot be read raises, so a run never stores half a column.

Derive: the ``mfa`` list with each party's status (``mfa_lists``).

URLs in records are written on the public origin whatever host served them, so a fixture
mirror (``rebase``) and the live site give identical records.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import replace
from urllib.parse import urlsplit

from monitor.config import SourceSettings
from monitor.errors import FetchError, ShapeError
from monitor.http import FetchResult, HttpClient, Validators
from monitor.models import Record
from monitor.sources.bundle import BundleItem, bundle_result, known_urls, read_known, unpack_roles
from monitor.sources.mfa.decision import action_from_page
from monitor.sources.mfa.info import COLUMN, INFO, NAME, ORIGIN, read_options
from monitor.sources.mfa.lists import derive_list
from monitor.sources.mfa.pages import column_paging, decision_page, index_items, page_name
from monitor.sources.mofcom.actions import merge_copies

log = logging.getLogger(__name__)
_ROLES = frozenset({"index", "decision", "known"})


class MfaCountermeasuresSource:
    info = INFO

    def fetch(
        self,
        client: HttpClient,
        settings: SourceSettings,
        validators: Validators | None,
        previous: Mapping[str, Record],
    ) -> FetchResult:
        pages, skip = read_options(settings)
        known = known_urls(previous)
        base = _base(settings)
        held = {url for urls in known.values() for url in urls} | skip
        items: list[BundleItem] = []
        wanted: dict[str, str] = {}
        for page in _column_pages(client, settings.url, pages):
            items.append(BundleItem(page.url, page.content, "index", page.content_type,
                                    page.charset))  # fmt: skip
            for item in index_items(page.content, page.charset, url=page.url, base=base):
                site = site_url(item.url, base)
                if site not in held:
                    wanted.setdefault(site, item.url)
        for fetch_url in wanted.values():
            page = client.get(fetch_url, source=NAME)
            items.append(
                BundleItem(fetch_url, page.content, "decision", page.content_type, page.charset)
            )
        return bundle_result(items, known)

    def parse(self, raw: bytes, *, url: str, settings: SourceSettings) -> list[Record]:
        read_options(settings)
        base = _base(settings)
        items = unpack_roles(raw, _ROLES, source=NAME, url=url)
        if not any(item.role == "index" for item in items):
            raise ShapeError("bundle holds no column page", source=NAME, url=url)
        actions = []
        known: dict[str, list[str]] = {}
        for item in items:
            if item.role == "index":
                index_items(item.body, item.charset, url=item.url, base=base)
            elif item.role == "decision":
                page = decision_page(item.body, item.charset, url=item.url)
                actions.append(action_from_page(page, url=site_url(item.url, base)))
            else:
                known = read_known(item, source=NAME, url=url)
        return merge_copies(actions, known)

    def derive(self, records: Mapping[str, Record]) -> list[Record]:
        return derive_list(records)

    def rebase(self, settings: SourceSettings, base: str) -> SourceSettings:
        """The column on a mirror rooted at ``base`` (``{base}/web/wjb_673085/…/fzcqdcs/``)."""
        return replace(settings, url=base.rstrip("/") + COLUMN)


def _column_pages(client: HttpClient, column: str, most: int) -> Iterator[FetchResult]:
    """Every page of the column, in order, as its first page declares them (module
    docstring); raises FetchError or ShapeError naming the column."""
    column = column.rstrip("/") + "/"
    count = 1
    number = 0
    while number < count:
        url = column + page_name(number)
        try:
            page = client.get(url, source=NAME)
        except FetchError as error:
            if number == 0:
                raise
            raise FetchError(
                f"the 反制裁 column {column} declares {count} pages, but page"
                f" {page_name(number)} could not be fetched: {error.message}",
                source=NAME,
                url=url,
                status=error.status,
            ) from error
        if urlsplit(page.url).path != urlsplit(url).path:
            raise ShapeError(
                f"the 反制裁 column {column}: {page_name(number)} was answered from"
                f" {page.url} (the site redirects a removed page), not the page asked for",
                source=NAME,
                url=url,
            )
        paging = column_paging(page.content, page.charset, url=url, column=column)
        if number == 0:
            count = paging.count
            if count > most:
                raise ShapeError(
                    f"the 反制裁 column {column} declares {count} pages; max_pages is {most}"
                    " (reading only some would miss decisions): raise max_pages",
                    source=NAME,
                    url=url,
                )
        if paging.count != count or paging.current not in (None, number):
            raise ShapeError(
                f"the 反制裁 column {column}: {page_name(number)} declares page"
                f" {paging.current} of {paging.count}, not page {number} of {count}",
                source=NAME,
                url=url,
            )
        yield page
        number += 1


def _base(settings: SourceSettings) -> str:
    """The host this run reads (the site, or a mirror's root)."""
    url = settings.url.rstrip("/")
    return url[: -len(COLUMN.rstrip("/"))] if url.endswith(COLUMN.rstrip("/")) else ORIGIN


def site_url(fetched: str, base: str) -> str:
    """``fetched`` written on the public origin (a mirror URL maps back to the site)."""
    if base != ORIGIN and fetched.startswith(base.rstrip("/") + "/"):
        return ORIGIN + fetched[len(base.rstrip("/")) :]
    return fetched
