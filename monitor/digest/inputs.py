"""What goes into a digest, read from the store once: the change document (with the
rule behind each change, its sector tags and watchlist hits, and the countermeasure
links that touch the changes), the stored actions its listings name, and the sources'
health (``gather`` -> ``DigestInputs``).

The digest model itself is pure (``monitor.digest.model``): ``model_for`` filters the
gathered inputs for one recipient without touching the store, so one compose reads the
store once however many recipients it has; ``ecmon digest``, the outbox and ``ecmon feed``
all build it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.actions import is_action
from monitor.analysis.links import Event, LinkDict, event_dict, evidence_dicts
from monitor.changeset import ChangeDict, ChangesDocument, Query, changes_document
from monitor.config import Recipient, Settings
from monitor.digest.actions import identities_of, link_keys
from monitor.digest.model import build_model, filter_document
from monitor.digest.types import DigestModel, Period, Reviewed
from monitor.enrich import Analysis, annotator, attributor, links_report, load_analysis
from monitor.models import RecordDict, SourceStatus, StoredChange
from monitor.sources import INFOS, REGISTRY
from monitor.store import Store
from monitor.store.alerts import statuses_with_alerts
from monitor.store.review import decisions_for_runs


def change_document(
    store: Store,
    settings: Settings,
    changes: Sequence[StoredChange],
    *,
    query: Query,
    now: datetime,
) -> ChangesDocument:
    """The change document the digest is built from (the one place it is assembled):
    each change with the rule behind it, its sector tags and watchlist hits, plus the
    countermeasure links that touch these changes. The analysis (taxonomy, overrides,
    watchlist, stored actions) is read once for both."""
    titles = {name: info.title for name, info in INFOS.items()}
    context = load_analysis(store, settings.analysis)
    context.preload_tags((c.provenance.source, c.change.record) for c in changes)
    doc = changes_document(
        changes,
        query=query,
        generated_at=now,
        source_titles=titles,
        attribute=attributor(store),
        annotate=annotator(store, settings.analysis, context=context),
    )
    doc["links"] = links_touching(store, settings, doc["changes"], context)
    context.save_tags()  # the next digest, diff or links reads them instead of tagging
    return doc


def links_touching(
    store: Store, settings: Settings, changes: Sequence[ChangeDict], context: Analysis
) -> list[LinkDict]:
    """Links (``monitor.analysis.links``) whose trigger or response is one of ``changes``: an
    action among them, or a group of list additions with a member among them."""
    if not changes:
        return []
    keys = {c["key"] for c in changes if c["list"] == "action"}
    members = {f"{c['source']}:{c['key']}" for c in changes}
    report = links_report(store, settings.analysis, context=context, chains=False, keep_facts=True)

    def touches(event: Event) -> bool:
        return event.key in keys or bool(members.intersection(event.members))

    return [
        LinkDict(
            trigger=event_dict(link.trigger, report.taxonomy),
            response=event_dict(link.response, report.taxonomy),
            days=link.days,
            score=link.score,
            evidence=evidence_dicts(link),
        )
        for link in report.links
        if touches(link.trigger) or touches(link.response)
    ]


@dataclass(frozen=True)
class DigestInputs:
    """Everything one digest needs, gathered once; ``model_for`` only filters it."""

    doc: ChangesDocument
    period: Period
    actions: Mapping[str, RecordDict]  # the stored actions the whole document names
    statuses: tuple[SourceStatus, ...]
    stale_after: timedelta
    generated_at: datetime
    reviewed: tuple[Reviewed, ...] = ()  # accepted held snapshots whose changes it shows
    identities: Mapping[int, str] = field(default_factory=dict)  # by change id, when known


def gather(
    store: Store,
    settings: Settings,
    doc: ChangesDocument,
    *,
    period: Period,
    now: datetime,
    changes: Sequence[StoredChange] = (),
) -> DigestInputs:
    """Read what the digest of ``doc`` needs besides the document: the actions it names
    and the health of the enabled sources. ``changes``: the stored changes ``doc`` was
    made of, whose records give each change's identity without rebuilding them."""
    enabled = [(name, source.enabled) for name, source in settings.sources.items()]
    return DigestInputs(
        doc=doc,
        period=period,
        actions=_referenced_actions(store, doc),
        statuses=tuple(statuses_with_alerts(store, enabled)),
        stale_after=timedelta(hours=settings.daemon.stale_after_hours),
        generated_at=now,
        reviewed=_reviewed(store, doc),
        identities=identities_of(changes),
    )


def _reviewed(store: Store, doc: ChangesDocument) -> tuple[Reviewed, ...]:
    """The review acceptances (who, when, why) of the runs whose changes ``doc`` holds."""
    runs = {change["provenance"]["run_id"] for change in doc["changes"]}
    return tuple(
        Reviewed(
            source=d.source,
            title=INFOS[d.source].title if d.source in INFOS else d.source,
            held_run_id=d.held_run_id,
            run_id=d.run_id,
            by=d.by,
            at=d.at,
            reason=d.reason,
        )
        for d in decisions_for_runs(store, runs)
        if d.run_id is not None
    )


def model_for(inputs: DigestInputs, recipient: Recipient | None = None) -> DigestModel:
    """The digest model of the gathered inputs, filtered for ``recipient`` when given.
    Pure: the actions of the whole document are a superset of those a filtered one names,
    and the model looks them up by key only."""
    doc = inputs.doc
    if recipient is not None:
        doc = filter_document(
            doc, lists=recipient.lists, countries=recipient.countries, sectors=recipient.sectors
        )
    return build_model(
        doc,
        actions=inputs.actions,
        statuses=inputs.statuses,
        stale_after=inputs.stale_after,
        source_titles={name: info.title for name, info in INFOS.items()},
        period=inputs.period,
        generated_at=inputs.generated_at,
        reviewed=inputs.reviewed,
        identities=inputs.identities,
    )


def digest_model(
    store: Store,
    settings: Settings,
    doc: ChangesDocument,
    *,
    period: Period,
    now: datetime,
    recipient: Recipient | None = None,
    changes: Sequence[StoredChange] = (),
) -> DigestModel:
    """One digest model of ``doc`` (gather, then filter for ``recipient`` when given);
    ``changes``: the stored changes ``doc`` was made of (see ``gather``)."""
    gathered = gather(store, settings, doc, period=period, now=now, changes=changes)
    return model_for(gathered, recipient)


def period_of(changes: Sequence[StoredChange], label: str) -> Period:
    """What a digest covers, for its header: a label and the detection dates."""
    seen = sorted(c.provenance.fetched_at.date().isoformat() for c in changes)
    span = "" if not seen else seen[0] if seen[0] == seen[-1] else f"{seen[0]} to {seen[-1]}"
    return {
        "label": f"{label}, detected {span}" if span else label,
        "first_change_id": min((c.id for c in changes), default=None),
        "last_change_id": max((c.id for c in changes), default=None),
    }


def _referenced_actions(store: Store, doc: ChangesDocument) -> dict[str, RecordDict]:
    """Stored actions the document's listings name (``listed_by``, ``status_action``, the
    attributed rule, link ends), so a listing shows an announcement published earlier."""
    keys: set[str] = set()
    for change in doc["changes"]:
        shown = change["after"] or change["before"]
        fields = shown["fields"] if shown else {}
        keys |= {str(fields.get("listed_by") or ""), str(fields.get("status_action") or "")}
        keys.add(change["attribution"]["action_key"] if change["attribution"] else "")
    keys |= {key for link in doc.get("links", []) for key in link_keys(link)}
    keys.discard("")
    found: dict[str, RecordDict] = {}
    for name in REGISTRY if keys else ():
        for record in store.accepted_records(name, keys).values():
            if is_action(record):
                found[record.key] = record.to_dict()
    return found
