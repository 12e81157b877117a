"""Precision and recall of sector tags, countermeasure links and chain steps on the
fixtures, against the hand-labelled truth in ``fixtures/truth/labels.toml``.

The figures are in every assertion message (so they show without ``-s``) and in
``fixtures/truth/RESULTS.md``, which must be current: after changing the taxonomy, the
linker or the labels, run ``.venv/bin/python fixtures/truth/score.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from monitor.store import Store

TRUTH = Path(__file__).resolve().parents[2] / "fixtures" / "truth"
SEPT_SEMICONDUCTORS = {
    "shanghai-fudan-microelectronics-group-co-ltd|CN",
    "beijing-fudan-microelectronics-technology-co-ltd|CN",
    "shenzhen-fudan-microelectronics-co-ltd|CN",
    "shanghai-fudan-microelectronics-hk-co-ltd|HK",
    "shanghai-fukong-hualong-microsystem-technology-co-ltd|CN",
    "shanghai-fuwei-xunjie-digital-technology-co-ltd|CN",
    "sino-ic-technology|CN",
    "gmc-semiconductor-technology-wuxi-co|CN",
    "jicun-semiconductor-technology-shanghai|CN",
}


def load_score() -> ModuleType:
    spec = importlib.util.spec_from_file_location("truth_score", TRUTH / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["truth_score"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ModuleType, Any]]:
    score = load_score()
    store: Store = score.build_demo_store(tmp_path_factory.mktemp("truth"))
    try:
        yield score, score.evaluate(store)
    finally:
        store.close()


def figures(results: Any) -> str:
    lines = [f"sector tags, {g}: {s.line()}" for g, s in results.sectors.items()]
    lines += [f"links: {results.links.line()}", f"chain steps: {results.chains.line()}"]
    return "\n".join(lines)


def test_every_record_is_labelled(scored: tuple[ModuleType, Any]) -> None:
    _score, results = scored
    assert results.problems == [], results.problems


def test_september_2025_entities(scored: tuple[ModuleType, Any]) -> None:
    _score, results = scored
    assert results.sept_untagged == [], "new entities without a sector"
    assert results.semiconductors_sept == SEPT_SEMICONDUCTORS, figures(results)
    sept = results.sectors["2025-09-12 additions"]
    assert (sept.precision, sept.recall) == (1.0, 1.0), figures(results)


def test_links_and_chains_are_exact(scored: tuple[ModuleType, Any]) -> None:
    _score, results = scored
    assert (results.links.precision, results.links.recall) == (1.0, 1.0), figures(results)
    assert (results.chains.precision, results.chains.recall) == (1.0, 1.0), figures(results)


def test_sector_precision_and_recall_floors(scored: tuple[ModuleType, Any]) -> None:
    # Floors just under today's figures: a change that loses precision or recall fails
    # here and shows every figure; raise the floors when the tagger improves.
    _score, results = scored
    overall, bis = results.sectors["all"], results.sectors["BIS list entries"]
    assert overall.precision >= 0.90 and overall.recall >= 0.50, figures(results)
    assert (bis.precision, bis.recall) == (1.0, 1.0), figures(results)
    assert results.sectors["MOFCOM list entries"].precision == 1.0, figures(results)


def test_results_file_is_current(scored: tuple[ModuleType, Any]) -> None:
    score, results = scored
    written = (TRUTH / "RESULTS.md").read_text(encoding="utf-8")
    assert written == score.render(results), (
        "fixtures/truth/RESULTS.md is stale: run .venv/bin/python fixtures/truth/score.py\n"
        + figures(results)
    )
