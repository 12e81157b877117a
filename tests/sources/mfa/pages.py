"""Texts rendered as MFA decision pages by the fixture builder
(``fixtures/cn_mfa_countermeasures/make_mirror.py``, whose page chrome is SYNTHETIC and says
so in every page), for tests that read a text through the real page and decision parsers."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

from monitor.models import Record
from monitor.sources.mfa.decision import action_from_page
from monitor.sources.mfa.pages import decision_page
from tests.support import FIXTURES

BUILDER = FIXTURES / "cn_mfa_countermeasures" / "make_mirror.py"
TEXTS = FIXTURES / "cn_mfa_countermeasures" / "texts"
SITE = "https://www.mfa.gov.cn"


@cache
def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cn_mfa_make_mirror", BUILDER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def parse(path: Path, note: str) -> Record:
    """The action record ecmon makes of one text (``#`` lines dropped), rendered and parsed
    like a fetched page."""
    lines = [ln for ln in path.read_text("utf-8").splitlines() if not ln.startswith("#")]
    url_path, page = builder().render_text(lines, origin=path.name, note=note)
    url = SITE + url_path
    return action_from_page(decision_page(page, None, url=url), url=url)


def fixture_text(name: str) -> Record:
    """One of the real texts copied into the fixtures (``texts/anti-sanction-list__….md``)."""
    return parse(TEXTS / name, "real text from fixtures/cn_mfa_countermeasures/texts")
