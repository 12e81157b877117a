"""What each setting's value must be: one table of rules, checked when settings are loaded.

``config.load`` parses the file's structure (unknown keys, types) and then runs every
rule of ``RULES`` over the values it built; all the rules that fail are reported
together, each with its key, the value, where the value came from and what is allowed,
so ``ecmon config check`` lists every problem in one go.

A rule is keyed by the setting's dotted name; ``*`` stands for any source name
(``sources.*.schedule``). To add a range check, add one line to ``RULES``.

Pure: no clock, no network. Time zones are looked up in the system's (or tzdata's) zone
database; crontab lines are checked field by field here, so a schedule is refused when
the file is loaded, not when the daemon starts (which uses APScheduler for the same text).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Rule:
    """A check over one value and the words for what it allows."""

    allowed: str
    check: Callable[[object], bool]


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def between(low: float, high: float) -> Rule:
    return Rule(f"a number between {low:g} and {high:g}", lambda v: _number(v) and low <= v <= high)  # type: ignore[operator]


def at_least(low: float) -> Rule:
    return Rule(f"a number of at least {low:g}", lambda v: _number(v) and v >= low)  # type: ignore[operator]


def above(low: float) -> Rule:
    return Rule(f"a number above {low:g}", lambda v: _number(v) and v > low)  # type: ignore[operator]


def one_of(*values: str) -> Rule:
    return Rule(f"{', '.join(values[:-1])} or {values[-1]}", lambda v: v in values)


_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_EVERY = re.compile(r"every\s+(\d+(?:\.\d+)?)\s*([smhd])", re.IGNORECASE)


def is_clock(value: object) -> bool:
    return isinstance(value, str) and _CLOCK.fullmatch(value.strip()) is not None


def is_time_zone(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# crontab fields: minute hour day month weekday (weekdays as names, see daemon/scheduler.py)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FIELDS: tuple[tuple[int, int, tuple[str, ...]], ...] = (
    (0, 59, ()),
    (0, 23, ()),
    (1, 31, ()),
    (1, 12, _MONTHS),
    (0, -1, _DAYS),  # no numbers: APScheduler 3 and crontab number weekdays differently
)


def _cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if text.lower() in names:
        return True
    return text.isdigit() and low <= int(text) <= high


def _cron_field(text: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    for part in text.split(","):
        body, _, step = part.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if body == "*":
            continue
        ends = body.split("-")
        if len(ends) > 2 or not all(_cron_value(e, low, high, names) for e in ends):
            return False
    return True


def is_crontab(value: str) -> bool:
    fields = value.split()
    return len(fields) == 5 and all(
        _cron_field(text, *spec) for text, spec in zip(fields, _FIELDS, strict=True)
    )


def is_schedule(value: object) -> bool:
    if not isinstance(value, str):
        return False
    every = _EVERY.fullmatch(value.strip())
    if every is not None:
        return float(every[1]) > 0
    return is_crontab(value)


SCHEDULE = Rule(
    "'every <n>s|m|h|d' (e.g. 'every 3h') or a 5-field crontab line, weekdays as names"
    " (e.g. '0 * * * mon-fri')",
    is_schedule,
)

RULES: dict[str, Rule] = {
    "max_shrink": between(0, 1),
    "raw_keep": at_least(1),
    "sources.*.max_shrink": between(0, 1),
    "sources.*.min_records": at_least(0),
    "sources.*.max_records": at_least(0),
    "sources.*.schedule": SCHEDULE,
    "email.security": one_of("starttls", "tls", "none"),
    "email.port": between(1, 65535),
    # The daemon's digest job also takes any schedule (tests and demos use "every 2s").
    "digest.time": Rule(
        f"a time of day HH:MM from 00:00 to 23:59, or {SCHEDULE.allowed}",
        lambda v: is_clock(v) or is_schedule(v),
    ),
    "digest.timezone": Rule("an IANA time zone name such as UTC or Europe/Brussels", is_time_zone),
    "analysis.hit_threshold": between(0, 1),
    "analysis.link_window_days": at_least(0),
    "daemon.jitter_seconds": at_least(0),
    "daemon.misfire_grace_seconds": at_least(0),
    "daemon.failure_threshold": at_least(1),
    "daemon.stale_after_hours": above(0),
    "gate.max_removed": at_least(1),
    "gate.max_field_change": between(0, 1),
    "gate.max_blank": between(0, 1),
    "gate.window_days": at_least(0),
    "gate.max_window_shrink": between(0, 1),
    "gate.min_changes": at_least(1),
}


def rule_for(key: str) -> Rule | None:
    """The rule of a dotted setting name, trying ``sources.*.x`` for ``sources.<name>.x``."""
    if key in RULES:
        return RULES[key]
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "sources":
        return RULES.get(f"sources.*.{parts[2]}")
    return None


# ------------------------------------------------------------- recipient filters

# Codes in use that ISO 3166-1 has not assigned (Kosovo, as the CSL file writes it).
_EXTRA_COUNTRIES = frozenset({"XK"})


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (pycountry's copy of the standard)."""
    import pycountry  # only where a filter names a country (~20 ms at every start otherwise)

    return frozenset(c.alpha_2 for c in pycountry.countries) | _EXTRA_COUNTRIES


def country_hint(value: str) -> str:
    """' (did you mean CN?)' when ``value`` names a country; '' otherwise."""
    import pycountry

    try:
        found = pycountry.countries.lookup(value)
    except LookupError:
        return ""
    return f" (did you mean {found.alpha_2}?)"


def unknown(values: Iterable[str], known: Iterable[str]) -> list[str]:
    """The values not in ``known`` (compared without case), in their given order."""
    folded = {k.casefold() for k in known}
    return [v for v in values if v.casefold() not in folded]
