"""Actions: government acts (a Federal Register rule, a MOFCOM announcement) kept as records.

An action is stored as a ``Record`` whose ``list_name`` is ``"action"``, so it is
versioned, diffed ("a new rule was published", "an announcement's text changed")
and searched like any list entry. This module fixes its key and field names, so
the sources that write actions and the code that reads them (attribution,
sector tags, countermeasure links, digests) agree. Pure: no I/O.

Fields of an action record (absent multi-valued fields are empty tuples):

==================  ===================================================================
field               meaning
==================  ===================================================================
kind                one of ``ACTION_KINDS``
jurisdiction        ISO-2 of the acting government (``US``, ``CN``); also ``Record.country``
actor               e.g. ``BIS``, ``MOFCOM``, ``UEL working mechanism``
instrument          the citable number: ``90 FR 4617`` or ``商务部公告2025年第1号``
title               as published (also ``Record.name``)
published           ISO date of publication (the FR issue date, 发文日期)
effective           ISO date (or date-time) it takes effect, when stated; else ""
announced           ISO date it was first made public, when earlier (FR public inspection)
url / urls          the canonical page / every URL it was seen under
parties_en          named parties, English names ("" where only Chinese is given)
parties_zh          named parties, Chinese names, index-aligned with parties_en
party_countries     ISO-2 per party, index-aligned ("" when not stated)
refers_to           keys of earlier actions this one acts on (suspends, continues, stops)
reasons             stated reasons (FR preamble per group; MOFCOM body sentence)
stated_count        the count the text states (e.g. "28"), "" when none
review              flags for a human: e.g. "stated 28 entities, parsed 27"
body                operative text (prose kept to what a reader or a linker needs)
==================  ===================================================================

Sources may add their own fields (``document_number``, ``volume``, ``start_page``,
``end_page``, ``country_counts``, ``hs_codes``, ``products`` ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from monitor.models import FieldValue, Record

ACTION_LIST: Final = "action"

ACTION_KINDS: Final = (
    "entity_list_rule",  # a BIS rule adding, revising or removing Entity List entries
    "end_user_rule",  # another BIS end-user rule (e.g. the Affiliates rule)
    "public_inspection",  # an FR document on public inspection, not yet published
    "ecl_addition",  # MOFCOM export control control list (出口管制管控名单) additions
    "uel_addition",  # unreliable entity list (不可靠实体清单) additions
    "uel_measure",  # a measure on an already listed entity (e.g. the Illumina export ban)
    "suspension",  # measures suspended (暂停)
    "continued_suspension",  # suspension continued (继续暂停)
    "stop",  # measures stopped (停止)
    "removal",  # removed from a list (移出)
    "countermeasure",  # countermeasure order (反制措施, 商务部令)
    "anti_dumping",  # anti-dumping or other trade-remedy investigation
    "anti_discrimination",  # anti-discrimination investigation
    "investigation",  # an investigation opened against a named party (UEL 启动调查)
    "export_control_measure",  # export controls on items (rare earths, ...)
    "other",
)


def action_key(jurisdiction: str, instrument_id: str) -> str:
    """The stable key of an action: ``us:2025-00704`` or ``cn:商务部公告2025年第1号``.

    ``instrument_id`` is the FR document number or the normalised 文号, never a URL
    (the same announcement is published under several URLs).
    """
    return f"{jurisdiction.lower()}:{instrument_id.strip()}"


def action_record(
    *,
    key: str,
    kind: str,
    jurisdiction: str,
    title: str,
    fields: Mapping[str, FieldValue],
    meta: Mapping[str, str] | None = None,
) -> Record:
    """Build an action record; ``fields`` holds everything but kind, jurisdiction, title."""
    if kind not in ACTION_KINDS:
        raise ValueError(f"unknown action kind {kind!r}")
    return Record(
        key=key,
        list_name=ACTION_LIST,
        name=title,
        country=jurisdiction.upper(),
        fields={**fields, "kind": kind, "jurisdiction": jurisdiction.upper(), "title": title},
        meta=dict(meta or {}),
    )


def is_action(record: Record) -> bool:
    return record.list_name == ACTION_LIST
