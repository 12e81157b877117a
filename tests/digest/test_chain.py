"""The chain in one line (monitor.digest.chain): the subject and the top of every digest."""

from __future__ import annotations

from typing import Any

from monitor.digest.chain import chain_line, subject_line
from monitor.models import RecordDict
from tests.digest.support import event

TRIGGER = event(
    "us:el-additions:2025-09-12", jurisdiction="US", kind="el_additions", derived=True,
    members=[f"us_csl_entity_list:e{i}" for i in range(11)],
    sector_counts={"semiconductors": 9, "aerospace": 1, "industrial_software": 1},
)  # fmt: skip


def link(response: dict[str, Any], days: int, trigger: dict[str, Any] = TRIGGER) -> Any:
    return {"trigger": trigger, "response": response, "days": days, "score": 0.9, "evidence": []}


def act(key: str, actor: str) -> RecordDict:
    return RecordDict(key=key, list="action", name=key, country="CN", fields={"actor": actor},
                      meta={})  # fmt: skip


AD = event("cn:27", jurisdiction="CN", kind="anti_dumping")
ADI = event("cn:50", jurisdiction="CN", kind="anti_discrimination")
MFA = event("cn:mfa-1", jurisdiction="CN", kind="countermeasure")


def test_two_answers_of_one_actor_on_the_same_day() -> None:
    line = chain_line([link(AD, 1), link(ADI, 1)], {})
    assert line == "BIS +11 (9 semiconductors) → MOFCOM anti-dumping + anti-discrimination next day"
    assert subject_line(line) == line.replace("→", "->") and subject_line(line).isascii()


def test_answers_of_two_actors_and_days_apart_are_each_named() -> None:
    actions = {"cn:mfa-1": act("cn:mfa-1", "MFA"), "cn:27": act("cn:27", "商务部")}
    line = chain_line([link(MFA, 3), link(AD, 1), link(ADI, 5)], actions)
    # 商务部 is not ASCII: the actor falls back to the jurisdiction's (MOFCOM for CN).
    assert line == (
        "BIS +11 (9 semiconductors) → MOFCOM anti-dumping + anti-discrimination 1 to 5 days"
        " later, MFA countermeasure 3 days later"
    )


def test_a_rule_without_members_is_named_by_its_kind() -> None:
    rule = event("us:2025-00704", jurisdiction="US", kind="entity_list_rule")
    line = chain_line([link(AD, 0, trigger=rule)], {})
    assert line == "BIS Entity List rule → MOFCOM anti-dumping same day"
    assert chain_line([], {}) == ""
