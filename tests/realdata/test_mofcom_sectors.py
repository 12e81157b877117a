"""Sector tags of every entity on the real UEL/ECL annexes (after all 19 MOFCOM texts),
against labels written by hand by reading the texts (``truth/mofcom_sectors.toml``).

Each entity is tagged as the enricher tags it: from its own names, plus the listing act's
own text (its stated reason, its title), marked ``listing`` (inherited from the act). The
result is precision and recall per sector in ``docs/fidelity.md``, with every false tag and
every missed label named; the floors below hold what is reached, so a regression fails.
"""

from __future__ import annotations

from collections import Counter

from monitor.analysis.sectors import classify_record, default_taxonomy, scan, sector_ids
from monitor.analysis.taxonomy import normalise
from monitor.sources.mofcom.lists import derive_lists
from tests.realdata import mofcom_reading as cn
from tests.realdata import report
from tests.realdata.conftest import realdata_file, truth

LABELS: dict[str, list[str]] = truth("mofcom_sectors.toml")["labels"]
MIN_PRECISION, MIN_RECALL = 0.95, 0.65  # over all sectors (micro-averaged), as reached


def _label(name_zh: str) -> list[str] | None:
    plain = "".join(name_zh.split())
    return LABELS.get(plain, LABELS.get(plain.removeprefix("美国")))


def test_sector_tags_of_the_real_annex_entities() -> None:
    realdata_file(f"{cn.FOLDER}/{cn.files()[0]}")
    actions = {cn.action(name).key: cn.action(name) for name in cn.files()}
    taxonomy = default_taxonomy()
    counts: Counter[tuple[str, str]] = Counter()
    misses: dict[str, list[str]] = {}
    unlabelled = []
    for entity in derive_lists(actions):
        want = _label(entity.get_text("name_zh"))
        if want is None:
            unlabelled.append(entity.key)
            continue
        listing = actions.get(entity.get_text("listed_by"))
        got = set(sector_ids(classify_record(entity, taxonomy, listing)))
        who = f"{entity.list_name} {entity.name}"
        for sector in got | set(want):
            outcome = "tp" if sector in got and sector in want else "fp" if sector in got else "fn"
            counts[(sector, outcome)] += 1
            if outcome != "tp":
                misses.setdefault(sector, []).append(f"{outcome.upper()} {who}")
    assert unlabelled == []
    for sector in sorted({s for s, _ in counts}):
        report.record_sector(
            report.SectorRow(
                cn.SOURCE,
                sector,
                counts[(sector, "tp")],
                counts[(sector, "fp")],
                counts[(sector, "fn")],
                misses.get(sector, []),
            )
        )
    tp, fp, fn = (sum(n for (_, o), n in counts.items() if o == k) for k in ("tp", "fp", "fn"))
    assert tp / (tp + fp) >= MIN_PRECISION, (tp, fp, fn)
    assert tp / (tp + fn) >= MIN_RECALL, (tp, fp, fn)


def _each_cue(text: str) -> list[tuple[str, str]]:
    """Every cue's regex searched one by one: what the gated search must equal."""
    normalised = normalise(text)
    taxonomy = default_taxonomy()
    return [
        (cue.sector, match.group(0))
        for cue in taxonomy.cues
        if cue.pattern is not None and (match := cue.pattern.search(normalised))
    ]


def test_the_gated_cue_search_equals_searching_each_cue_on_the_real_texts() -> None:
    """On every text of the 19 real MOFCOM announcements and of every entity their
    annexes list (titles, bodies, reasons, names in both languages), the taxonomy's
    gated search finds exactly what searching each of its cues finds."""
    realdata_file(f"{cn.FOLDER}/{cn.files()[0]}")
    actions = {cn.action(name).key: cn.action(name) for name in cn.files()}
    records = [*actions.values(), *derive_lists(actions)]
    texts = {
        value
        for record in records
        for name in record.fields
        for value in (record.name, *record.get_tuple(name))
    }
    assert len(texts) > 400
    taxonomy = default_taxonomy()
    tagged = 0
    for text in sorted(texts):
        got = [(sector, ev.matched) for sector, ev in scan(taxonomy, "f", text)]
        assert got == _each_cue(text), text[:80]
        tagged += bool(got)
    assert tagged > 50  # the texts exercise the cues, not only the empty answer
