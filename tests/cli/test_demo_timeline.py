"""``ecmon demo`` reads as a timeline in date order (issue 13, item 4): the stages run in the
order of real events, every act and every source's list changes are shown on their dates
within their stage's dates, and the shipped fixtures serve nothing outside its stage (the
"arranged" marking that would say so on screen is checked to fire on narrowed stages)."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest
from click.testing import Result

from monitor.cli.demo_timeline import timeline_lines
from monitor.locks import quiet
from monitor.models import RunSummary, StoredChange
from monitor.store import Store
from monitor.testing.demo import STAGES, Stage, run_demo
from tests import support

DATED = re.compile(r"^    (\d{4}-\d{2}-\d{2})  ")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Result:
    db = tmp_path_factory.mktemp("timeline") / "demo.db"
    result = support.invoke("--db", str(db), "demo", env=dict(os.environ))
    assert result.exit_code == 0, result.output
    return result


def timeline(result: Result) -> list[str]:
    lines = result.stdout.splitlines()
    start = lines.index("Timeline (the demo's stages in the order of real events):")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("  arranged: "))
    return lines[start + 1 : end + 1]


def test_the_stages_run_in_the_order_of_real_events(demo: Result) -> None:
    stages = list(STAGES)
    assert [s.name for s in stages] == ["before", "after", "later"]
    # Each stage's dates start after the previous one's end.
    for earlier, later in itertools.pairwise(stages):
        assert earlier.end and later.start > earlier.end
    headers = [line for line in timeline(demo) if line.startswith("  [")]
    assert [h.split("]")[0].strip(" [") for h in headers] == ["before", "after", "later"]
    assert headers[1].startswith("  [after] 2025-09-08 to 2025-09-13: the BIS filing and additions")
    # The run log (stderr) follows the same order, each stage with its dates.
    log = [line for line in demo.stderr.splitlines() if line.startswith("[")]
    assert [line.split("]")[0] + "]" for line in log] == ["[before]", "[after]", "[later]"]
    assert log[2].startswith("[later] from 2025-09-14: the eCFR amendment (16 September)")


DATED_LINE = re.compile(r"^    (\d{4}-\d{2}-\d{2})  (.*)$")


def test_every_act_and_list_change_is_in_date_order_within_its_stage(demo: Result) -> None:
    lines = timeline(demo)
    days: list[str] = []
    stage = None
    served: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("  ["):
            stage = next(s for s in STAGES if line.startswith(f"  [{s.name}]"))
            continue
        found = DATED_LINE.match(line)
        if found is None:
            continue
        assert stage is not None
        assert "[arranged" not in line, line
        assert stage.holds(found.group(1)), line
        days.append(found.group(1))
        served.setdefault(stage.name, []).append(f"{found.group(1)} {found.group(2)}")
    assert days == sorted(days) and len(days) >= 10
    # Nothing the shipped fixtures serve is outside its stage's dates.
    assert (
        lines[-1]
        == "  arranged: 0 items (acts, list changes) served outside the dates of their stage"
    )
    # 12 September: the BIS filing and the CSL additions; 13 September: MOFCOM's two
    # investigations; the eCFR amendment of 16 September, the FR rules of 30 September and
    # 12 November and the 5 November answer come later.
    september = [d for d in days if d <= "2025-09-13"]
    assert "2025-09-12" in september and september.count("2025-09-13") == 2
    assert set(september) <= {"2025-09-08", "2025-09-12", "2025-09-13"}  # 08: the MFA's
    after, later = " | ".join(served["after"]), " | ".join(served["later"])
    assert "2025-09-12 Federal Register on public inspection" in after
    assert "2025-09-12 list entries: CSL +11 −1" in after and "eCFR" not in after
    assert "2025-09-16 list entries: eCFR +11 −1" in later
    assert "2025-09-30 Federal Register end-user rule: 90 FR 47201" in later
    assert "2025-11-12 Federal Register end-user rule: 90 FR 50857" in later
    assert "2025-11-05 MOFCOM continued suspension" in later


@pytest.fixture(scope="module")
def demo_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, list[RunSummary]], list[StoredChange]]:
    db = tmp_path_factory.mktemp("arranged") / "demo.db"
    with Store.open(db) as store:
        result = run_demo(store, db, quiet)
        return result.stages, store.changes(from_run=result.first_after_run)


def test_the_shipped_demo_serves_nothing_arranged(
    demo_runs: tuple[dict[str, list[RunSummary]], list[StoredChange]],
) -> None:
    runs, changes = demo_runs
    lines = timeline_lines(STAGES, runs, changes)
    assert not [line for line in lines if "[arranged" in line]
    assert lines[-1].startswith("  arranged: 0 items")


def test_an_item_served_outside_its_stage_is_marked_arranged(
    demo_runs: tuple[dict[str, list[RunSummary]], list[StoredChange]],
) -> None:
    """The guard is live: with the September stage ending on the 12th and the later one
    starting on the 20th, MOFCOM's two acts of the 13th and the eCFR amendment of the 16th
    (list changes) are out of their stages, and are said so on screen."""
    runs, changes = demo_runs
    before, after, later = STAGES
    narrowed = (
        before,
        Stage(after.name, after.title, after.start, "2025-09-12"),
        Stage(later.name, later.title, "2025-09-20", ""),
    )
    lines = timeline_lines(narrowed, runs, changes)
    marked = [line for line in lines if "[arranged: dated " in line]
    assert [line.split("  [arranged")[1] for line in marked] == [
        ": dated 2025-09-13, served in this stage]",
        ": dated 2025-09-13, served in this stage]",
        ": dated 2025-09-16, served in this stage]",
    ]
    assert "商务部公告2025年第27号" in marked[0] + marked[1] and "eCFR +11" in marked[2]
    assert lines[-1] == (
        "  arranged: 3 items (acts, list changes) served outside the dates of their stage"
        " (marked above)"
    )


def test_an_april_act_is_in_the_baseline_not_shown_beside_september(demo: Result) -> None:
    lines = timeline(demo)
    assert not [line for line in lines if "商务部公告2025年第22号" in line]
    counts = next(line for line in demo.stdout.splitlines() if line.startswith("Counts"))
    assert "MOFCOM ~22 entries, +3 acts" in counts  # Nos. 27, 50, the 5 November answer


def test_the_story_reads_in_date_order(demo: Result) -> None:
    story = demo.stdout.split("\n\nCounts", 1)[0].splitlines()
    starts = [m.group(1) for line in story if (m := re.search(r"(\d{4}-\d{2}-\d{2})  ", line))]
    assert starts == sorted(starts) and starts[0] == "2025-09-12"


def test_the_demo_help_says_the_stages_follow_real_dates(tmp_path: Path) -> None:
    result = support.invoke("demo", "--help", env=dict(os.environ))
    assert "arranged by real dates" in result.output
