"""Issue 15: a mistyped database path and a broken source fail loudly, never as "never run"
or "no changes"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import invoke_in as invoke


@pytest.mark.parametrize(
    "command",
    [["status"], ["digest"], ["diff"], ["history", "Huawei"], ["search", "fudan"]],
)
def test_read_commands_never_create_a_database(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "nonexistent" / "dir" / "x.db"
    result = invoke(tmp_path, "--db", str(db), *command)
    assert result.exit_code == 5, result.output
    assert f"no database at {db}" in result.output
    assert not db.parent.exists()


def test_status_exits_8_naming_each_broken_or_stale_source(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert invoke(tmp_path, "demo", "--db", str(db)).exit_code == 0
    healthy = invoke(tmp_path, "--db", str(db), "status")
    assert healthy.exit_code == 0, healthy.output
    config = tmp_path / "c.toml"
    others = "".join(
        f"[sources.{name}]\nenabled = false\n"
        for name in ("us_ecfr_entity_list", "us_federal_register", "cn_mofcom_announcements")
    )
    config.write_text(
        f'database = "{tmp_path}/new.db"\n[http]\nretries = 0\n'
        '[sources.us_csl_entity_list]\nurl = "http://127.0.0.1:9/c.csv"\n' + others,
        encoding="utf-8",
    )
    assert invoke(tmp_path, "--config", str(config), "run").exit_code == 3
    result = invoke(tmp_path, "--config", str(config), "status")
    assert result.exit_code == 8
    assert "ecmon: unhealthy: us_csl_entity_list: no good fetch yet" in result.stderr
    assert invoke(tmp_path, "--config", str(config), "status", "--json").exit_code == 8


def test_top_level_help_names_every_source(tmp_path: Path) -> None:
    from monitor.sources import INFOS

    text = invoke(tmp_path, "--help").output
    for name in INFOS:
        assert name in text


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("demo")
    db = tmp / "demo.db"
    assert invoke(tmp, "demo", "--db", str(db)).exit_code == 0
    return db


@pytest.mark.parametrize("command", [["diff"], ["digest"], ["feed"]])
def test_output_dash_is_stdout_and_a_missing_folder_is_an_error(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "missing" / "dir" / "x"
    bad = invoke(tmp_path, "--db", str(demo_db), *command, "--output", str(missing))
    assert bad.exit_code == 2
    assert f"the folder {missing.parent} of {missing} does not exist" in bad.output
    assert not missing.parent.exists()
    dash = invoke(tmp_path, "--db", str(demo_db), *command, "--output", "-")
    assert dash.exit_code == 0, dash.output
    assert len(dash.stdout) > 100
    assert not (tmp_path / "-").exists()
