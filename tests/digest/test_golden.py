"""Golden files for the text and Markdown digests of the demo (fixtures/golden/).

The demo's digest is rendered as a reader gets it (`ecmon digest`), with what changes from
run to run (timestamps, today's date) replaced by placeholders, and compared with the
committed file. A deliberate change of the digest or of the fixtures regenerates them:
``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/digest/test_golden.py``, then read the
diff before committing it.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.digest.support import build_demo_db
from tests.digest.test_html import ecmon

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden"
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?")


def normalised(text: str) -> str:
    """Timestamps and today's date (the demo's detection date) as placeholders."""
    today = datetime.now(UTC).date().isoformat()
    return _STAMP.sub("<time>", text).replace(today, "<today>")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_db(tmp_path_factory.mktemp("golden") / "demo.db")


@pytest.mark.parametrize(("fmt", "name"), [("text", "digest.txt"), ("markdown", "digest.md")])
def test_demo_digest_matches_its_golden_file(
    demo_db: Path, tmp_path: Path, fmt: str, name: str
) -> None:
    out = tmp_path / name
    ecmon(tmp_path, "--db", str(demo_db), "digest", "--format", fmt, "--output", str(out))
    got = normalised(out.read_text(encoding="utf-8"))
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    assert got == expected, f"{name} differs from {golden}: regenerate with UPDATE_GOLDEN=1"
