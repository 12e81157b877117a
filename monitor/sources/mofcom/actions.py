"""A parsed MOFCOM page as an action record (field table in ``monitor.actions``).

Keys: ``action_key("CN", normalised 文号)`` for policy releases; news pages have no 文号, so
they are keyed ``cn:<published date>/<title>`` (title NFKC-folded, spaces dropped): the same
answer republished under another URL keeps its key, and a corrected title is a new answer.

Fields beyond the common table: ``issuing_unit`` (【发布单位】, or 来源 on news pages),
``parsed_count`` (numbered entries found), ``measures`` (the items of the first list the text
introduces with "…措施：" or "…如下：", at whatever level it is numbered: ``一、`` or ``（一）``
under a ``一、`` paragraph; or the one unnumbered line after "…措施：" of a UEL measure; the
items of a later list, such as 〔2024〕1号's advice about a firm it does not list, are not
measures), ``verbs`` (``"<kind>:<notice key>"`` per state
change, see ``mofcom_classify``) with ``verb_terms`` (its stated duration, aligned),
``party_parents`` (only when an annex has sub-entities: the numbered entry each party belongs
to), and the investigation fields of ``mofcom_trade``. ``review`` flags: stated vs parsed count
("stated 28, parsed 27"), annex numbering gaps, no parties on a listing, an unclassified text,
a trade-remedy number to verify, and copies of one 文号 that differ.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from monitor.actions import action_key, action_record
from monitor.models import FieldValue, Record
from monitor.sources.mofcom.article import Article
from monitor.sources.mofcom.classify import (
    StateChange,
    actor_of,
    classify,
    normalise_instrument,
    state_changes,
)
from monitor.sources.mofcom.entities import (
    Parties,
    annex_parties,
    inline_parties,
    investigated_parties,
    stated_count,
    stated_country,
)
from monitor.sources.mofcom.options import SITE_ORIGINS
from monitor.sources.mofcom.trade import (
    anti_discrimination_fields,
    anti_dumping_fields,
    iso,
    named_producers,
)

LISTING_KINDS = frozenset(
    {"ecl_addition", "uel_addition", "uel_measure", "countermeasure", "removal"}
)
# Kinds whose text names its parties and states measures (an investigation: its procedure).
PARTY_KINDS = LISTING_KINDS | {"investigation"}
TRADE_REMEDY_FLAG = (
    "trade-remedy 文号 may be numbered apart from the general 商务部公告 series: "
    "verify the number on the page before citing it"
)
_EFFECTIVE = re.compile(r"自\s*(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2})时(\d{1,2})分)?\s*起")
_ORDINAL = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])\s*(.+?)[；;。]?$"
)
_INTRO = re.compile(r"(?:措施|如下)\s*[:：]$")
_REASON = re.compile(
    r"(为(?:维护|落实)[^。；]*?)(?=，(?:根据|决定|不可靠实体清单工作机制|自))"
    r"|(?<=决定将)(参与[^，。；的]{2,30})的"  # 参与对台湾地区军售的…, 参与提升日本军事实力的…
    r"|(?<=等)(参与[^，。；的]{2,30})的"
)
# Fields that must agree between two copies of one announcement.
_COMPARED = ("kind", "title", "published", "effective", "parties_en", "parties_zh", "verbs")


def action_from_article(article: Article, *, url: str) -> Record:
    """The action record of one page; ``url`` is its public-origin URL."""
    text = "\n".join(article.body)
    if article.layout == "policy":
        instrument = normalise_instrument(article.document_number)
    else:
        instrument = (
            f"{article.published}/{''.join(unicodedata.normalize('NFKC', article.title).split())}"
        )
    key = action_key("CN", instrument)
    changes = state_changes(text, own_key=key)
    kind = changes[0].kind if changes else classify(article.title, text, article.document_number)
    country = stated_country([article.title, text])
    parties = _parties(kind, article, text, country)
    stated = stated_count([article.title, text])
    fields: dict[str, FieldValue] = {
        "actor": actor_of(article.document_number),
        "instrument": instrument,
        "issuing_unit": article.issuing_unit,
        "published": article.published,
        "effective": _effective(text, article.published, changes),
        "announced": "",
        "url": url,
        "urls": (url,),
        "parties_en": tuple(p.en for p in parties.parties),
        "parties_zh": tuple(p.zh for p in parties.parties),
        "party_countries": tuple(p.country for p in parties.parties),
        "refers_to": tuple(dict.fromkeys(c.target for c in changes)),
        "verbs": tuple(c.code for c in changes),
        "verb_terms": tuple(c.term for c in changes),
        "reasons": tuple(
            dict.fromkeys(next(g for g in m.groups() if g) for m in _REASON.finditer(text))
        ),
        "stated_count": "" if stated is None else str(stated),
        "parsed_count": str(parties.numbered),
        "measures": _measures(article.body) if kind in PARTY_KINDS else (),
        "review": _review(kind, stated, parties),
        "body": text,
        **_extra(kind, article, text, parties),
    }
    meta = {"instrument_as_published": article.document_number, "layout": article.layout}
    if article.published_time:
        meta["published_time"] = article.published_time
    return action_record(
        key=key, kind=kind, jurisdiction="CN", title=article.title, fields=fields, meta=meta
    )


def _parties(kind: str, article: Article, text: str, country: str) -> Parties:
    if kind == "anti_dumping":
        producers = named_producers(text, country)
        return Parties(producers, len(producers), ())
    if kind == "investigation":
        return investigated_parties(text, country)
    if kind not in LISTING_KINDS:
        return Parties((), 0, ())
    annex = annex_parties(article.annex, country)
    return annex if annex.numbered else inline_parties(text, country)


def _review(kind: str, stated: int | None, parties: Parties) -> tuple[str, ...]:
    flags = list(parties.problems)
    if kind in LISTING_KINDS:
        if stated is not None and stated != parties.numbered:
            flags.append(f"stated {stated}, parsed {parties.numbered}")
        elif stated is None and not parties.parties:
            flags.append("no parties found")
    if kind == "anti_dumping":
        flags.append(TRADE_REMEDY_FLAG)
    if kind == "other":
        flags.append("not classified: read the page")
    return tuple(flags)


def _extra(kind: str, article: Article, text: str, parties: Parties) -> dict[str, FieldValue]:
    extra: dict[str, FieldValue] = {}
    if any(p.parent for p in parties.parties):
        extra["party_parents"] = tuple(p.parent for p in parties.parties)
    if kind == "anti_dumping":
        extra.update(anti_dumping_fields(text))
    if kind == "anti_discrimination":
        extra.update(anti_discrimination_fields(article.body))
    return extra


def _effective(text: str, published: str, changes: Sequence[StateChange]) -> str:
    """ "自…起" closest before the first state change (or the first one); 公布之日 = published."""
    limit = changes[0].at if changes else len(text)
    found = [m for m in _EFFECTIVE.finditer(text) if m.start() < limit]
    if found:
        year, month, day, hour, minute = found[-1 if changes else 0].groups()
        date = iso(year, month, day)
        return f"{date}T{int(hour):02d}:{int(minute):02d}" if hour else date
    return published if "自公布之日起" in text else ""


def _measures(body: Sequence[str]) -> tuple[str, ...]:
    """The items after the first line that introduces a list (see the module docstring)."""
    start = next((i + 1 for i, line in enumerate(body) if _INTRO.search(line)), None)
    if start is None:
        return ()
    items: list[str] = []
    level = ""
    for line in body[start:]:
        found = _ORDINAL.match(line)
        mark = "(" if line[:1] in "（(" else "、"
        if found is None or (level and mark != level):
            break  # the list ends, or a paragraph of the outer level begins
        level = mark
        items.append(found.group(1))
    if items or start >= len(body) or "措施" not in body[start - 1]:
        return tuple(items)
    return (body[start].rstrip("；;。"),)  # one unnumbered measure (〔2025〕6号)


def merge_copies(records: Iterable[Record], known: Mapping[str, Sequence[str]]) -> list[Record]:
    """One record per key: the preferred copy's fields, every URL, a flag where copies differ."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.key, []).append(record)
    return [_merge(copies, known.get(key, ())) for key, copies in groups.items()]


def _merge(copies: list[Record], known: Sequence[str]) -> Record:
    copies.sort(key=lambda r: preference(r.get_text("url")))
    first = copies[0]
    urls = sorted({*known, *(r.get_text("url") for r in copies)}, key=preference)
    flags = list(first.get_tuple("review"))
    for other in copies[1:]:
        differ = [f for f in _COMPARED if other.fields.get(f) != first.fields.get(f)]
        if differ:
            flags.append(f"copy at {other.get_text('url')} differs in {', '.join(differ)}")
    fields = {**first.fields, "url": urls[0], "urls": tuple(urls), "review": tuple(flags)}
    return Record(first.key, first.list_name, first.name, first.country, fields, first.meta)


def preference(url: str) -> tuple[int, str]:
    """Policy-release URLs first, then other www pages, then the other hosts."""
    if url.startswith(SITE_ORIGINS["www"] + "/zwgk/zcfb/"):
        return (0, url)
    return (1 if url.startswith(SITE_ORIGINS["www"]) else 2, url)
