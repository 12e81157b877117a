"""The one sanitiser for text a source wrote, used by every renderer (terminal, text,
Markdown, HTML, Atom, mail).

Why one: a source's name, address or title is data, and it must never act on the reader's
tools. Removed everywhere (``clean``): C0 controls but tab and newline (terminal escape
sequences), DEL, C1 controls (U+0080-U+009F: U+009B is a one-byte CSI on some terminals),
the bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C: an
"override" shows text in another order than it is stored) and XML 1.0 non-characters
(U+FFFE, U+FFFF and the other Unicode non-characters; one of them made a whole Atom feed
not well-formed). ``inline`` also turns every line break (CR, LF, U+0085, U+2028,
U+2029, VT, FF) and tab into a space: a value inside a line (a name in a diff) can then
not start a line of its own (a fake ``REMOVED`` section).
"""

from __future__ import annotations

import re

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_STRIP = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    f"{_NONCHARACTERS}\ud800-\udfff]"
)
_BREAKS = re.compile("[\r\n\t\x0b\x0c\x85\u2028\u2029]")


def clean(text: object) -> str:
    """``text`` without control, bidi-control and non-characters; tab, newline and CR kept
    (for whole documents; CR is kept so CRLF documents stay as they are)."""
    value = "" if text is None else str(text)
    if _printable(value.replace("\n", "").replace("\r", "").replace("\t", "")):
        return value
    return _STRIP.sub("", value)


def inline(text: object) -> str:
    """``clean(text)`` with every line break and tab made a space: for a value in a line."""
    value = "" if text is None else str(text)
    if _printable(value):
        return value
    return _BREAKS.sub(" ", clean(value))


def _printable(value: str) -> bool:
    """True when ``value`` holds nothing ``clean`` or ``inline`` would change: every
    character they remove or replace is "Other" (Cc, Cf, Cs, Cn) or a line or paragraph
    separator in Unicode, which ``str.isprintable`` rejects. A C loop over the string,
    several times faster than the regexes, and most values pass it; one that does not
    (a tab, a full-width space) only takes the regexes' way."""
    return value.isprintable()
