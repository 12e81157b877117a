"""The text digest's line wrapping: ``monitor.digest.render.wrap`` (a Python function,
with a shortcut for the lines that fit) gives exactly what the template's former Jinja
macro gave (``wordwrap`` then ``indent(first=true)``), on any text."""

from __future__ import annotations

from functools import lru_cache

from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Template

from monitor.digest.render import environment, wrap

# The macro as digest.txt.j2 had it, called the way the template called it.
_MACRO = (
    "{% macro old(text, indent=6) -%}"
    "{{ text | wordwrap(76 - indent, break_long_words=false, break_on_hyphens=false)"
    " | indent(indent, first=true) }}"
    "{%- endmacro %}{{ old(text, indent) }}"
)


@lru_cache(maxsize=1)
def _macro_template() -> Template:
    # The text template is not autoescaped (its name ends in .txt.j2); a string template
    # would be, so the overlay turns that off as the text template has it.
    return environment().overlay(autoescape=False).from_string(_MACRO)


def macro_wrap(text: str, indent: int) -> str:
    return _macro_template().render(text=text, indent=indent)


_PIECES = st.one_of(
    st.sampled_from([" ", "  ", "-", "word", "x" * 40, "x" * 80, "; ", "\u3000", "\t"]),
    st.sampled_from(["\n", "\r\n", "\x0b", "\x1c", "\x85", "\u2028", " \n ", "—", "中文"]),
    st.text(max_size=12),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, max_size=12), st.sampled_from([2, 4, 6, 8]))
def test_wrap_equals_the_former_macro(parts: list[str], indent: int) -> None:
    text = "".join(parts)
    assert wrap(text, indent) == macro_wrap(text, indent)


def test_wrap_on_the_digest_s_typical_rows() -> None:
    rows = [
        "",
        " ",
        "citation: 89 FR 12345",
        "sectors: Semiconductors and integrated circuits (name: “Microelectronics”)",
        "x" * 70,
        "x" * 71,
        "address: " + "Room 1201, Building 3, No. 88 Keyuan Road, Pudong, Shanghai " * 3,
        "trailing space ",
    ]
    for row in rows:
        for indent in (2, 4, 6, 8):
            assert wrap(row, indent) == macro_wrap(row, indent), (row, indent)
