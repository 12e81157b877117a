"""``monitor.text.clean`` and ``inline`` return a printable value as it is, without their
regexes: exact only if no character the regexes remove or replace is printable. Checked
over every code point, and against the regexes on random text."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import jinja2
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.digest import render
from monitor.digest.render import _inline_all
from monitor.text import _BREAKS, _STRIP, clean, inline


def test_no_character_the_regexes_touch_is_printable() -> None:
    touched = [c for c in range(0x110000) if _STRIP.match(chr(c)) or _BREAKS.match(chr(c))]
    assert len(touched) > 100
    assert [hex(c) for c in touched if chr(c).isprintable()] == []


_TRICKY = ["\n", "\r", "\t", "\x00", "\x1b[2J", "\x85", "\u2028", "\u202e", "\ufffe", "\u3000"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=8), st.sampled_from(_TRICKY)), max_size=8))
def test_clean_and_inline_equal_their_regexes(parts: list[str]) -> None:
    text = "".join(parts)
    assert clean(text) == _STRIP.sub("", text)
    assert inline(text) == _BREAKS.sub(" ", _STRIP.sub("", text))


def _inline_everything(value: object) -> object:
    """The renderer's walk as it was written first: ``inline`` on every string, keys too."""
    if isinstance(value, str):
        return inline(value)
    if isinstance(value, Mapping):
        return {
            inline(k) if isinstance(k, str) else k: _inline_everything(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_inline_everything(v) for v in value]
    return value


class _Name(str):
    """A str subclass (takes the general path, not the exact-type one)."""


_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(_TRICKY),
    st.text(max_size=4).map(_Name),
)
_keys = st.one_of(st.text(max_size=4), st.sampled_from(_TRICKY), st.integers())


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        _leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.lists(inner, max_size=4).map(tuple),
            st.dictionaries(_keys, inner, max_size=4),
            st.dictionaries(_keys, inner, max_size=4).map(MappingProxyType),
        ),
        max_leaves=20,
    )
)
def test_the_renderers_walk_inlines_every_string_as_inline_does(value: object) -> None:
    """``render._inline_all`` (exact types first, printable strings without the call)
    gives what ``inline`` on every string and key gives."""
    assert _inline_all(value) == _inline_everything(value)


class _Record(dict[str, object]):
    """A dict subclass (may carry attributes: takes Jinja's own way)."""

    name = "attribute"


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.one_of(st.sampled_from(["name", "items", "values", "get", "__class__"]), st.text()),
        st.integers(),
        max_size=5,
    ),
    st.one_of(st.sampled_from(["name", "items", "values", "get", "copy", "__class__"]), st.text()),
)
def test_the_environment_reads_a_dict_key_as_jinja_does(data: dict[str, object], name: str) -> None:
    """``render._Environment.getattr`` (a plain dict's keys without Jinja's AttributeError
    first) answers every read as ``jinja2.Environment.getattr``: a key that names a dict
    method still gives the method, a missing key the same Undefined."""
    ours, jinjas = render.environment(), jinja2.Environment(undefined=jinja2.StrictUndefined)
    for obj in (data, _Record(data), MappingProxyType(data), "text", 3):
        mine, theirs = ours.getattr(obj, name), jinjas.getattr(obj, name)
        if isinstance(theirs, jinja2.Undefined):
            assert isinstance(mine, jinja2.StrictUndefined)
            assert mine._undefined_name == theirs._undefined_name == name
            assert mine._undefined_obj is theirs._undefined_obj is obj
        else:
            assert mine == theirs
