"""One question asked before any XML a source fetched is parsed: does it declare a DTD?

Neither publisher's XML (eCFR versioner, Federal Register full text) has a DOCTYPE, and a
DTD is how XML smuggles in entity expansion ("billion laughs") and external entities (a
local file, a URL). So a document that declares one is refused before the real parser sees
it. The question is put to expat itself, not to the bytes: a byte search for ``<!ENTITY``
misses declarations written in UTF-16 or another encoding the XML declaration names.
Parsing stops at the root element's start tag, so the check costs little on large files
and never expands anything.
"""

from __future__ import annotations

from xml.parsers import expat


class _Stop(Exception):
    """Raised from an expat handler to end the check early."""

    def __init__(self, *, dtd: bool) -> None:
        super().__init__()
        self.dtd = dtd


def declares_dtd(raw: bytes) -> bool:
    """Whether ``raw`` has a DOCTYPE or an entity declaration before its root element.

    Bytes that are not well-formed before the root element answer False: the real parser
    then reports them with its own message and position.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def dtd(*_args: object) -> None:
        raise _Stop(dtd=True)

    def root(*_args: object) -> None:
        raise _Stop(dtd=False)

    parser.StartDoctypeDeclHandler = dtd
    parser.EntityDeclHandler = dtd
    parser.StartElementHandler = root
    try:
        parser.Parse(raw, True)
    except _Stop as stop:
        return stop.dtd
    except expat.ExpatError:
        return False
    return False
