"""The digest model's declared shape: what ``monitor.digest.model.build_model`` returns
and every digest format (text, HTML, Markdown, JSON, the Atom feed) renders.

TypedDicts, not dataclasses: the model is JSON as it stands (``digest --format json``
prints it with ``json.dumps``, the Jinja templates index it), and mypy checks every
key that the builders write and the renderers read. Key order is the JSON's order.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from monitor.changeset import AttributionDict, SourceRef


class NamedItem(TypedDict):
    """A sector tag or a watchlist hit as the digest shows it, merged per id: ``detail``
    is the one short phrase every format shows (``name: “Microelectronics”``, a hit's
    reason), ``note`` what a reader must know to judge it ("inferred: ..."), ``evidence``
    every piece behind it (the JSON's; the rendered digests show ``detail`` only)."""

    id: str
    name: str
    detail: str
    note: str
    evidence: list[str]
    score: str
    status: str


class FieldRow(TypedDict):
    field: str
    before: list[str]
    after: list[str]
    added: list[str]
    removed: list[str]


class EvidenceRow(TypedDict):
    label: str
    value: str


class Entity(TypedDict):
    """One listing (an entry added, modified or removed), merged across sources."""

    kind: str
    list: str
    key: str
    name: str
    name_zh: str
    country: str
    previous_name: str
    labels: list[str]
    sources: list[str]
    sectors: list[NamedItem]
    hits: list[NamedItem]
    evidence: list[EvidenceRow]
    fields: list[FieldRow]
    action_key: str
    attribution: AttributionDict | None
    change_ids: list[int]
    identities: list[str]
    seen_at: str
    start_date: str


class Party(TypedDict):
    zh: str
    en: str
    country: str


class ActionSummary(TypedDict):
    """A rule or an announcement for the reader."""

    heading: str
    key: str
    change: str
    identity: str
    seen_at: str
    kind: str
    kind_label: str
    jurisdiction: str
    actor: str
    instrument: str
    document_number: str
    title: str
    published: str
    effective: str
    url: str
    url_note: str  # "" for the act's own page; else why the URL is not one (a placeholder)
    reasons: list[str]
    review: list[str]
    stated_count: str
    evidence: str
    sectors: list[NamedItem]
    parties: list[Party]
    listed_above: NotRequired[bool]  # set on the actions section's items only


class Group(TypedDict):
    """New listings under the action that made them (or their start date, or list)."""

    id: str
    heading: str
    date: str
    action: ActionSummary | None
    note: str
    # What every entity of the group states alike (the measures of one announcement, the
    # licence terms of one rule), said once here and left out of each entity's evidence;
    # ``sources`` likewise when every entity was reported by the same sources.
    shared: list[EvidenceRow]
    sources: list[str]
    entities: list[Entity]


class Response(TypedDict):
    action: ActionSummary
    relation: str
    score: str
    days: str
    evidence: list[str]


class TimelineEntry(TypedDict):
    summary: str  # the chain in one line (monitor.digest.chain): "BIS +11 (...) → MOFCOM ..."
    trigger: ActionSummary
    responses: list[Response]


class ListCount(TypedDict):
    list: str
    label: str
    total: int
    added: int
    modified: int
    removed: int


class CountryCount(TypedDict):
    country: str
    count: int


class SectorCount(TypedDict):
    sector: str
    count: int


class Headline(TypedDict):
    hits: int
    added: int
    modified: int
    removed: int
    actions: int
    by_list: list[ListCount]
    by_country: list[CountryCount]
    by_sector: list[SectorCount]


class HealthEntry(TypedDict):
    source: str
    title: str
    alert: str  # broken | recovered | "" (the daemon's alert state)
    alert_since: str


class Problem(HealthEntry):
    state: str  # suspect | failing | stale
    detail: str
    last_success_at: str


class Reviewed(TypedDict):
    """A held snapshot accepted by a person (``ecmon accept``) whose changes are shown."""

    source: str
    title: str
    held_run_id: int
    run_id: int  # the accepting run: its changes are this digest's
    by: str
    at: str
    reason: str


class Health(TypedDict):
    problems: list[Problem]
    healthy: list[HealthEntry]
    reviewed: list[Reviewed]


class Period(TypedDict):
    """What a digest covers, for its header."""

    label: str
    first_change_id: int | None
    last_change_id: int | None


class DigestModel(TypedDict):
    model_version: str
    generated_at: str
    period: Period
    empty: bool
    headline: Headline
    hits: list[Entity]
    groups: list[Group]
    modifications: list[Entity]
    removals: list[Entity]
    actions: list[ActionSummary]
    timeline: list[TimelineEntry]
    health: Health
    sources: list[SourceRef]
