"""Enrichment that needs stored state: which government action is behind a change.

The matching itself is pure (``monitor.attribution``); this module only gathers
the stored actions it needs and shapes the answer for the change document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from monitor.actions import is_action
from monitor.attribution import Attribution, attribute, attribute_by_name
from monitor.changeset import Attributor, no_attribution
from monitor.models import Record, StoredChange
from monitor.store import Store

# Sources whose changes a Federal Register rule can explain, and where rules are stored.
BIS_LIST_SOURCES = ("us_csl_entity_list", "us_ecfr_entity_list")
RULE_SOURCE = "us_federal_register"


def attributor(store: Store) -> Attributor:
    """The attribution function for changes rendered from ``store``."""
    actions = [r for r in store.accepted_records(RULE_SOURCE).values() if is_action(r)]
    if not actions:
        return no_attribution

    def attribute_change(stored: StoredChange) -> Mapping[str, Any] | None:
        found = find_rule(stored, actions)
        return None if found is None else attribution_dict(found)

    return attribute_change


def find_rule(stored: StoredChange, actions: Sequence[Record]) -> Attribution | None:
    """The rule behind a BIS list change: by the page its citation points at, else
    (for an addition) by the rule's tables naming the entity."""
    if stored.provenance.source not in BIS_LIST_SOURCES:
        return None
    change = stored.change
    citations = change.after.get_tuple("citations") if change.after else ()
    if change.kind == "modified" and change.before is not None:
        # A modification is explained by the citation it gained, not its first listing.
        known = set(change.before.get_tuple("citations"))
        citations = tuple(c for c in citations if c not in known) or citations
    found = attribute(citations or stored.citations, actions)
    if found is None and change.kind == "added":
        found = attribute_by_name(change.name, actions)
    return found


def attribution_dict(found: Attribution) -> dict[str, Any]:
    action = found.action
    return {
        "action_key": action.key,
        "instrument": action.get_text("instrument"),
        "document_number": action.get_text("document_number"),
        "title": action.name,
        "published": action.get_text("published"),
        "url": action.get_text("url"),
        "evidence": found.evidence,
    }
