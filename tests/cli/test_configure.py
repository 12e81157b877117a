"""``ecmon config check`` and ``ecmon config init`` (issue 15: a typo fails loudly)."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result

from tests import support
from tests.support import isolated_env

ROOT = Path(__file__).resolve().parents[2]


def invoke(tmp_path: Path, *args: str) -> Result:
    return support.invoke(*args, env=isolated_env(tmp_path, ECMON_CONFIG=""))


def test_check_names_every_problem_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "ecmon.toml"
    path.write_text("[sources.us_csl_entity_list]\nenabeld = false\n", encoding="utf-8")
    result = invoke(tmp_path, "--config", str(path), "config", "check")
    assert result.exit_code == 2
    assert "sources.us_csl_entity_list.enabeld" in result.output
    assert str(path) in result.output
    path.write_text(
        "[digest]\ntime = '25:00'\ntimezone = 'Mars/Olympus'\n"
        "[[email.recipients]]\naddress = 'desk@example.com'\nsectors = ['semis']\n",
        encoding="utf-8",
    )
    result = invoke(tmp_path, "--config", str(path), "config", "check")
    assert result.exit_code == 2
    assert "3 problems" in result.output
    for fragment in ("digest.time = '25:00'", "Mars/Olympus", "sectors 'semis' is unknown"):
        assert fragment in result.output


def test_init_writes_a_starter_that_checks_clean(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "ecmon.toml"
    result = invoke(tmp_path, "config", "init", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8").startswith("# ")
    result = invoke(tmp_path, "--config", str(path), "config", "check")
    assert result.exit_code == 0, result.output
    assert f"configuration ok: {path}" in result.output
    again = invoke(tmp_path, "config", "init", str(path))
    assert again.exit_code == 2 and "--force" in again.output
    assert invoke(tmp_path, "config", "init", str(path), "--force").exit_code == 0


def test_starter_is_the_deploy_example() -> None:
    shipped = (ROOT / "monitor/data/config.example.toml").read_text(encoding="utf-8")
    assert shipped == (ROOT / "deploy/ecmon.example.toml").read_text(encoding="utf-8")
