"""Texts rendered as MOFCOM pages by the fixture builder
(``fixtures/cn_mofcom_announcements/make_mirror.py``, whose page chrome is SYNTHETIC and says
so in every page), for tests that parse a text through the real page parser."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

from monitor.models import Record
from monitor.sources.mofcom.actions import action_from_article
from monitor.sources.mofcom.article import parse_article
from monitor.sources.mofcom.text import decode
from tests.support import FIXTURES

BUILDER = FIXTURES / "cn_mofcom_announcements" / "make_mirror.py"
SITE = "https://www.mofcom.gov.cn"


@cache
def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cn_mofcom_make_mirror", BUILDER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def text_lines(path: Path) -> tuple[str, list[str]]:
    """(page URL or "", the text's lines): ``#`` comment lines dropped, a first URL line taken."""
    lines = [ln for ln in path.read_text("utf-8").splitlines() if not ln.startswith("#")]
    url = lines.pop(0).strip() if lines and lines[0].startswith("https://") else ""
    return url, lines


def render(path: Path, note: str) -> tuple[str, bytes]:
    """(URL, page bytes) of one text file; a text without a URL gets a placeholder one."""
    url, lines = text_lines(path)
    url = url or f"{SITE}/placeholder/{path.stem}.html"
    page: bytes = builder().render_text(lines, origin=path.name, note=note)
    return url, page


def parse(path: Path, note: str) -> Record:
    """The action record ecmon makes of one text, rendered and parsed like a fetched page."""
    url, page = render(path, note)
    article = parse_article(decode(page, None, url=url), url=url)
    return action_from_article(article, url=url)
