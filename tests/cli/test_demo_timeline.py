"""``ecmon demo`` reads as a timeline in date order (issue 13, item 4): the stages run in the
order of real events, every act is shown on its date within its stage's dates, and what a
stage still serves outside its dates is marked "arranged" on screen."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest
from click.testing import Result

from monitor.testing.demo import STAGES
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
    assert log[2] == "[later] from 2025-09-14: the later answers"


def test_every_act_is_in_date_order_within_its_stage_or_marked_arranged(demo: Result) -> None:
    lines = timeline(demo)
    days: list[str] = []
    marked = 0
    stage = None
    for line in lines:
        if line.startswith("  ["):
            stage = next(s for s in STAGES if line.startswith(f"  [{s.name}]"))
            continue
        found = DATED.match(line)
        if found is None:
            continue
        assert stage is not None
        if "[arranged: dated " in line:
            marked += 1
            assert not stage.holds(found.group(1)), line
            continue
        assert stage.holds(found.group(1)), line
        days.append(found.group(1))
    assert days == sorted(days) and len(days) >= 5
    # 12 September: the BIS additions; 13 September: MOFCOM's two investigations; the
    # 5 November answer after them.
    september = [d for d in days if d <= "2025-09-13"]
    assert "2025-09-12" in september and september.count("2025-09-13") == 2
    assert set(september) <= {"2025-09-08", "2025-09-12", "2025-09-13"}  # 08: the MFA's
    assert "2025-11-05" in days
    summary = lines[-1]
    assert summary.startswith(f"  arranged: {marked} act")


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
