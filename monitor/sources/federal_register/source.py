"""Federal Register API: BIS rules on the Entity List (and other end-user rules), as actions.

A feed source (see ``monitor.sources.base``): each run asks ``documents.json`` for the
newest BIS rules matching "Entity List" since ``options["since"]``, follows
``next_page_url`` for at most ``options["max_pages"]`` pages, and fetches the full-text
XML of every document not already stored complete. With ``options["public_inspection"]``
(on by default) it also reads ``public-inspection-documents.json`` for BIS rules filed
but not yet published (an early warning: BIS rules are on the desk days before they are
printed), and the raw text (``raw_text_url``) of each one not yet published, where a
filed rule's Entity List table is. A stored public inspection action whose document is
now in the list has its filing facts passed on (bundle role ``filed``), so the published
rule keeps when it was filed. Everything fetched is packed into one bundle
(``monitor.sources.bundle``); ``fr_actions`` turns it into action records.

Mirrors. The API answers with absolute URLs on ``https://www.federalregister.gov``
(``next_page_url``, ``full_text_xml_url``) and the fixtures keep them so. When the
source's URL is not the default API root, ``local_url`` maps those URLs onto it:
``https://www.federalregister.gov/api/v1/<rest>`` -> ``<url>/<rest>``, any other path
``https://www.federalregister.gov/<rest>`` -> ``<site>/<rest>``, where ``<site>`` is
``<url>`` without a trailing ``/api/v1``. A mirror folder thus holds both the API answers
(``documents.json``) and the site's files (``documents/full_text/xml/...``).

Only URLs on the configured host are fetched: the answers are the publisher's, but a
``next_page_url`` or ``full_text_xml_url`` on any other scheme or host (after the mirror
mapping) is never requested; such a page link raises ShapeError, such a full text is
flagged ``full text not fetched: not on <host>`` (a raw text likewise ``raw text not
fetched: ...``; a public inspection PDF is on its own host and only linked, never fetched).

A full text that cannot be fetched (HTTP 404, say) does not fail the run: the action is
stored from the document JSON with the review flag ``full text not fetched: HTTP 404``,
and the next run that reads the list tries again. Conditional GET applies to the first
list page only. When it answers 304, the public inspection desk (whose answer has no
validators) is still read: a BIS rule waiting there that is not stored as published makes
a bundle of the desk alone (roles ``public_inspection``, ``raw_text``, ``published``; the
stored rules stand, the source accumulates); none makes the run "not modified".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Final
from urllib.parse import urlencode, urlsplit

from monitor.actions import is_action
from monitor.config import SourceSettings
from monitor.errors import FetchError, ShapeError
from monitor.http import FetchResult, HttpClient, Validators
from monitor.models import Record
from monitor.sources.base import SourceDefaults
from monitor.sources.bundle import BundleItem, pack, unpack
from monitor.sources.federal_register.actions import (
    NO_FULL_TEXT,
    RULE_KINDS,
    Filing,
    records_from_bundle,
    stored_filing,
)
from monitor.sources.federal_register.documents import (
    AGENCY,
    DOCUMENT_FIELDS,
    Document,
    Inspection,
    read_inspection,
    read_page,
)
from monitor.sources.federal_register.info import (
    DEFAULT_API,
    DEFAULT_SITE,
    INFO,
    NAME,
    Options,
    read_options,
)

SEARCH_TERM: Final = '"Entity List"'


class FederalRegisterSource(SourceDefaults):
    info = INFO

    def rebase(self, settings: SourceSettings, base: str) -> SourceSettings:
        """The mirror folder stands for the API root and the site root at once."""
        return replace(settings, url=base.rstrip("/"))

    def fetch(
        self,
        client: HttpClient,
        settings: SourceSettings,
        validators: Validators | None,
        previous: Mapping[str, Record],
    ) -> FetchResult:
        options = read_options(settings)
        api = settings.url.rstrip("/")
        first = client.get(search_url(api, options), source=NAME, validators=validators)
        # The bundle keeps every exact URL; the run is filed under the search endpoint.
        endpoint = f"{api}/documents.json"
        if first.not_modified:
            if not options.public_inspection:
                return replace(first, url=endpoint)
            return self._desk_only(client, api, replace(first, url=endpoint), previous)
        items, documents = self._pages(client, api, first, options)
        numbers = [d.number for d in documents]
        listed = set(numbers)
        if options.public_inspection:
            answer = client.get(inspection_url(api), source=NAME)
            items.append(_item(answer, "public_inspection"))
            entries = read_inspection(answer.content, url=answer.url)
            numbers.extend(e.number for e in entries)
            waiting = [e for e in entries if e.is_bis_rule and e.number not in listed]
            items.extend(self._raw_texts(client, api, waiting))
        filed = filed_documents(previous, listed)
        if filed:
            body = json.dumps({n: f.as_json() for n, f in sorted(filed.items())}).encode()
            items.append(BundleItem(url="", body=body, role="filed"))
        known = known_documents(previous)
        items.extend(self._full_texts(client, api, documents, known))
        items.append(
            BundleItem(url="", body=json.dumps(sorted(known & set(numbers))).encode(), role="known")
        )
        return replace(
            first,
            url=endpoint,
            content=pack(items),
            content_type="application/json",
            charset=None,
        )

    def parse(self, raw: bytes, *, url: str, settings: SourceSettings) -> list[Record]:
        return records_from_bundle(unpack(raw, source=NAME, url=url), url=url)

    def _pages(
        self, client: HttpClient, api: str, first: FetchResult, options: Options
    ) -> tuple[list[BundleItem], list[Document]]:
        """Every list page up to ``max_pages``, and their documents in order."""
        items: list[BundleItem] = []
        documents: list[Document] = []
        seen = {first.url}
        result = first
        while True:
            items.append(_item(result, "list"))
            page = read_page(result.content, url=result.url)
            documents.extend(page.documents)
            if not page.next_url or len(items) >= options.max_pages:
                return items, documents
            target = local_url(page.next_url, api)
            if not on_host(target, api):
                raise ShapeError(
                    f"next_page_url is not on {_origin(api)}; not followed", source=NAME, url=target
                )
            if target in seen:
                raise ShapeError(
                    "next_page_url leads back to a page already read", source=NAME, url=target
                )
            seen.add(target)
            result = client.get(target, source=NAME)

    def _full_texts(
        self, client: HttpClient, api: str, documents: list[Document], known: set[str]
    ) -> list[BundleItem]:
        """The full text of each document not stored complete, or why it could not be had."""
        items: dict[str, BundleItem] = {}
        for document in documents:
            published = document.text("full_text_xml_url")
            if not published or document.number in known or published in items:
                continue
            target = local_url(published, api)
            if not on_host(target, api):
                note = f"not on {_origin(api)}".encode()
                items[published] = BundleItem(published, note, "full_text_error")
                continue
            try:
                answer = client.get(target, source=NAME)
            except FetchError as error:
                reason = f"HTTP {error.status}" if error.status else error.message
                items[published] = BundleItem(published, reason.encode(), "full_text_error")
                continue
            items[published] = replace(_item(answer, "full_text"), url=published)
        return list(items.values())

    def _desk_only(
        self, client: HttpClient, api: str, unchanged: FetchResult, previous: Mapping[str, Record]
    ) -> FetchResult:
        """The list is as stored (304): only the public inspection desk can have news. No
        BIS rule waiting there that we do not hold as published: not modified either."""
        answer = client.get(inspection_url(api), source=NAME)
        entries = read_inspection(answer.content, url=answer.url)
        held = published_documents(previous)
        waiting = [e for e in entries if e.is_bis_rule and e.number not in held]
        if not waiting:
            return unchanged
        items = [
            _item(answer, "public_inspection"),
            *self._raw_texts(client, api, waiting),
            BundleItem(url="", body=json.dumps(sorted(held)).encode(), role="published"),
        ]
        return replace(
            unchanged,
            status=200,
            not_modified=False,
            content=pack(items),
            content_type="application/json",
            charset=None,
        )

    def _raw_texts(
        self, client: HttpClient, api: str, entries: list[Inspection]
    ) -> list[BundleItem]:
        """The raw text of each filed rule, or why it could not be had (never fatal: the
        filing itself is the early warning)."""
        items: dict[str, BundleItem] = {}
        for entry in entries:
            where = entry.raw_text_url
            if not where or where in items:
                continue
            target = local_url(where, api)
            if not on_host(target, api):
                items[where] = BundleItem(
                    where, f"not on {_origin(api)}".encode(), "raw_text_error"
                )
                continue
            try:
                answer = client.get(target, source=NAME)
            except FetchError as error:
                reason = f"HTTP {error.status}" if error.status else error.message
                items[where] = BundleItem(where, reason.encode(), "raw_text_error")
                continue
            items[where] = replace(_item(answer, "raw_text"), url=where)
        return list(items.values())


def search_query(options: Options) -> list[tuple[str, str]]:
    """The ``documents.json`` query: BIS rules mentioning "Entity List", newest first."""
    return [
        ("conditions[agencies][]", AGENCY),
        ("conditions[term]", SEARCH_TERM),
        ("conditions[type][]", "RULE"),
        ("conditions[publication_date][gte]", options.since),
        ("order", "newest"),
        ("per_page", str(options.per_page)),
        *(("fields[]", name) for name in DOCUMENT_FIELDS),
    ]


def search_url(api: str, options: Options) -> str:
    return f"{api.rstrip('/')}/documents.json?{urlencode(search_query(options))}"


def inspection_url(api: str) -> str:
    query = urlencode([("conditions[agencies][]", AGENCY), ("conditions[type][]", "RULE")])
    return f"{api.rstrip('/')}/public-inspection-documents.json?{query}"


def local_url(published: str, api: str) -> str:
    """Where to GET a URL the API gave, when the source points at ``api`` (module docstring)."""
    api = api.rstrip("/")
    if api == DEFAULT_API:
        return published
    if published.startswith(f"{DEFAULT_API}/"):
        return api + published[len(DEFAULT_API) :]
    if published.startswith(f"{DEFAULT_SITE}/"):
        return api.removesuffix("/api/v1") + published[len(DEFAULT_SITE) :]
    return published


def on_host(url: str, api: str) -> bool:
    """Whether ``url`` is on the scheme and host the source is configured for."""
    return _origin(url) == _origin(api)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def known_documents(previous: Mapping[str, Record]) -> set[str]:
    """Document numbers stored as published rules with their full text (or none to get)."""
    return {
        record.get_text("document_number")
        for record in previous.values()
        if is_action(record)
        and record.get_text("kind") in RULE_KINDS
        and not any(flag.startswith(NO_FULL_TEXT) for flag in record.get_tuple("review"))
    }


def published_documents(previous: Mapping[str, Record]) -> set[str]:
    """Document numbers stored as published rules, complete or not."""
    return {
        record.get_text("document_number")
        for record in previous.values()
        if is_action(record) and record.get_text("kind") in RULE_KINDS
    }


def filed_documents(previous: Mapping[str, Record], listed: set[str]) -> dict[str, Filing]:
    """Filing facts of stored public inspection actions whose document is now listed."""
    return {
        record.get_text("document_number"): stored_filing(record)
        for record in previous.values()
        if is_action(record)
        and record.get_text("kind") == "public_inspection"
        and record.get_text("document_number") in listed
    }


def _item(result: FetchResult, role: str) -> BundleItem:
    return BundleItem(result.url, result.content, role, result.content_type, result.charset)
