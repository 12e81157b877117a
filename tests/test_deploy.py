"""The example configuration in deploy/ loads and matches the built-in defaults."""

from __future__ import annotations

from pathlib import Path

from monitor import config
from monitor.sources import default_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "deploy" / "ecmon.example.toml"


def test_example_config_loads_and_agrees_with_defaults() -> None:
    settings = config.load(default_settings(), config_path=EXAMPLE, environ={})
    csl = settings.source("us_csl_entity_list")
    default_csl = default_settings()["us_csl_entity_list"]
    assert (csl.url, csl.min_records, csl.max_records) == (
        default_csl.url,
        default_csl.min_records,
        default_csl.max_records,
    )
    assert settings.http == config.HttpSettings()
    assert settings.max_shrink == 0.05
