"""Enrichment that needs stored state: which government action is behind a change
(``attributor``), and its sector tags and watchlist hits (``annotator``).

The matching itself is pure (``monitor.analysis.attribution``, ``monitor.analysis.sectors``,
``monitor.analysis.watchlist``); this module only gathers the stored actions, the analyst's
files and the stored hit decisions it needs, and shapes the answers for the change
document:

* ``sectors``: one item per piece of evidence, ``{sector, label, field, matched, rule}``
  (+ ``note``); an entry listed by an action we hold (MOFCOM ``listed_by``, or the FR
  rule its citation points at) also gets that action's own cues as ``listing`` evidence;
  sector overrides apply last.
* ``hits`` (only when a watchlist is configured; added and modified records only):
  ``{ref, watch_name, score, reason, status, id}``; ``status`` and ``id`` come from the
  stored decisions (``ecmon hits``), and a dismissal made on another version of the
  record reads ``new``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from monitor.actions import is_action
from monitor.analysis.attribution import Attribution, attribute, attribute_by_name
from monitor.analysis.chains import Chain, find_chains
from monitor.analysis.link_events import Tagger, all_events, build_events, may_respond
from monitor.analysis.links import Link, find_links
from monitor.analysis.nameindex import NameIndex
from monitor.analysis.namematch import PLAIN, Rarity
from monitor.analysis.sectors import (
    Override,
    SectorTag,
    Taxonomy,
    apply_overrides,
    classify_record,
    default_taxonomy,
    tags_to_dicts,
)
from monitor.analysis.watchlist import (
    Hit,
    Lexicon,
    WatchEntry,
    effective_status,
    lexicon_from,
    record_names,
    screen,
)
from monitor.analysis.watchlist_file import read_overrides, read_watchlist
from monitor.changeset import (
    Annotation,
    Annotator,
    AttributionDict,
    Attributor,
    HitDict,
    no_attribution,
)
from monitor.config import AnalysisSettings
from monitor.models import Record, StoredChange
from monitor.store import Store
from monitor.store import analysis as store_analysis
from monitor.store.tags import TagStore

# Sources whose changes a Federal Register rule can explain, and where rules are stored.
BIS_LIST_SOURCES = store_analysis.BIS_LIST_SOURCES
RULE_SOURCE = "us_federal_register"


def attributor(store: Store) -> Attributor:
    """The attribution function for changes rendered from ``store``."""
    actions = [r for r in store.accepted_records(RULE_SOURCE).values() if is_action(r)]
    if not actions:
        return no_attribution

    def attribute_change(stored: StoredChange) -> AttributionDict | None:
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


def attribution_dict(found: Attribution) -> AttributionDict:
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


@dataclass(frozen=True)
class Analysis:
    """What tagging and screening need, gathered once per command."""

    taxonomy: Taxonomy
    overrides: tuple[Override, ...] = ()
    actions: Mapping[str, Record] = field(default_factory=dict)
    rules: tuple[Record, ...] = ()
    entries: tuple[WatchEntry, ...] = ()
    lexicon: Lexicon = field(default_factory=Lexicon)
    threshold: float = AnalysisSettings.hit_threshold
    rarity: Rarity = PLAIN  # word statistics of every list, so change hits score as screens do
    # Tags computed by earlier commands (``monitor.store.tags``); None: compute every time.
    stored: TagStore | None = field(default=None, compare=False)
    # Tags by (source, key, content hash, listing): one command tags a record once, though
    # the link events, the changes and the screening all ask. Not copied by ``replace``.
    _tagged: dict[tuple[str, str, str, str], tuple[SectorTag, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def tags(
        self, source: str, record: Record, listing: Record | None = None
    ) -> tuple[SectorTag, ...]:
        """A record's sectors: taxonomy, the listing action's cues, then the overrides."""
        given = "" if listing is None else f"{listing.key}\x1f{listing.content_hash}"
        memo = (source, record.key, record.content_hash, given)
        cached = self._tagged.get(memo)
        if cached is None:
            cached = self._tagged[memo] = self._classify(source, record, listing)
        return cached

    def _classify(
        self, source: str, record: Record, listing: Record | None
    ) -> tuple[SectorTag, ...]:
        if listing is None and not is_action(record):
            listing = self.actions.get(record.get_text("listed_by")) or self._rule(record)
        return apply_overrides(
            self._taxonomy_tags(source, record, listing),
            self.overrides,
            source=source,
            key=record.key,
        )

    def _taxonomy_tags(
        self, source: str, record: Record, listing: Record | None
    ) -> tuple[SectorTag, ...]:
        """The pure tagger's answer, read from the store when an earlier command computed
        it for this record version, listing action and taxonomy."""
        if self.stored is None:
            return classify_record(record, self.taxonomy, listing)
        given = "" if listing is None else f"{listing.key}\x1f{listing.content_hash}"
        key = (source, record.key, record.content_hash, given)
        found = self.stored.get(key)
        if found is None:
            found = classify_record(record, self.taxonomy, listing)
            self.stored.put(key, found)
        return found

    def preload_tags(self, records: Iterable[tuple[str, Record]]) -> None:
        """Read the stored tags of these (source, record) pairs in a few queries."""
        if self.stored is None:
            return
        by_source: dict[str, list[str]] = {}
        for source, record in records:
            by_source.setdefault(source, []).append(record.key)
        for source, keys in by_source.items():
            self.stored.preload(source, keys)

    def save_tags(self) -> None:
        """Store the tags this command computed, for the next command to read."""
        if self.stored is not None:
            self.stored.save()

    def screen(
        self, records: Iterable[tuple[str, Record]], *, threshold: float | None = None
    ) -> list[Hit]:
        """Watchlist hits among ``records``, scored with the word statistics of every list.

        The one way to screen: a change, an alert and ``ecmon screen`` score a name
        alike, because the statistics never come from the few records screened.
        """
        return screen(
            self.entries,
            records,
            threshold=self.threshold if threshold is None else threshold,
            lexicon=self.lexicon,
            rarity=self.rarity,
        )

    def _rule(self, record: Record) -> Record | None:
        """The FR rule a BIS entry's citations point at, if we hold it."""
        if not self.rules:  # (asked once per change: most stores hold no rule)
            return None
        found = attribute(record.get_tuple("citations"), self.rules)
        return found.action if found else None


# Lists whose entries carry both a Chinese and an English name (MOFCOM annexes), and actions.
_BILINGUAL = ("action", "ecl", "uel")


def load_analysis(
    store: Store,
    analysis: AnalysisSettings | None = None,
    *,
    entries: Sequence[WatchEntry] | None = None,
) -> Analysis:
    """Read the taxonomy, the analyst's files named in ``analysis`` and the stored actions.

    ``entries`` screen instead of the watchlist file (``ecmon screen --name``).
    """
    settings = analysis or AnalysisSettings()
    taxonomy = default_taxonomy()
    overrides = (
        read_overrides(Path(settings.sector_overrides).expanduser(), taxonomy)
        if settings.sector_overrides
        else ()
    )
    if entries is None:
        entries = (
            read_watchlist(Path(settings.watchlist).expanduser()) if settings.watchlist else ()
        )
    held = store_analysis.actions(store)
    lexicon, corpus = Lexicon(), NameIndex()
    if entries:  # the bilingual pairs and word statistics are only needed to screen
        held_records = [r for _, r in store_analysis.current_records(store)]
        lexicon = lexicon_from(r for r in held_records if r.list_name in _BILINGUAL)
        for record in held_records:
            for name in record_names(record):
                corpus.count(name)
    return Analysis(
        taxonomy=taxonomy,
        stored=TagStore(store, taxonomy.fingerprint) if taxonomy.fingerprint else None,
        overrides=overrides,
        actions={record.key: record for _, record in held},
        rules=tuple(record for source, record in held if source == RULE_SOURCE),
        entries=tuple(entries),
        lexicon=lexicon,
        threshold=settings.hit_threshold,
        rarity=corpus if entries else PLAIN,
    )


def annotator(
    store: Store, analysis: AnalysisSettings | None = None, *, context: Analysis | None = None
) -> Annotator:
    """The ``sectors`` and ``hits`` of each change rendered from ``store`` (``context``:
    the analysis already loaded with these settings, so it is not read twice)."""
    context = context or load_analysis(store, analysis)
    decided = {(h.hit.ref, h.hit.source, h.hit.key): h for h in store_analysis.stored_hits(store)}

    def annotate(stored: StoredChange) -> Annotation:
        record = stored.change.record
        rule = find_rule(stored, context.rules)
        tags = context.tags(stored.provenance.source, record, rule.action if rule else None)
        found: Annotation = {"sectors": tags_to_dicts(tags, context.taxonomy)}
        if context.entries and stored.change.kind != "removed":
            found["hits"] = change_hits(context, stored, decided)
        return found

    return annotate


def change_hits(
    context: Analysis,
    stored: StoredChange,
    decided: Mapping[tuple[str, str, str], store_analysis.StoredHit],
) -> list[HitDict]:
    """Watchlist hits of one changed record, with the stored decision on each."""
    source, record = stored.provenance.source, stored.change.record
    hits = context.screen([(source, record)])
    items: list[HitDict] = []
    for hit in hits:
        known = decided.get((hit.ref, source, record.key))
        status = (
            effective_status(known.recorded_status, known.decided_hash, record.content_hash)
            if known
            else "new"
        )
        items.append(
            {
                "ref": hit.ref,
                "watch_name": hit.watch_name,
                "score": hit.score,
                "reason": hit.reason,
                "status": status,
                "id": known.id if known else None,
            }
        )
    return items


@dataclass(frozen=True)
class LinksReport:
    links: tuple[Link, ...]
    chains: tuple[Chain, ...]
    taxonomy: Taxonomy


def links_report(
    store: Store,
    analysis: AnalysisSettings | None = None,
    *,
    window_days: int | None = None,
    since: str | None = None,
    context: Analysis | None = None,
    chains: bool = True,
    keep_facts: bool = False,
) -> LinksReport:
    """Countermeasure links and chains from every action and BIS list addition held.

    ``since`` keeps links whose trigger or response is dated on or after it, and chain
    steps dated on or after it. ``context``: an analysis already loaded (only its
    taxonomy and sector tagging are used, never its watchlist). ``chains=False``: links
    only (the digest's): then, when no action held can answer a trigger, there are no
    links and the list additions (every stored CSL entry) are not read at all.
    ``keep_facts``: store the CSL entries' listing facts read from their packed JSON
    (``store_analysis.listing_facts``), so the next digest reads them without unpacking.
    """
    settings = replace(analysis or AnalysisSettings(), watchlist="")  # no screening here
    context = context or load_analysis(store, settings)
    held = store_analysis.actions(store)
    if not chains and not any(may_respond(action) for _, action in held):
        return LinksReport((), (), context.taxonomy)
    window = window_days or settings.link_window_days
    additions = store_analysis.list_additions(store, remember=keep_facts)
    triggers, responses = build_events(held, additions, _whole_record_tags(store, context), window)
    links = find_links(triggers, responses, window)
    found = find_chains((a for _, a in held), all_events(triggers, responses)) if chains else []
    if since:
        links = [k for k in links if max(k.trigger.date, k.response.date) >= since]
        found = [
            _chain_since(c, since) for c in found if any(s.action.date >= since for s in c.steps)
        ]
    return LinksReport(tuple(links), tuple(found), context.taxonomy)


def _whole_record_tags(store: Store, context: Analysis) -> Tagger:
    """``context.tags`` for link events, whose CSL additions hold only their listing facts
    (``store_analysis.list_additions``): the whole record of a CSL entry is read when its
    group is tagged, which only the groups a link can use are."""
    whole: dict[str, Record] = {}

    def tags(source: str, record: Record) -> tuple[SectorTag, ...]:
        if source == store_analysis.CSL_SOURCE and not is_action(record):
            if record.key not in whole:
                found = store.accepted_records(source, [record.key])
                whole[record.key] = found.get(record.key, record)
            record = whole[record.key]
        return context.tags(source, record)

    return tags


def _chain_since(chain: Chain, since: str) -> Chain:
    return replace(chain, steps=tuple(s for s in chain.steps if s.action.date >= since))
