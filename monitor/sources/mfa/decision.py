"""One MFA decision page to an action record (field table in ``monitor.actions``), with its
反制清单 read by ``mfa_annex``.

The text of a page (``mfa_pages``) is, in order: for older decisions the order
promulgating it (``中华人民共和国外交部令`` / ``第 4 号`` / ``现公布《…》，自…起施行。`` /
the minister / a date, then the decision's title again); for newer ones the line
``（2024年4月11日中华人民共和国外交部令第5号公布，自2024年4月11日起施行）``; then the
decision: the stated trigger, ``依据《中华人民共和国反外国制裁法》第…条规定，中方决定对…
采取[以下]反制措施：``, the measures, ``本决定自…起施行。``, the signature ``外交部`` over a
date; then the 反制清单. One decision (石平, 2025) has no annex: its party is the one its
title names (``关于对石平采取反制措施的决定``).

Fields beyond the common table:

* ``instrument``: ``外交部令<year>年第N号`` (the year of promulgation: the orders are
  numbered within a year, 2022's 第4号 and 2023's 第1号); a decision without an order
  number (麦考尔, 2023) has none and is keyed ``cn:<published>/<title>``;
* ``legal_basis``: each law cited with its articles (``《中华人民共和国反外国制裁法》第四条、…``);
* ``triggers``: codes of the stated trigger (``TRIGGERS``: ``arms_sale_taiwan``,
  ``us_sanctions``, ``taiwan_transit``, ``taiwan_visit``, ``statements``), ``trigger_text``
  the sentences stating it (also ``reasons``), ``trigger_dates`` dates it gives
  (``12月9日，美方…`` → ``2022-12-09``), ``trigger_by`` the country whose act it is;
* measures per group: a decision either lists measures for all its parties
  (``采取以下反制措施：一、冻结…；二、…``) or per group (``一、对…等12家…企业，冻结…。
  二、对…等10名…高级管理人员，不予签发签证…``; or ``一、对…等2家机构：`` with its measures
  under it). ``measure_groups`` says per group (``organisation``/``person``/``all``) the
  codes (``MEASURE_CODES``: ``asset_freeze``, ``transaction_ban``,
  ``transaction_restriction`` for 严格限制, ``entry_ban``, and ``executives_entry_ban`` for
  a company's executives not listed by name); ``measures`` the measure texts as written,
  ``measure_kinds`` the group of each; per party (aligned with ``parties_zh``):
  ``party_types``, ``party_roles``, ``party_genders`` (男/女/""), ``party_measures``
  (codes, "; "-joined);
* ``stated_count`` the sum of the counts the text states per group (``等12家``,
  ``共计20人``; the annex's count of a section wins over the body's), ``parsed_count`` the
  parties read.

``review`` flags: stated vs parsed count, an annex line not read, no party found, a group
of measures that no party belongs to, a measure we do not recognise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from monitor.actions import action_key, action_record
from monitor.models import FieldValue, Record
from monitor.sources.mfa.annex import Annex, Listed, read_annex, role_prefix, top_level_split
from monitor.sources.mfa.pages import DecisionPage
from monitor.sources.mofcom.entities import COUNTRIES

_COUNTRY_WORDS = {**COUNTRIES, "美方": "US", "日方": "JP", "加方": "CA"}
_COUNTRY = re.compile("|".join(map(re.escape, _COUNTRY_WORDS)))
_ORDER = re.compile(r"中华人民共和国外交部令\s*第\s*(\d+)\s*号")
_ORDER_LINE = re.compile(
    r"^[（(]\s*(\d{4})年\d{1,2}月\d{1,2}日中华人民共和国外交部令第\s*\d+\s*号公布"
)
_CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
_EFFECTIVE = re.compile(r"本决定自\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*起施行")
_INTRO = re.compile(r"决定对(?P<target>.+?)采取(?:以下)?反制(?:裁)?措施\s*[：:]?$")
_ARTICLE = "第[一二三四五六七八九十百]+条"
_LAW_TEXT = rf"《[^》]+》(?:{_ARTICLE}(?:、{_ARTICLE})*)?"
_BASIS = re.compile(rf"依据((?:{_LAW_TEXT}[、和]?)+)规定")
_LAW = re.compile(_LAW_TEXT)
_TOP_ITEM = re.compile(r"^[一二三四五六七八九十]+、\s*(.+)$")
_SUB_ITEM = re.compile(r"^[（(][一二三四五六七八九十]+[）)]\s*(.+)$")
_COUNT = re.compile(r"等\s*(\d+)\s*(家|名)")
_TITLE_TARGET = re.compile(r"^关于对(.+?)采取反制(?:裁)?措施的决定$")
_TRIGGER_DATE = re.compile(r"(?:^|[。；])\s*(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日[，,]")
TRIGGERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "arms_sale_taiwan",
        re.compile(r"向中国台湾地区(?:出售武器|提供[^。]{0,10}武器援助)|对台军售"),
    ),
    (
        "us_sanctions",
        re.compile(
            r"对[^。，]{0,10}(?:中国|中方)[^。，]{0,6}(?:实体|官员|企业|机构|个人|公司)"
            r"[^。]{0,12}制裁"
        ),
    ),
    ("taiwan_transit", re.compile(r"过境”?\s*窜美")),
    ("taiwan_visit", re.compile(r"窜访中国台湾地区")),
    ("statements", re.compile(r"言行|散布谬论")),
)
MEASURE_CODES = (
    "asset_freeze",
    "transaction_ban",
    "transaction_restriction",
    "entry_ban",
    "executives_entry_ban",
)
_GROUP_WORDS = re.compile(r"(?:企业|机构|实体|高级管理人员|管理人员|负责人|人员|个人)")


@dataclass(frozen=True)
class Group:
    """Measures for one group of parties: ``kind`` organisation | person | all."""

    kind: str
    measures: tuple[str, ...]  # as written, numbering and final ；。 removed
    stated: int | None
    # For the one group of a decision without groups: the kind its wording gives all its
    # parties (``列明的企业`` -> organisation, ``列明的个人`` -> person), "" when it says none.
    party_kind: str = ""


def action_from_page(page: DecisionPage, *, url: str) -> Record:
    """The action record of one decision page; ``url`` is its public URL."""
    lines = list(page.lines)
    signature = _signature(lines)
    text_lines = lines[:signature] if signature is not None else lines
    annex_lines = lines[signature + 2 :] if signature is not None else []
    start = _decision_start(text_lines, page.title)
    decision = text_lines[start:]
    whole = "\n".join(text_lines)
    number = _ORDER.search(whole)
    year = _order_year(text_lines) or page.published[:4]
    instrument = f"外交部令{year}年第{number.group(1)}号" if number else ""
    if instrument:
        key = action_key("CN", instrument)
    else:
        title = "".join(unicodedata.normalize("NFKC", page.title).split())
        key = action_key("CN", f"{page.published}/{title}")
    intro_at = next((i for i, line in enumerate(decision) if _intro(line)), None)
    review: list[str] = []
    if intro_at is None:
        review.append("no '中方决定对…采取反制措施' sentence: read the page")
        intro_at = len(decision)
    trigger = _trigger_text(decision[: intro_at + 1])
    country = _country(page.title, "\n".join(decision))
    groups, single = _groups(decision[intro_at:], review)
    annex = read_annex(annex_lines)
    review += annex.problems
    parties = list(annex.parties) or _title_parties(page.title, "\n".join(decision))
    parties = [_typed(p, single, groups) for p in parties]
    measures_of = {g.kind: g for g in groups}
    if single is not None:
        measures_of = {"organisation": single, "person": single}
    for group in groups:
        if not any(p.kind == group.kind for p in parties):
            review.append(f"measures for {group.kind}s but no such party in the list")
    stated = _stated(groups, single, annex)
    if stated is not None and stated != len(parties):
        review.append(f"stated {stated}, parsed {len(parties)}")
    if not parties:
        review.append("no parties found")
    fields: dict[str, FieldValue] = {
        "actor": "MFA",
        "instrument": instrument,
        "issuing_unit": "外交部",
        "published": page.published,
        "effective": _effective("\n".join(decision)) or _effective(whole),
        "announced": "",
        "url": url,
        "urls": (url,),
        "parties_en": tuple(p.en for p in parties),
        "parties_zh": tuple(p.zh for p in parties),
        "party_countries": tuple(country for _ in parties),
        "party_types": tuple(p.kind for p in parties),
        "party_roles": tuple(p.role for p in parties),
        "party_genders": tuple(p.gender for p in parties),
        "party_measures": tuple(_codes_of(measures_of.get(p.kind)) for p in parties),
        "refers_to": (),
        "verbs": (),
        "reasons": (trigger,) if trigger else (),
        "triggers": tuple(code for code, rx in TRIGGERS if rx.search(trigger)),
        "trigger_text": trigger,
        "trigger_dates": _trigger_dates(trigger, page.published),
        "trigger_by": _country("", trigger) if trigger else "",
        "legal_basis": _legal_basis("\n".join(decision)),
        "stated_count": "" if stated is None else str(stated),
        "parsed_count": str(len(parties)),
        "measures": tuple(m for g in (single, *groups) if g for m in g.measures),
        "measure_kinds": tuple(g.kind for g in (single, *groups) if g for _ in g.measures),
        "measure_groups": tuple(
            f"{g.kind}: {_codes_of(g)}" for g in (single, *groups) if g is not None
        ),
        "review": tuple(review),
        "body": "\n".join(decision),
    }
    meta = {
        "instrument_as_published": f"中华人民共和国外交部令第{number.group(1)}号" if number else ""
    }
    if page.published_time:
        meta["published_time"] = page.published_time
    return action_record(
        key=key, kind="countermeasure", jurisdiction="CN", title=page.title, fields=fields,
        meta=meta,
    )  # fmt: skip


def _signature(lines: Sequence[str]) -> int | None:
    """Index of the signature ``外交部`` (over a date line) that closes the decision."""
    found = [
        i for i in range(len(lines) - 1) if lines[i] == "外交部" and _DATE_LINE.match(lines[i + 1])
    ]
    return found[-1] if found else None


def _decision_start(lines: Sequence[str], title: str) -> int:
    """Where the decision begins: after its title repeated under a promulgating order, or
    after the order line; else at the first line."""
    repeated = [i for i, line in enumerate(lines) if line == title]
    if repeated:
        return repeated[-1] + 1
    order = [i for i, line in enumerate(lines) if _ORDER_LINE.match(line)]
    return order[0] + 1 if order else 0


def _order_year(lines: Sequence[str]) -> str:
    for line in lines:
        found = _ORDER_LINE.match(line)
        if found:
            return found.group(1)
    return ""


def _intro(line: str) -> bool:
    return bool(_INTRO.search(line.split("依据")[-1]))


def _trigger_text(lines: Sequence[str]) -> str:
    """The sentences before the legal basis (the stated trigger), "" when none."""
    text = "".join(lines)
    return text.split("依据")[0].strip() if "依据" in text else ""


def _country(title: str, text: str) -> str:
    for where in (title, text):
        found = _COUNTRY.search(where)
        if found:
            return _COUNTRY_WORDS[found.group(0)]
    return ""


def _groups(lines: Sequence[str], review: list[str]) -> tuple[list[Group], Group | None]:
    """(per-group measures, the measures of all parties) from the intro line on."""
    intro = _INTRO.search(lines[0].split("依据")[-1]) if lines else None
    items: list[tuple[str, list[str]]] = []
    for line in lines[1:]:
        if line.startswith("本决定自"):
            break
        top = _TOP_ITEM.match(line)
        if top is not None:
            items.append((top.group(1), []))
        elif items:
            sub = _SUB_ITEM.match(line)
            items[-1][1].append(sub.group(1) if sub else line)
    groups: list[Group] = []
    plain: list[str] = []
    for head, subs in items:
        split = _group_head(head)
        if split is None:
            plain.append(_measure(head))
            continue
        description, rest = split
        texts = [_measure(m) for m in (*top_level_split(rest, "；;"), *subs) if _measure(m)]
        groups.append(Group(_group_kind(description), tuple(texts), _count(description)))
    for group in (*groups, Group("all", tuple(plain), None)):
        for text in group.measures:
            if not _codes([text]):
                review.append(f"measure not recognised: {text}")
    if groups:
        if plain:
            review.append("measures outside any group: " + "; ".join(plain))
        return groups, None
    target = intro.group("target") if intro else ""
    kind = _group_kind(target) if _GROUP_WORDS.search(target) else ""
    return [], Group("all", tuple(plain), _count(target), kind)


def _group_head(item: str) -> tuple[str, str] | None:
    """(group description, measures on the same line) of ``对<group>，<measures>`` or
    ``对<group>：``; None for a plain measure (``对其本人不予签发签证…`` has no separator)."""
    if not item.startswith("对"):
        return None
    if item.rstrip().endswith(("：", ":")):
        return item.rstrip().rstrip("：:"), ""
    pieces = top_level_split(item, "，,")
    if len(pieces) < 2:
        return None
    return pieces[0], item[len(pieces[0]) + 1 :].lstrip("，, ")


def _group_kind(description: str) -> str:
    words = _GROUP_WORDS.findall(description)
    if not words:
        return "organisation"
    return "person" if words[-1] not in ("企业", "机构", "实体") else "organisation"


def _count(description: str) -> int | None:
    found = _COUNT.search(description)
    return int(found.group(1)) if found else None


def _measure(text: str) -> str:
    return text.strip().rstrip("；;。").strip()


def _codes(texts: Sequence[str]) -> tuple[str, ...]:
    codes: list[str] = []
    for text in texts:
        if "冻结" in text:
            codes.append("asset_freeze")
        if "交易" in text:
            codes.append("transaction_ban" if "禁止" in text else "transaction_restriction")
        if "不予签发签证" in text or "不准入境" in text:
            executives = "高级管理人员" in text and text.startswith("对")
            codes.append("executives_entry_ban" if executives else "entry_ban")
    return tuple(c for c in MEASURE_CODES if c in codes)


def _codes_of(group: Group | None) -> str:
    return "; ".join(_codes(group.measures)) if group else ""


def _typed(party: Listed, single: Group | None, groups: Sequence[Group]) -> Listed:
    """The party with its kind settled: the annex's word, else the group's, else a person when
    the measures are personal (``其本人``) or its line carries a role word."""
    kind = party.kind
    if not kind and single is not None:
        kind = single.party_kind
    if not kind and single is not None:
        personal = any("其本人" in m for m in single.measures)
        kind = "person" if personal else "organisation"
    if not kind:
        kinds = {g.kind for g in groups}
        kind = "organisation" if "organisation" in kinds else "person"
    party = replace(party, kind=kind)
    if kind == "person" and not party.role:
        role, name = role_prefix(party.zh)
        party = replace(party, zh=name, role=role) if role else party
    return party


def _title_parties(title: str, text: str) -> list[Listed]:
    """The parties a title names when there is no annex (``关于对石平采取反制措施的决定``), each
    with the role the text puts before its first mention (``日本参议员石平``)."""
    found = _TITLE_TARGET.match(title)
    if found is None or _GROUP_WORDS.search(found.group(1)):
        return []
    parties = []
    for name in top_level_split(found.group(1), "、"):
        before = re.search(rf"([^，。、；“”\n]{{2,40}}){re.escape(name)}", text)
        role, _ = role_prefix(before.group(1) + name) if before else ("", name)
        parties.append(Listed(name, "", "", role))
    return parties


def _stated(groups: Sequence[Group], single: Group | None, annex: Annex) -> int | None:
    """The sum of the stated counts per group; the annex's section count wins over the body."""
    sections = {word: n for word, n in annex.stated if not word.endswith("相关人员")}
    by_kind: dict[str, int] = {}
    for word, n in sections.items():
        kind = "person" if "人员" in word or word == "个人" else "organisation"
        by_kind[kind] = by_kind.get(kind, 0) + n
    for group in (*groups, *((single,) if single else ())):
        if group.stated is not None and group.kind not in by_kind:
            by_kind[group.kind] = group.stated
    if not by_kind:
        return None
    return sum(by_kind.values())


def _effective(text: str) -> str:
    found = _EFFECTIVE.search(text)
    if found is None:
        return ""
    year, month, day = (int(g) for g in found.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _legal_basis(text: str) -> tuple[str, ...]:
    found = _BASIS.search(text)
    return tuple(_LAW.findall(found.group(1))) if found else ()


def _trigger_dates(text: str, published: str) -> tuple[str, ...]:
    """Dates a trigger states at the head of a sentence; a date without a year is in the
    year of the decision, or the year before when that would fall after it."""
    dates = []
    for found in _TRIGGER_DATE.finditer(text):
        year = int(found.group(1) or published[:4])
        month, day = int(found.group(2)), int(found.group(3))
        iso = f"{year:04d}-{month:02d}-{day:02d}"
        if not found.group(1) and iso > published:
            iso = f"{year - 1:04d}-{month:02d}-{day:02d}"
        dates.append(iso)
    return tuple(dates)
