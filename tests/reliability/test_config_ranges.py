"""Configuration values out of range are refused when the file is loaded (exit 2, naming the
setting and the file), before any run: they used to surface as failed runs (``retries = -1``
as ``AssertionError('unreachable')``, ``read_timeout = 0`` as every fetch timing out)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from tests.reliability import report

BAD = [
    ("http", "retries", "-1"),
    ("http", "connect_timeout", "-5"),
    ("http", "read_timeout", "0"),
    ("http", "total_timeout", "-1.5"),
    ("http", "max_bytes", "-1"),
    ("http", "backoff", "-1"),
    ("http", "total_timeout", "nan"),
    ("email", "timeout", "0"),
    ("daemon", "failure_threshold", "0"),
]


@pytest.mark.parametrize("section,key,value", BAD, ids=[f"{s}.{k}={v}" for s, k, v in BAD])
def test_an_out_of_range_value_is_refused_at_load(
    section: str, key: str, value: str, tmp_path: Path
) -> None:
    row = report.record(
        report.Row(
            "config",
            "",
            f"{section}.{key} = {value}",
            f"[{section}] {key} = {value} in the config file; `ecmon status`",
            f"exit 2 naming {section}.{key}, nothing run",
            "-",
        )
    )
    db = tmp_path / "ecmon.db"
    config = tmp_path / "ecmon.toml"
    config.write_text(f'database = "{db}"\n[{section}]\n{key} = {value}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "status"])
    row.observed = f"exit {result.exit_code}: " + " ".join(result.output.split()).replace(
        str(config), "FILE"
    )
    assert result.exit_code == 2, result.output
    assert f"{section}.{key}" in result.output
    assert not db.exists()
    row.passed = True
