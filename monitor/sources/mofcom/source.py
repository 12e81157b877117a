"""MOFCOM announcements (商务部公告, 不可靠实体清单, 出口管制管控名单): a feed source in Chinese.

Fetch (discovery): for each enabled index (``mofcom_options``), GET pages 1..``pages`` of the
JPaaS list API (stopping early at a short page). Page 1 of an index with no item is a
ShapeError ("the site may have been redesigned"): the CMS ids are opaque and change without
notice, and an empty answer must not read as "nothing new". Every linked article whose URL is
not already held (the ``urls`` of the accepted action records, or ``skip_urls``) is fetched;
known articles are never fetched again. Only links on the configured hosts (``settings.url``
and ``options["hosts"]``) are followed: a list item linking anywhere else (another site, a
``javascript:`` URL) is skipped with a warning, never fetched. The list answers and articles
are packed into one bundle (roles ``list``, ``article``) together with a ``known`` item: the
URLs of the held actions by key, so that a held announcement seen under a new URL keeps its
old URLs (replaying a stored bundle gives the same records). No conditional GET: a bundle
has no one validator, and list answers are small.

Parse: every list answer is checked again (a stored bundle replays under the same rules),
every article page is decoded (``mofcom_text``), split by text markers (``mofcom_article``)
and turned into an action record (``mofcom_actions``); copies of one 文号 under several URLs
become one record. Any page that cannot be read raises, so a run never stores a partial list.

Derive: the ``uel`` and ``ecl`` lists with each entity's status (``mofcom_lists``).

URLs in records are written on the public origins whatever host served them, so the fixture
mirror (``rebase``) and the live site give identical records.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from monitor.actions import is_action
from monitor.config import SourceSettings
from monitor.errors import ShapeError
from monitor.http import FetchResult, HttpClient, Validators
from monitor.models import Record
from monitor.sources.bundle import BundleItem, pack, unpack
from monitor.sources.mofcom.actions import action_from_article, merge_copies
from monitor.sources.mofcom.article import parse_article
from monitor.sources.mofcom.index import ListEntry, list_page, list_params, page_of
from monitor.sources.mofcom.info import INFO
from monitor.sources.mofcom.lists import derive_lists
from monitor.sources.mofcom.options import (
    DEFAULT_INDEXES,
    NAME,
    IndexSpec,
    MofcomOptions,
    read_options,
)
from monitor.sources.mofcom.text import decode

log = logging.getLogger(__name__)

# Indexes a fixture mirror serves although their live ids are unknown (see ``rebase``).
MIRROR_ONLY_INDEXES = ("spokesperson",)
MIRROR_ID = "mirror"
_ROLES = frozenset({"list", "article", "known"})


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
        for index in options.indexes:
            entries = _discover(client, options, index, items)
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
            for entry in entries:
                if not options.on_site(entry.url):
                    log.warning("MOFCOM %s: link off the configured hosts skipped: %s",
                                index.name, entry.url)  # fmt: skip
                    continue
                if options.site_url(entry.url) not in held:
                    links.setdefault(options.site_url(entry.url), entry)
        for entry in links.values():
            page = client.get(entry.url, source=NAME)
            items.append(
                BundleItem(entry.url, page.content, "article", page.content_type, page.charset)
            )
        known_body = json.dumps(known, sort_keys=True, ensure_ascii=False).encode("utf-8")
        items.append(BundleItem("", known_body, "known", "application/json", "utf-8"))
        return FetchResult(
            url=items[0].url,
            status=200,
            not_modified=False,
            content=pack(items),
            validators=Validators(),
            content_type="application/json",
        )

    def parse(self, raw: bytes, *, url: str, settings: SourceSettings) -> list[Record]:
        options = read_options(settings.url, settings.options)
        items = unpack(raw, source=NAME, url=url)
        strange = sorted({item.role for item in items} - _ROLES)
        if strange:
            raise ShapeError(f"unknown bundle role(s): {', '.join(strange)}", source=NAME, url=url)
        indexes = {(i.base + options.api_path, i.page_id): i for i in options.indexes}
        actions = []
        known: dict[str, list[str]] = {}
        for item in items:
            if item.role == "list":
                endpoint, page_id, page_no = page_of(item.url)
                index = indexes.get((endpoint, page_id))
                if index is None:
                    raise ShapeError(
                        "list answer of no configured index", source=NAME, url=item.url
                    )
                list_page(
                    item.body,
                    item.charset,
                    url=item.url,
                    index=index,
                    options=options,
                    page_no=page_no,
                )
            elif item.role == "article":
                html = decode(item.body, item.charset, url=item.url)
                article = parse_article(html, url=item.url)
                actions.append(action_from_article(article, url=options.site_url(item.url)))
            else:
                known = _known(item, url)
        return merge_copies(actions, known)

    def derive(self, records: Mapping[str, Record]) -> list[Record]:
        return derive_lists(records)

    def rebase(self, settings: SourceSettings, base: str) -> SourceSettings:
        """Point www at ``{base}/www`` and aqygzj at ``{base}/aqygzj``.

        A fixture mirror also serves the spokesperson column, where suspensions are announced;
        its live JPaaS ids are unknown (the index is disabled by default), so on a mirror it is
        enabled and the unknown ids are asked for as ``"mirror"``.
        """
        root = base.rstrip("/")
        indexes: dict[str, Any] = {name: dict(table) for name, table in DEFAULT_INDEXES.items()}
        given = settings.options.get("indexes", {})
        for name, table in given.items():
            indexes.setdefault(name, {}).update(table)
        for name in MIRROR_ONLY_INDEXES:
            table = indexes[name]
            table.update({k: v or MIRROR_ID for k, v in table.items() if k.endswith("_id")})
            table["enabled"] = True
        options = {
            **settings.options,
            "hosts": MappingProxyType({"aqygzj": f"{root}/aqygzj"}),
            "indexes": MappingProxyType(indexes),
        }
        return replace(settings, url=f"{root}/www", options=MappingProxyType(options))


def _discover(
    client: HttpClient, options: MofcomOptions, index: IndexSpec, items: list[BundleItem]
) -> list[ListEntry]:
    """Every entry of the index's first pages; each answer is also added to ``items``."""
    found: list[ListEntry] = []
    for page_no in range(1, index.pages + 1):
        result = client.get(
            index.base + options.api_path,
            source=NAME,
            params=list_params(index, page_no),
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


def known_urls(previous: Mapping[str, Record]) -> dict[str, list[str]]:
    """The URLs of every held action, by key."""
    return {
        key: sorted(record.get_tuple("urls"))
        for key, record in previous.items()
        if is_action(record) and record.get_tuple("urls")
    }


def _known(item: BundleItem, url: str) -> dict[str, list[str]]:
    try:
        doc = json.loads(item.body)
    except ValueError as exc:
        raise ShapeError(f"damaged 'known' bundle item: {exc}", source=NAME, url=url) from exc
    if not isinstance(doc, dict) or not all(
        isinstance(v, list) and all(isinstance(u, str) for u in v) for v in doc.values()
    ):
        raise ShapeError("damaged 'known' bundle item: not key -> URLs", source=NAME, url=url)
    return {str(k): list(v) for k, v in doc.items()}
