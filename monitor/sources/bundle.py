"""Several fetched documents kept as one raw snapshot ("bundle").

Sources that need more than one request per run (a list API and the article
pages it links, a search API and each rule's full text) pack what they fetched
into one JSON document. It is hashed, stored and replayed like any other raw
snapshot, so provenance and "same bytes, nothing to parse" keep working.

Accumulating sources (MOFCOM, MFA) fetch only pages they do not hold yet, so their bundle
ends with a ``known`` item: the URLs of every action already held, by key, which parse
needs to tell "not fetched again" from "gone" (``bundle_result``, ``read_known``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from monitor.actions import is_action
from monitor.errors import ShapeError
from monitor.http import FetchResult, Validators
from monitor.models import Record

BUNDLE_FORMAT = "ecmon-bundle/1"


@dataclass(frozen=True)
class BundleItem:
    """One fetched document: where it came from and its undecoded bytes."""

    url: str
    body: bytes
    role: str = ""  # what the source fetched it as, e.g. "list", "article", "document"
    content_type: str | None = None
    charset: str | None = None


def pack(items: Sequence[BundleItem]) -> bytes:
    """The bundle's bytes; deterministic for the same items in the same order."""
    doc = {
        "format": BUNDLE_FORMAT,
        "items": [
            {
                "url": item.url,
                "role": item.role,
                "content_type": item.content_type,
                "charset": item.charset,
                "body_base64": base64.b64encode(item.body).decode("ascii"),
            }
            for item in items
        ],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")


def unpack(raw: bytes, *, source: str, url: str) -> list[BundleItem]:
    """The items of a bundle; anything else raises ShapeError naming the source."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ShapeError(f"not a fetch bundle: {exc}", source=source, url=url) from exc
    if not isinstance(doc, dict) or doc.get("format") != BUNDLE_FORMAT:
        raise ShapeError("not a fetch bundle (format marker missing)", source=source, url=url)
    items = []
    for entry in doc.get("items", []):
        try:
            items.append(
                BundleItem(
                    url=str(entry["url"]),
                    body=base64.b64decode(entry["body_base64"], validate=True),
                    role=str(entry.get("role") or ""),
                    content_type=entry.get("content_type"),
                    charset=entry.get("charset"),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ShapeError(f"damaged fetch bundle item: {exc}", source=source, url=url) from exc
    return items


def unpack_roles(raw: bytes, roles: Collection[str], *, source: str, url: str) -> list[BundleItem]:
    """``unpack``, refusing items of a role the source never writes."""
    items = unpack(raw, source=source, url=url)
    strange = sorted({item.role for item in items} - set(roles))
    if strange:
        raise ShapeError(f"unknown bundle role(s): {', '.join(strange)}", source=source, url=url)
    return items


def known_urls(previous: Mapping[str, Record]) -> dict[str, list[str]]:
    """The URLs of every held action, by key."""
    return {
        key: sorted(record.get_tuple("urls"))
        for key, record in previous.items()
        if is_action(record) and record.get_tuple("urls")
    }


def bundle_result(items: Sequence[BundleItem], known: Mapping[str, list[str]]) -> FetchResult:
    """The run's raw snapshot: the fetched items, then the ``known`` item."""
    body = json.dumps(known, sort_keys=True, ensure_ascii=False).encode("utf-8")
    packed = [*items, BundleItem("", body, "known", "application/json", "utf-8")]
    return FetchResult(
        url=packed[0].url,
        status=200,
        not_modified=False,
        content=pack(packed),
        validators=Validators(),
        content_type="application/json",
    )


def read_known(item: BundleItem, *, source: str, url: str) -> dict[str, list[str]]:
    """The ``known`` item's key -> URLs, or ShapeError naming the source."""
    try:
        doc = json.loads(item.body)
    except ValueError as exc:
        raise ShapeError(f"damaged 'known' bundle item: {exc}", source=source, url=url) from exc
    if not isinstance(doc, dict) or not all(
        isinstance(v, list) and all(isinstance(u, str) for u in v) for v in doc.values()
    ):
        raise ShapeError("damaged 'known' bundle item: not key -> URLs", source=source, url=url)
    return {str(k): list(v) for k, v in doc.items()}
