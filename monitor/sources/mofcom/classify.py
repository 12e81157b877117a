"""What a MOFCOM text does: its kind (``monitor.actions.ACTION_KINDS``), the notices it acts on.

文号 normalisation (the stable key): NFKC (full-width digits and brackets to
half-width), all spaces dropped, a year in Chinese numerals written in digits and a
leading 中华人民共和国 dropped (中华人民共和国商务部令二〇二五年第6号 is
商务部令2025年第6号), the year bracket written ``〔YYYY〕`` whatever bracket was used
(``[2025]``, ``【2025】``, ``（2025）``), leading zeros of the number dropped, and UEL
notices written with ``公告`` (``不可靠实体清单工作机制〔2025〕8号`` and
``不可靠实体清单工作机制公告〔2025〕8号``
are the same notice; both spellings occur on the site and in references).

State changes: a clause (text between ``，；。``) that names an earlier notice — a UEL notice
``…工作机制〔2025〕7号`` or a ``商务部公告2025年第N号`` — and carries a state verb acts on that
notice. One answer can act on several notices with different verbs (2025-08-12: continue
suspending 〔2025〕7号, stop 〔2025〕8号), so every (verb, notice) pair is kept, in text order,
as ``"<kind>:<notice key>"``; the record's kind is the first of them. Clauses without a named
notice ("正在开展的相关出口活动应当立即停止") are not state changes.

Kinds of texts without such clauses, first rule that matches wins: 反倾销 → anti_dumping;
反歧视 → anti_discrimination; 决定对…启动调查 (a UEL investigation of a named party) →
investigation; 商务部令 / 反制措施 / 反制清单 → countermeasure;
列入出口管制管控名单 → ecl_addition; 移出 a list → removal; 列入不可靠实体清单 with
"决定于<date>将…列入" and 处理措施 → uel_measure (a measure on an entity listed earlier),
otherwise uel_addition; 出口管制 of 物项 → export_control_measure; anything else → other.

Before any page is fetched, its list title decides whether it may matter (``title_matters``):
the news columns carry every kind of ministry news, and only texts about export control,
the entity lists, countermeasures, sanctions, trade remedies and investigations are read.
The cues are words every such title seen so far carries (SOURCES.md section 6b titles and
the fixture texts); a title without any is skipped, never stored, unless the title is a bare
文号 (the list then says nothing about the text).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from monitor.actions import action_key

# Longest first: "继续暂停" must win over "暂停", "取消" is read as stopping the measures.
STATE_VERBS: tuple[tuple[str, str], ...] = (
    ("继续暂停", "continued_suspension"),
    ("暂停", "suspension"),
    ("停止", "stop"),
    ("取消", "stop"),
    ("移出", "removal"),
)
_YEAR_BRACKET = re.compile(r"[\[(【〔［（]\s*(\d{4})\s*[\])】〕］）]")
_LEADING_ZERO = re.compile(r"(?<=[〕第])0+(?=\d)")
_UEL = re.compile(r"^不可靠实体清单工作机制(?!公告)(?=〔)")
_MORE = r"(?:\s*[和、及与]\s*第?\s*\d+\s*号)*"  # "5号和6号", "第13号、第21号"
_REFERENCE = re.compile(
    r"(?P<uel>不可靠实体清单工作机制(?:公告)?\s*"
    r"(?:[\[(【〔［（]\s*(?P<year>\d{4})\s*[\])】〕］）]|(?P<year2>\d{4})\s*年\s*第)\s*\d+\s*号)"
    rf"(?P<uel_more>{_MORE})"
    r"|(?P<mofcom>商务部(?:\s*海关总署)?公告\s*(?P<year3>\d{4})\s*年\s*第\s*\d+\s*号)"
    rf"(?P<mofcom_more>{_MORE})"
)
_NUMBER = re.compile(r"(\d+)\s*号")
_YEAR_FORM = re.compile(r"(?<=工作机制)(公告)?\s*(\d{4})\s*年\s*第\s*(\d+)\s*号")
_INVESTIGATION = re.compile(r"决定对.+?启动(?:不可靠实体清单)?调查")
_CLAUSE_END = re.compile(r"[，；。]")
_TERM = re.compile(r"相关措施\s*(\d+\s*(?:天|日|个月|年))")
_PAST_LISTING = re.compile(r"决定于\s*\d{4}年\d{1,2}月\d{1,2}日\s*将")


# Words of a title worth fetching. Broad on purpose: a page fetched for nothing costs one
# request, a missed countermeasure is the failure the product exists to prevent.
TITLE_CUES: tuple[str, ...] = (
    "出口管制",
    "进出口管制",
    "管控名单",
    "关注名单",
    "实体清单",  # also 不可靠实体清单
    "不可靠实体",
    "两用物项",
    "反制",
    "制裁",
    "商务部令",
    "反倾销",
    "反补贴",
    "保障措施",
    "反规避",
    "反歧视",
    "稀土",
    "管制",
)


def title_matters(title: str) -> bool:
    """Whether a list item titled ``title`` may be an act the source reads."""
    text = "".join(unicodedata.normalize("NFKC", title).split())
    if any(cue in text for cue in TITLE_CUES):
        return True
    # A title that is only a 文号 ("商务部公告2025年第21号") says nothing: read the page.
    return bool(text) and not _REFERENCE.sub("", text).strip()


# An order's year may be written in Chinese numerals (商务部令二〇二五年第6号, as the
# export-control site titles it) and under the state's name (中华人民共和国商务部令).
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CN_YEAR = re.compile(r"[〇零一二三四五六七八九]{4}(?=年)")


def normalise_instrument(raw: str) -> str:
    """The 文号 in one spelling (see the module docstring)."""
    text = "".join(unicodedata.normalize("NFKC", raw).split())
    text = _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_DIGITS), text)
    text = text.removeprefix("中华人民共和国")
    text = _YEAR_FORM.sub(r"公告〔\2〕\3号", text)
    text = _YEAR_BRACKET.sub(r"〔\1〕", text)
    text = _LEADING_ZERO.sub("", text)
    return _UEL.sub("不可靠实体清单工作机制公告", text)


def instrument_key(raw: str) -> str:
    return action_key("CN", normalise_instrument(raw))


# A 文号 in a list title: 商务部公告2025年第21号, 商务部令2025年第6号 (or 二〇二五年),
# a UEL notice.
_TITLE_NUMBER = re.compile(
    r"(?:中华人民共和国)?商务部(?:\s*海关总署)?(?:公告|令)\s*[\d〇零一二三四五六七八九]{4}\s*年\s*第\s*\d+\s*号"
    r"|不可靠实体清单工作机制(?:公告)?\s*[\[(【〔［（]\s*\d{4}\s*[\])】〕］）]\s*\d+\s*号"
)


def title_key(title: str) -> str:
    """The key of the 文号 a list title names, "" when it names none."""
    found = _TITLE_NUMBER.search(title)
    return instrument_key(found.group(0)) if found else ""


@dataclass(frozen=True)
class StateChange:
    """One verb acting on one earlier notice: ``kind`` of ACTION_KINDS, the notice's key."""

    kind: str
    target: str
    term: str  # the stated duration ("90天"), "" when none
    at: int = field(default=0, compare=False)  # where its clause starts in the text

    @property
    def code(self) -> str:
        return f"{self.kind}:{self.target}"


def state_changes(text: str, own_key: str = "") -> list[StateChange]:
    """Every (verb, earlier notice) pair in ``text``, in text order; ``own_key`` is skipped."""
    found: list[StateChange] = []
    start = 0
    for end in [m.end() for m in _CLAUSE_END.finditer(text)] + [len(text)]:
        clause, at, start = text[start:end], start, end
        refs = [key for m in _REFERENCE.finditer(clause) for key in referenced(m)]
        verb = _verb(clause)
        if verb is None:
            continue
        term = _TERM.search(clause)
        for ref in refs:
            change = StateChange(verb, ref, term.group(1) if term else "", at)
            if ref != own_key and change not in found:
                found.append(change)
    return found


def referenced(found: re.Match[str]) -> list[str]:
    """The keys one reference names: the first notice, then each "和6号" after it, written
    with the first one's family and year."""
    family = "uel" if found.group("uel") else "mofcom"
    first = normalise_instrument(found.group(family))
    keys = [action_key("CN", first)]
    head = first[: first.rindex("〕") + 1] if family == "uel" else first[: first.rindex("第") + 1]
    for number in _NUMBER.findall(found.group(f"{family}_more") or ""):
        keys.append(action_key("CN", f"{head}{int(number)}号"))
    return keys


def _verb(clause: str) -> str | None:
    for word, kind in STATE_VERBS:
        if word in clause:
            return kind
    return None


def classify(title: str, body: str, document_number: str) -> str:
    """The kind of a text that is not a state change (see the module docstring)."""
    text = f"{title}\n{body}"
    if "反倾销" in text and "调查" in text:
        return "anti_dumping"
    if "反歧视" in text and "调查" in text:
        return "anti_discrimination"
    if _INVESTIGATION.search(body) and "不可靠实体清单" in text:
        return "investigation"
    if "商务部令" in document_number or "反制措施" in text or "反制清单" in text:
        return "countermeasure"
    if "列入出口管制管控名单" in text:
        return "ecl_addition"
    if "移出" in text and "清单" in text:
        return "removal"
    if "列入不可靠实体清单" in text:
        if _PAST_LISTING.search(body) and "处理措施" in body:
            return "uel_measure"
        return "uel_addition"
    if "出口管制" in text and "物项" in text:
        return "export_control_measure"
    return "other"


def actor_of(document_number: str) -> str:
    return "UEL working mechanism" if "不可靠实体清单工作机制" in document_number else "MOFCOM"
