"""One record screened alone (a change, an alert) scores as in a whole-state screen."""

from __future__ import annotations

from pathlib import Path

from monitor.config import AnalysisSettings
from monitor.enrich import load_analysis
from monitor.store import Store
from monitor.store import analysis as store_analysis
from monitor.testing.demo import run_demo

WATCHLIST = Path(__file__).resolve().parents[2] / "fixtures" / "watchlist.example.toml"


def test_scores_do_not_depend_on_what_else_is_screened(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    with Store.open(db) as store:
        run_demo(store, db, lambda _source, _step: None)
        context = load_analysis(store, AnalysisSettings(watchlist=str(WATCHLIST)))
        everything = list(store_analysis.current_records(store))
        whole = {
            (h.ref, h.source, h.key): h.score for h in context.screen(everything, threshold=0.3)
        }
        assert whole, "the example watchlist finds something in the demo"
        for source, record in everything:
            for hit in context.screen([(source, record)], threshold=0.3):
                assert hit.score == whole[(hit.ref, source, record.key)], (hit.ref, record.name)
