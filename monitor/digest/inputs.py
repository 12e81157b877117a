"""What goes into a digest, read from the store: the change document (with the rule
behind each change, its sector tags and watchlist hits, and the countermeasure links
that touch the changes), the stored actions its listings name, and the sources' health.

The digest model itself is pure (``monitor.digest.model``); this module only gathers
its inputs, so ``ecmon digest``, the outbox and ``ecmon feed`` all build it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor.actions import is_action
from monitor.analysis.links import Event, event_dict, evidence_dicts
from monitor.changeset import changes_document
from monitor.config import Recipient, Settings
from monitor.digest.actions import link_keys
from monitor.digest.model import build_model, filter_document
from monitor.enrich import annotator, attributor, links_report
from monitor.models import StoredChange
from monitor.sources import INFOS, REGISTRY
from monitor.store import Store
from monitor.store.alerts import statuses_with_alerts


def change_document(
    store: Store,
    settings: Settings,
    changes: Sequence[StoredChange],
    *,
    query: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The change document the digest is built from (the one place it is assembled):
    each change with the rule behind it, its sector tags and watchlist hits, plus the
    countermeasure links that touch these changes."""
    titles = {name: info.title for name, info in INFOS.items()}
    doc = changes_document(
        changes,
        query=query,
        generated_at=now,
        source_titles=titles,
        attribute=attributor(store),
        annotate=annotator(store, settings.analysis),
    )
    doc["links"] = links_touching(store, settings, doc["changes"])
    return doc


def links_touching(
    store: Store, settings: Settings, changes: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Links (``monitor.analysis.links``) whose trigger or response is one of ``changes``: an
    action among them, or a group of list additions with a member among them."""
    if not changes:
        return []
    keys = {c["key"] for c in changes if c["list"] == "action"}
    members = {f"{c['source']}:{c['key']}" for c in changes}
    report = links_report(store, settings.analysis)

    def touches(event: Event) -> bool:
        return event.key in keys or bool(members.intersection(event.members))

    return [
        {
            "trigger": event_dict(link.trigger, report.taxonomy),
            "response": event_dict(link.response, report.taxonomy),
            "days": link.days,
            "score": link.score,
            "evidence": evidence_dicts(link),
        }
        for link in report.links
        if touches(link.trigger) or touches(link.response)
    ]


def digest_model(
    store: Store,
    settings: Settings,
    doc: dict[str, Any],
    *,
    period: dict[str, Any],
    now: datetime,
    recipient: Recipient | None = None,
) -> dict[str, Any]:
    """The digest model of ``doc``, filtered for ``recipient`` when given."""
    if recipient is not None:
        doc = filter_document(
            doc, lists=recipient.lists, countries=recipient.countries, sectors=recipient.sectors
        )
    enabled = [(name, source.enabled) for name, source in settings.sources.items()]
    return build_model(
        doc,
        actions=_referenced_actions(store, doc),
        statuses=statuses_with_alerts(store, enabled),
        stale_after=timedelta(hours=settings.daemon.stale_after_hours),
        source_titles={name: info.title for name, info in INFOS.items()},
        period=period,
        generated_at=now,
    )


def period_of(changes: Sequence[StoredChange], label: str) -> dict[str, Any]:
    """What a digest covers, for its header: a label and the detection dates."""
    seen = sorted(c.provenance.fetched_at.date().isoformat() for c in changes)
    span = "" if not seen else seen[0] if seen[0] == seen[-1] else f"{seen[0]} to {seen[-1]}"
    return {
        "label": f"{label}, detected {span}" if span else label,
        "first_change_id": min((c.id for c in changes), default=None),
        "last_change_id": max((c.id for c in changes), default=None),
    }


def _referenced_actions(store: Store, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Stored actions the document's listings name (``listed_by``, ``status_action``, the
    attributed rule, link ends), so a listing shows an announcement published earlier."""
    keys: set[str] = set()
    for change in doc["changes"]:
        record = change.get("after") or change.get("before") or {}
        fields = record.get("fields", {})
        keys |= {str(fields.get("listed_by") or ""), str(fields.get("status_action") or "")}
        keys.add(str((change.get("attribution") or {}).get("action_key") or ""))
    keys |= {key for link in doc.get("links") or [] for key in link_keys(link)}
    keys.discard("")
    found: dict[str, dict[str, Any]] = {}
    for name in REGISTRY if keys else ():
        for record in store.accepted_records(name, keys).values():
            if is_action(record):
                found[record.key] = record.to_dict()
    return found
