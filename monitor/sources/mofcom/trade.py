"""Fields of trade investigations (anti-dumping, anti-discrimination), read by their labels.

MOFCOM investigation notices state their facts in fixed phrases: ``倾销调查期为…至…``,
``产业损害调查期为…至…``, ``被调查产品名称：…``, the tariff line under
``《中华人民共和国进出口税则》：85423990``, the petitioner as ``收到X代表国内…产业…提交的…申请``,
the end as ``应于…前结束``, and (anti-discrimination) the legal basis as ``根据《…法》第…条``
with the foreign measures as numbered lines. A phrase that is absent leaves its field empty;
the record's kind does not depend on these fields.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from monitor.errors import ShapeError
from monitor.models import FieldValue
from monitor.sources.mofcom.entities import Party, split_name
from monitor.sources.mofcom.options import NAME

_DATE = r"(\d{4})年(\d{1,2})月(\d{1,2})日"
_PERIODS = {
    "dumping_period": re.compile(rf"倾销调查期为{_DATE}至{_DATE}"),
    "injury_period": re.compile(rf"损害调查期为{_DATE}至{_DATE}"),
}
_PRODUCT = re.compile(r"被调查产品名称\s*[:：]\s*([^。；\n]+)")
_TARIFF = re.compile(r"税则[^0-9\n]{0,12}((?:\d{8}[、，,和\s]*)+)")
_HS = re.compile(r"\d{8}")
_PETITIONER = re.compile(rf"{_DATE}，?商务部收到(.+?)代表国内")
_END = re.compile(rf"应(?:于|在){_DATE}前结束")
_PRODUCERS = re.compile(r"生产(?:商|者)[^：:\n]{0,10}[:：]\s*([^。\n]+)")
_BASIS = re.compile(r"根据(《[^》]+》(?:第[^，。《]*?条)?(?:、第[^，。《]*?条)*)")
_NUMBERED = re.compile(r"^\d{1,3}\s*[.、．]\s*(\S.*?)[；;。]?$")


def iso(year: str, month: str, day: str) -> str:
    """An ISO date from 年/月/日 digits; an impossible date (2月30日) is a ShapeError,
    never a string that sorts as if it were real (the pipeline adds the URL)."""
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError as exc:
        raise ShapeError(f"impossible date {year}年{month}月{day}日", source=NAME) from exc


def anti_dumping_fields(text: str) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    for name, pattern in _PERIODS.items():
        found = pattern.search(text)
        groups = found.groups() if found else ()
        fields[name] = f"{iso(*groups[:3])}/{iso(*groups[3:])}" if groups else ""
    product = _PRODUCT.search(text)
    fields["products"] = (product.group(1).strip(),) if product else ()
    tariff = _TARIFF.search(text)
    fields["hs_codes"] = tuple(_HS.findall(tariff.group(1))) if tariff else ()
    petition = _PETITIONER.search(text)
    fields["petitioner"] = petition.group(4).strip() if petition else ""
    fields["petition_filed"] = iso(*petition.groups()[:3]) if petition else ""
    end = _END.search(text)
    fields["investigation_end"] = iso(*end.groups()) if end else ""
    return fields


def named_producers(text: str, country: str) -> tuple[Party, ...]:
    found = _PRODUCERS.search(text)
    if found is None:
        return ()
    names = (split_name(name) for name in re.split(r"[、，,]", found.group(1)))
    return tuple(Party(zh, en, country) for zh, en in names if zh or en)


def anti_discrimination_fields(lines: Sequence[str]) -> dict[str, FieldValue]:
    text = "\n".join(lines)
    basis = _BASIS.search(text)
    measures = (m.group(1) for m in map(_NUMBERED.match, lines) if m)
    return {
        "legal_basis": basis.group(1) if basis else "",
        "measures_investigated": tuple(measures),
    }
