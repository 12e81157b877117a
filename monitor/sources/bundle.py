"""Several fetched documents kept as one raw snapshot ("bundle").

Sources that need more than one request per run (a list API and the article
pages it links, a search API and each rule's full text) pack what they fetched
into one JSON document. It is hashed, stored and replayed like any other raw
snapshot, so provenance and "same bytes, nothing to parse" keep working.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.errors import ShapeError

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
