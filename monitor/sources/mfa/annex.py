"""A decision's 反制清单 (annex) to its listed parties: organisations and persons, with the
English name, and for a person the gender and the role or title the list gives.

Layouts of the real annexes (``../shared/realdata/mfa_texts/``):

* sections ``一、企业`` / ``一、实体`` / ``一、机构（共2家）`` and ``二、高级管理人员`` /
  ``二、机构人员（共计20人）``, entries numbered ``（一）`` under them;
* a flat list ``一、哈德逊研究所`` … ``三、哈德逊研究所董事会主席萨拉·斯特恩（Sarah May
  Stern），女``;
* one unnumbered line (``美国得克萨斯州共和党联邦众议员迈克·麦考尔（Michael McCaul），男``);
* a group line naming many people: ``（一）“维吾尔人权倡导项目”相关人员，包括执行主任穆罕默德·
  土赫提（Mehmet Tohti），政策及宣传主任…，法律顾问戴维·马塔斯（David Matas）、萨拉·泰什（Sarah
  Teich）…等，共15人`` (a role word before the first of a run of names covers the run).

An entry is ``<Chinese name>（<English name>）[，男|女][，<role>]``; brackets full- or
half-width, even mixed. The role may instead come before the name
(``哈德逊研究所所长约翰·瓦特斯``): it is split off at the last role word (主席, 所长, 主任,
…官, 议员, 顾问, 经理 …) that leaves the name whole (a transliterated name keeps its ``·``).
A person is an entry with a gender, in a persons' section, or in a group line; other entries
are left to the decision's text (``kind`` "").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

CN_NUMBERS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
_NUMERAL = "[一二三四五六七八九十百]+"
_SECTION = re.compile(
    rf"^{_NUMERAL}、\s*(企业|实体|机构|高级管理人员|机构人员|人员|个人)"
    r"\s*(?:[（(]\s*共\s*计?\s*(\d+)\s*[家人名]\s*[）)])?$"
)
_ENTRY = re.compile(rf"^(?:{_NUMERAL}、|[（(]{_NUMERAL}[）)])\s*(.+)$")
_ENGLISH = re.compile(r"\s*[（(]([^（）()]*[A-Za-z][^（）()]*)[）)]")
_GROUP = re.compile(
    r"^(?P<org>.+?)相关人员\s*[，,]\s*包括(?P<names>.+?)(?:等)?\s*[，,]?\s*共\s*(?P<n>\d+)\s*人$"
)
ROLE_WORDS = re.compile(
    r"(?:主席|所长|主任|官|议员|总裁|董事|顾问|经理|创始人|委员|部长|大使|代表|负责人|秘书长)"
)
PERSON_SECTIONS = frozenset({"高级管理人员", "机构人员", "人员", "个人"})
_HEADINGS = frozenset({"附件", "反制清单", "反制裁清单"})


@dataclass(frozen=True)
class Listed:
    """One party of an annex. ``kind`` is "organisation", "person" or "" (not stated)."""

    zh: str
    en: str
    kind: str
    role: str = ""
    gender: str = ""  # "男" | "女" | ""
    section: str = ""  # the annex section's word (企业, 高级管理人员 ...), "" when none


@dataclass(frozen=True)
class Annex:
    parties: tuple[Listed, ...]
    # Counts the annex states: (section word or group, count), e.g. ("机构人员", 20).
    stated: tuple[tuple[str, int], ...]
    problems: tuple[str, ...]


def read_annex(lines: Sequence[str]) -> Annex:
    """The parties of the annex lines (after the signature of the decision)."""
    parties: list[Listed] = []
    stated: list[tuple[str, int]] = []
    problems: list[str] = []
    section = ""
    for line in lines:
        if line in _HEADINGS:
            continue
        head = _SECTION.match(line)
        if head is not None:
            section = head.group(1)
            if head.group(2):
                stated.append((section, int(head.group(2))))
            continue
        found = _ENTRY.match(line)
        text = found.group(1) if found else line
        group = _GROUP.match(text)
        if group is not None:
            members = _group_members(group.group("org"), group.group("names"), section)
            stated.append((f"{group.group('org')}相关人员", int(group.group("n"))))
            parties.extend(members)
            continue
        party = read_entry(text, section)
        if party is None:
            problems.append(f"annex line not read: {line}")
        else:
            parties.append(party)
    return Annex(tuple(parties), tuple(stated), tuple(problems))


def read_entry(text: str, section: str = "") -> Listed | None:
    """One entry line (its numbering removed)."""
    text = text.strip().rstrip("；;。")
    english = list(_ENGLISH.finditer(text))
    if english:
        last = english[-1]
        zh, en, rest = text[: last.start()].strip(), last.group(1).strip(), text[last.end() :]
    else:
        zh, _, rest = text.partition("，")
        zh, en, rest = zh.strip(), "", "，" + rest if rest else ""
    if not zh:
        return None
    tail = [p.strip() for p in re.split(r"[，,]", rest) if p.strip()]
    gender = tail.pop(0) if tail and tail[0] in ("男", "女") else ""
    role = "，".join(tail)
    kind = "person" if gender or section in PERSON_SECTIONS else ""
    if section and section not in PERSON_SECTIONS:
        kind = "organisation"
    party = Listed(zh, en, kind, role, gender, section)
    return split_role(party) if kind == "person" and not role else party


def split_role(party: Listed) -> Listed:
    """A person written ``<role><name>``: the role split off (see the module docstring)."""
    role, name = role_prefix(party.zh)
    return replace(party, zh=name, role=role) if role else party


def role_prefix(text: str) -> tuple[str, str]:
    """(role, name) of ``<role><name>``; ("", text) when no role word leaves a whole name:
    a transliterated name keeps everything from the syllable before its first ``·``, any
    other name at least two characters."""
    limit = text.index("·") - 1 if "·" in text else len(text) - 2
    ends = [found.end() for found in ROLE_WORDS.finditer(text) if found.end() <= limit]
    if not ends:
        return "", text
    return text[: ends[-1]], text[ends[-1] :]


def _group_members(org: str, names: str, section: str) -> list[Listed]:
    """The people of a group line, each with the role word that opens its run."""
    people = []
    for segment in top_level_split(names, "，,"):
        role = ""
        for item in top_level_split(segment, "、"):
            party = read_entry(item, section or "人员")
            if party is None:
                continue
            if party.role:
                role = party.role
            people.append(replace(party, kind="person", role=f"{org}{role}" if role else org))
    return people


def top_level_split(text: str, separators: str) -> list[str]:
    """``text`` split at ``separators`` outside brackets and quotes."""
    pieces, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "（(“":
            depth += 1
        elif char in "）)”":
            depth = max(0, depth - 1)
        elif char in separators and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]
