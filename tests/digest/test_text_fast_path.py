"""``monitor.text.clean`` and ``inline`` return a printable value as it is, without their
regexes: exact only if no character the regexes remove or replace is printable. Checked
over every code point, and against the regexes on random text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.text import _BREAKS, _STRIP, clean, inline


def test_no_character_the_regexes_touch_is_printable() -> None:
    touched = [
        c for c in range(0x110000) if _STRIP.match(chr(c)) or _BREAKS.match(chr(c))
    ]
    assert len(touched) > 100
    assert [hex(c) for c in touched if chr(c).isprintable()] == []


_TRICKY = ["\n", "\r", "\t", "\x00", "\x1b[2J", "\x85", "\u2028", "\u202e", "\ufffe", "\u3000"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=8), st.sampled_from(_TRICKY)), max_size=8))
def test_clean_and_inline_equal_their_regexes(parts: list[str]) -> None:
    text = "".join(parts)
    assert clean(text) == _STRIP.sub("", text)
    assert inline(text) == _BREAKS.sub(" ", _STRIP.sub("", text))
