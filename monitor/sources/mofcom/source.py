"""MOFCOM announcements (商务部公告, 不可靠实体清单, 出口管制管控名单): a feed source in Chinese.

Fetch (discovery): for each enabled index (``mofcom_options``), GET its column page and read
the list API and ids it declares (``mofcom_column``; the page is held between runs of one
process with its validators, so an unchanged page costs a 304), then GET pages 1..``pages``
of that list (stopping early at a short page). A column page without the declaration, or
page 1 of a list with no item, is a ShapeError naming the column ("the site may have been
redesigned"): the CMS ids are opaque and change without notice, and an empty answer must not
read as "nothing new". Every linked article whose list title may matter (``title_matters``)
and whose URL is not already held (the ``urls`` of the accepted action records, or
``skip_urls``) is fetched; known articles are never fetched again. Only links on the
configured hosts (``settings.url`` and ``options["hosts"]``) are followed: a list item
linking anywhere else (another site, a ``javascript:`` URL) is skipped with a warning, never
fetched. The column pages, list answers and articles are packed into one bundle (roles
``column``, ``list``, ``article``) together with a ``known`` item: the URLs of the held
actions by key, so that a held announcement seen under a new URL keeps its old URLs
(replaying a stored bundle gives the same records). The bundle itself has no conditional GET:
it has no one validator, and list answers are small.

The export-control site (``mofcom_ecsite``): each enabled column is asked by a form POST with
the site's XHR headers (role ``eclist``, stored under the request's name); a row carries its
text, so only a row without it is fetched as an article page (if its title may matter and the
文号 its title names is neither held nor named by a main-site list title of this run).

Parse: every column page's declaration is read again and every list answer checked against
it (a stored bundle replays under the same rules), every article page is decoded
(``mofcom_text``), split by text markers (``mofcom_article``) and turned into an action
record (``mofcom_actions``); copies of one 文号 under several URLs become one record. The
export-control rows add only acts the main site lacks (``ec_actions``). A
page that cannot be read raises, so a run never stores a partial list.

Derive: the ``uel`` and ``ecl`` lists with each entity's status (``mofcom_lists``).

URLs in records are written on the public origins whatever host served them, so the fixture
mirror (``rebase``) and the live site give identical records.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from monitor.config import SourceSettings
from monitor.errors import ShapeError
from monitor.http import FetchResult, HttpClient, Validators
from monitor.models import Record
from monitor.sources.bundle import BundleItem, bundle_result, known_urls, read_known, unpack_roles
from monitor.sources.mofcom.actions import action_from_article, merge_copies
from monitor.sources.mofcom.article import parse_article
from monitor.sources.mofcom.classify import title_key, title_matters
from monitor.sources.mofcom.column import (
    COLUMN_PAGES,
    ListTarget,
    declared_target,
    pinned_target,
)
from monitor.sources.mofcom.ecsite import (
    XHR_HEADERS,
    EcRow,
    ec_actions,
    ec_answer_url,
    ec_column_of,
    ec_form,
    ec_rows,
    wanted,
)
from monitor.sources.mofcom.index import ListEntry, list_page, list_params, page_of
from monitor.sources.mofcom.info import INFO
from monitor.sources.mofcom.lists import derive_lists
from monitor.sources.mofcom.options import NAME, EcColumn, IndexSpec, MofcomOptions, read_options
from monitor.sources.mofcom.text import decode

log = logging.getLogger(__name__)

_ROLES = frozenset({"column", "list", "eclist", "article", "known"})


class MofcomAnnouncementsSource:
    info = INFO

    def fetch(
        self,
        client: HttpClient,
        settings: SourceSettings,
        validators: Validators | None,
        previous: Mapping[str, Record],
    ) -> FetchResult:
        options = read_options(settings.url, settings.options)
        known = known_urls(previous)
        held = {url for urls in known.values() for url in urls} | options.skip_urls
        items: list[BundleItem] = []
        links: dict[str, ListEntry] = {}
        listed: set[str] = set()  # the 文号 keys the main site's list titles name this run
        for index in options.indexes:
            target = _target(client, options, index, items)
            entries = _discover(client, options, target, items)
            off_site = [entry.url for entry in entries if not options.on_site(entry.url)]
            if entries and len(off_site) == len(entries):
                # Every link refused is a moved site, not "no news": fail so it is seen.
                raise ShapeError(
                    f"every item of the {index.name} list links off the configured hosts"
                    f" ({len(off_site)} links, e.g. {off_site[0]}); the site may have moved:"
                    " check sources.cn_mofcom_announcements.hosts",
                    source=NAME,
                    url=settings.url,
                )
            listed.update(key for entry in entries if (key := title_key(entry.title)))
            for entry in entries:
                if not options.on_site(entry.url):
                    log.warning("MOFCOM %s: link off the configured hosts skipped: %s",
                                index.name, entry.url)  # fmt: skip
                    continue
                if not title_matters(entry.title):
                    log.debug("MOFCOM %s: not fetched (title): %s", index.name, entry.title)
                    continue
                if options.site_url(entry.url) not in held:
                    links.setdefault(options.site_url(entry.url), entry)
        for column in options.ec_columns:
            for row in _discover_ec(client, options, column, items):
                # A row without its text is read from its page, if it may be an act not held.
                site = options.site_url(row.url)
                if row.content.strip() or not options.on_site(row.url) or site in held:
                    continue
                if wanted(row, listed | set(known)):
                    links.setdefault(site, ListEntry(row.url, row.title, row.date))
        for entry in links.values():
            page = client.get(entry.url, source=NAME)
            items.append(
                BundleItem(entry.url, page.content, "article", page.content_type, page.charset)
            )
        return bundle_result(items, known)

    def parse(self, raw: bytes, *, url: str, settings: SourceSettings) -> list[Record]:
        options = read_options(settings.url, settings.options)
        items = unpack_roles(raw, _ROLES, source=NAME, url=url)
        targets = _targets(items, options)
        actions = []
        ec: list[tuple[EcRow, EcColumn]] = []
        known: dict[str, list[str]] = {}
        for item in items:
            if item.role == "list":
                endpoint, page_id, page_no = page_of(item.url)
                target = targets.get((endpoint, page_id))
                if target is None:
                    raise ShapeError(
                        "list answer of no configured index", source=NAME, url=item.url
                    )
                list_page(
                    item.body,
                    item.charset,
                    url=item.url,
                    index=target.index,
                    options=options,
                    page_no=page_no,
                )
            elif item.role == "eclist":
                column, page = ec_column_of(item.url, options)
                rows, _pages = ec_rows(
                    item.body,
                    item.charset,
                    url=item.url,
                    column=column,
                    options=options,
                    page=page,
                )
                ec.extend((row, column) for row in rows)
            elif item.role == "article":
                html = decode(item.body, item.charset, url=item.url)
                article = parse_article(html, url=item.url)
                actions.append(action_from_article(article, url=options.site_url(item.url)))
            elif item.role == "known":
                known = read_known(item, source=NAME, url=url)
        # The export-control site's rows add only acts the main site lacks (by 文号).
        have = {record.key for record in actions} | set(known)
        return merge_copies([*actions, *ec_actions(ec, have=have, options=options)], known)

    def derive(self, records: Mapping[str, Record]) -> list[Record]:
        return derive_lists(records)

    def rebase(self, settings: SourceSettings, base: str) -> SourceSettings:
        """Point www at ``{base}/www``, aqygzj at ``{base}/aqygzj`` and the export-control
        site at ``{base}/exportcontrol``: URLs only, the ids are read from the mirror's column
        pages as from the site's."""
        root = base.rstrip("/")
        options = {
            **settings.options,
            "hosts": MappingProxyType(
                {"aqygzj": f"{root}/aqygzj", "exportcontrol": f"{root}/exportcontrol"}
            ),
        }
        return replace(settings, url=f"{root}/www", options=MappingProxyType(options))


def _target(
    client: HttpClient, options: MofcomOptions, index: IndexSpec, items: list[BundleItem]
) -> ListTarget:
    """What the index's column page declares (the page is added to ``items``)."""
    if index.pinned:
        return pinned_target(index, options)
    body, charset = COLUMN_PAGES.fetch(client, index.referer)
    items.append(BundleItem(index.referer, body, "column", "text/html", charset))
    return declared_target(body, charset, index=index, options=options)


def _targets(items: list[BundleItem], options: MofcomOptions) -> dict[tuple[str, str], ListTarget]:
    """Every index's list target, from the column pages in the bundle (or its pinned ids)."""
    pages = {item.url: item for item in items if item.role == "column"}
    targets = {}
    for index in options.indexes:
        if index.pinned:
            target = pinned_target(index, options)
        else:
            page = pages.get(index.referer)
            if page is None:
                raise ShapeError(
                    f"{index.describe()}: the bundle holds no column page for it",
                    source=NAME,
                    url=index.referer,
                )
            target = declared_target(page.body, page.charset, index=index, options=options)
        targets[(target.endpoint, target.page_id)] = target
    return targets


def _discover(
    client: HttpClient, options: MofcomOptions, target: ListTarget, items: list[BundleItem]
) -> list[ListEntry]:
    """Every entry of the index's first pages; each answer is also added to ``items``."""
    index = target.index
    found: list[ListEntry] = []
    for page_no in range(1, index.pages + 1):
        result = client.get(
            target.endpoint,
            source=NAME,
            params=list_params(target, page_no),
            headers={"Referer": index.referer},
        )
        items.append(
            BundleItem(result.url, result.content, "list", result.content_type, result.charset)
        )
        entries = list_page(
            result.content,
            result.charset,
            url=result.url,
            index=index,
            options=options,
            page_no=page_no,
        )
        found.extend(entries)
        if len(entries) < index.page_size:
            break
    return found


def _discover_ec(
    client: HttpClient, options: MofcomOptions, column: EcColumn, items: list[BundleItem]
) -> list[EcRow]:
    """Every row of the export-control column's first pages (POSTs, as the site's own XHR);
    each answer is added to ``items`` under the name of its request."""
    found: list[EcRow] = []
    for page in range(1, column.pages + 1):
        result = client.post_form(
            column.endpoint, source=NAME, form=ec_form(column, page), headers=XHR_HEADERS
        )
        name = ec_answer_url(column, page)
        items.append(
            BundleItem(name, result.content, "eclist", result.content_type, result.charset)
        )
        rows, last = ec_rows(
            result.content, result.charset, url=name, column=column, options=options, page=page
        )
        found.extend(rows)
        if page >= last:
            break
    return found
