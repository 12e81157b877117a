"""Named parties of a MOFCOM text: annex lines, names inline in prose, stated counts, countries.

Annex lines: ``1. 通用动力公司（General Dynamics）``, ``1、…``, ``10.急速飞行公司（…）`` (no space),
brackets full- or half-width and even mixed (``…实验室（Lockheed Martin Missile System
Integration Lab)``). The English name is the last bracketed group when it holds no Chinese;
a bracket holding Chinese (``（香港）``) stays part of the Chinese name. Lines starting with a
dash (``-TechInsights Japan KK``) are sub-entities (branches) of the numbered entry above; they
are parties too, but the count a text states counts numbered entries only. An entry written
``TechInsights公司（TechInsights Inc.）及其分支机构`` is the company itself: the suffix is
dropped (so the name keeps its English and its key is the company's), and the branches name it
as their parent. One entity named twice in one annex is one party.

Inline names: ``决定[于<date>]将[reason的]A公司（A Corp）、B公司（B Inc.）
和C公司（C Co.）[等N家实体]列入…`` (the ``于<date>`` form is a measure on an
entity listed that day: 〔2025〕6号 names Illumina so). Names are split at
``和``/``及`` right after a closing bracket, never inside one (``吉布斯和考克斯
公司`` is one name), and at ``、`` only between separate entities: after a
closing bracket, or after a piece that is itself an organisation's name
(``美国PVH集团、因美纳公司（…）``); ``波音防务、空间与安全集团（Boeing Defense,
Space & Security）`` is one company.
An investigation names its party as ``决定对<name>针对…启动调查``.

A stated count ("28家美国实体") that differs from the parsed count is reported for review,
never reconciled by dropping or inventing names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.sources.mofcom.text import clean

COUNTRIES = {
    "美国": "US",
    "台湾地区": "TW",
    "日本": "JP",
    "英国": "GB",
    "加拿大": "CA",
    "德国": "DE",
    "法国": "FR",
    "韩国": "KR",
    "印度": "IN",
    "澳大利亚": "AU",
}
_COUNTRY_WORDS = "|".join(COUNTRIES)
_NUMBERED = re.compile(r"^(\d{1,3})\s*[.、．]\s*(\S.*)$")
_SUB_ENTITY = re.compile(r"^[-－—–]\s*(\S.*)$")
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_STATED = re.compile(
    rf"(\d+|[一二两三四五六七八九十]{{1,3}})\s*家\s*({_COUNTRY_WORDS})?\s*(?:实体|企业)"
)
_HAN = re.compile(r"[\u3400-\u9fff]")
_INLINE = re.compile(
    r"决定(?:于\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*)?将(.+?)列入(?:不可靠实体清单|出口管制管控名单)"
)
_INVESTIGATED = re.compile(r"决定对(.+?)(?:针对|就|涉嫌)[^。]*?启动(?:不可靠实体清单)?调查")
_BRANCHES = re.compile(r"\s*及其(?:分支机构|子公司|附属机构)$")
# A piece before "、" that ends so is an organisation's name, hence a separate entity.
_ORG_END = re.compile(
    r"(?:公司|集团|企业|株式会社|大学|学院|研究院|研究所|研究中心|实验室|机构|联盟|协会|基金会|中心)$"
)
_INLINE_TAIL = re.compile(r"等\s*\d+\s*家.*$")
_OPEN, _CLOSE = "（(", "）)"


@dataclass(frozen=True)
class Party:
    zh: str
    en: str
    country: str
    parent: str = ""  # for a sub-entity: the name of its numbered entry


@dataclass(frozen=True)
class Parties:
    parties: tuple[Party, ...]
    numbered: int  # entries a stated count is compared with
    problems: tuple[str, ...]


def split_name(text: str) -> tuple[str, str]:
    """(Chinese name, English name) of one entry; either may be ""."""
    text = clean(text).rstrip("；;，,。")
    if not text or text[-1] not in _CLOSE:
        return (text, "") if _HAN.search(text) else ("", text)
    depth = 0
    for at in range(len(text) - 1, -1, -1):
        depth += text[at] in _CLOSE
        depth -= text[at] in _OPEN
        if depth == 0:
            inner = text[at + 1 : -1].strip()
            if _HAN.search(inner) or not inner:
                return text, ""
            return text[:at].strip(), inner
    return text, ""  # unbalanced: keep it whole rather than guess


def annex_parties(lines: Sequence[str], country: str) -> Parties:
    """Entities of the annex: from the first numbered line to the first line of anything else."""
    parties: list[Party] = []
    numbers: list[int] = []
    for line in lines:
        numbered, sub = _NUMBERED.match(line), _SUB_ENTITY.match(line)
        if numbered:
            numbers.append(int(numbered.group(1)))
            zh, en = split_name(_BRANCHES.sub("", clean(numbered.group(2)).rstrip("；;，,。")))
            _add(parties, Party(zh, en, _country(zh, country)))
        elif sub and parties:
            parent = next(p for p in reversed(parties) if not p.parent)
            zh, en = split_name(sub.group(1))
            _add(parties, Party(zh, en, parent.country, parent.en or parent.zh))
        elif numbers:
            break
    return Parties(tuple(parties), len(numbers), _numbering_problems(numbers))


def _add(parties: list[Party], party: Party) -> None:
    """Append unless the same entity (by English, else Chinese name) is already there."""
    same = (party.en or party.zh).casefold()
    if all((p.en or p.zh).casefold() != same for p in parties):
        parties.append(party)


def investigated_parties(body: str, country: str) -> Parties:
    """The party an investigation is opened against (``决定对美国PVH集团针对…启动调查``)."""
    found = _INVESTIGATED.search(body)
    if found is None:
        return Parties((), 0, ())
    parties: list[Party] = []
    for piece in _split_top_level(found.group(1)):
        zh, en = split_name(piece)
        if zh or en:
            _add(parties, Party(zh, en, _country(zh, country)))
    return Parties(tuple(parties), len(parties), ())


def inline_parties(body: str, country: str) -> Parties:
    """Entities named in the decision sentence (texts without an annex)."""
    found = _INLINE.search(body)
    if found is None:
        return Parties((), 0, ())
    names = _INLINE_TAIL.sub("", found.group(1))
    parties = []
    for piece in _split_top_level(names):
        zh, en = split_name(_strip_reason(piece))
        if zh or en:
            parties.append(Party(zh, en, _country(zh, country)))
    return Parties(tuple(parties), len(parties), ())


def stated_count(texts: Iterable[str]) -> int | None:
    """The first "N家…实体/企业" count in the title, then the text."""
    for text in texts:
        found = _STATED.search(text)
        if found:
            return _number(found.group(1))
    return None


def _number(text: str) -> int:
    """ "28" or a Chinese numeral up to 九十九 ("三", "两", "十二")."""
    if text.isdigit():
        return int(text)
    tens, _, units = text.rpartition("十")
    if "十" not in text:
        return _CN_DIGITS[text]
    return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(units, 0)


def stated_country(texts: Iterable[str]) -> str:
    """ISO-2 from "N家美国实体" (or, failing that, the one country word of the title)."""
    texts = list(texts)
    for text in texts:
        found = _STATED.search(text)
        if found and found.group(2):
            return COUNTRIES[found.group(2)]
    named = {code for word, code in COUNTRIES.items() if texts and word in texts[0]}
    return named.pop() if len(named) == 1 else ""


def _country(zh: str, default: str) -> str:
    """A name that starts with a country ("美国PVH集团") says so itself."""
    for word, code in COUNTRIES.items():
        if zh.startswith(word):
            return code
    return default


def _split_top_level(text: str) -> list[str]:
    pieces: list[str] = []
    depth, current = 0, ""
    for char in text:
        depth += (char in _OPEN) - (char in _CLOSE)
        after_close = current.rstrip().endswith(tuple(_CLOSE))
        after_name = after_close or _ORG_END.search(current.rstrip()) is not None
        if depth == 0 and ((char == "、" and after_name) or (char in "和及" and after_close)):
            pieces.append(current)
            current = ""
            continue
        current += char
    return [p.strip() for p in [*pieces, current] if p.strip()]


def _strip_reason(piece: str) -> str:
    """ "参与对台湾地区军售的洛克希德…" → "洛克希德…" (only outside brackets)."""
    head = re.split(r"[（(]", piece, maxsplit=1)[0]
    return piece[head.rfind("的") + 1 :] if "的" in head else piece


def _numbering_problems(numbers: Sequence[int]) -> tuple[str, ...]:
    expected = list(range(1, len(numbers) + 1))
    if numbers == expected:
        return ()
    return (f"annex numbering is not 1..{len(numbers)}: {', '.join(map(str, numbers))}",)
