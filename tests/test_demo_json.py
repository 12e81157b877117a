"""The demo's ``diff --format json`` and ``digest --format json`` stay as they were.

The golden files were captured from a demo run before the change document and
the digest model got declared types (issue 11); this test proves the typed
models print the same JSON. Only what differs from run to run is masked:
timestamps, the detection date (the demo stores "now") and the fixture
server's port (and the raw hashes of the bundle sources, whose bytes
embed URLs with that port). Ids are kept: a fresh
demo database numbers its runs and changes the same way every time.

After an intended change of the JSON, regenerate with
``.venv/bin/python -m tests.test_demo_json`` and review the diff of tests/golden/.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main
from monitor.store import Store
from monitor.testing.demo import run_demo

GOLDEN = Path(__file__).resolve().parent / "golden"
COMMANDS = {
    "demo_diff.json": ["diff", "--format", "json"],
    "demo_digest.json": ["digest", "--format", "json"],
}
_PORT = re.compile(r"127\.0\.0\.1:\d+")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")


def mask(value: object, today: str) -> object:
    """``value`` with timestamps and today's date replaced by placeholders."""
    if isinstance(value, dict):
        # A bundle source's raw bytes embed its documents' URLs, so the port too.
        return {k: "<raw hash>" if k == "raw_sha256" else mask(v, today) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, today) for v in value]
    if isinstance(value, str):
        value = _PORT.sub("127.0.0.1:<port>", value)  # the fixture server's free port
        return _TIMESTAMP.sub("<timestamp>", value).replace(today, "<today>")
    return value


def demo_outputs(tmp: Path) -> dict[str, str]:
    """Each golden file's name -> the masked JSON the CLI prints for a fresh demo."""
    db = tmp / "demo.db"
    with Store.open(db) as store:
        run_demo(store, db, lambda _source, _step: None)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    outputs = {}
    for name, args in COMMANDS.items():
        result = CliRunner().invoke(main, ["--db", str(db), *args])
        assert result.exit_code == 0, result.output
        masked = mask(json.loads(result.output), today)
        outputs[name] = json.dumps(masked, indent=2, ensure_ascii=False) + "\n"
    return outputs


def test_demo_json_matches_golden(tmp_path: Path) -> None:
    for name, text in demo_outputs(tmp_path).items():
        assert text == (GOLDEN / name).read_text(encoding="utf-8"), name


if __name__ == "__main__":  # regenerate: python -m tests.test_demo_json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name, text in demo_outputs(Path(tmp)).items():
            (GOLDEN / name).write_text(text, encoding="utf-8")
            print(f"wrote {GOLDEN / name}", file=sys.stderr)
