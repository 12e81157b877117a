"""Prometheus text format 0.0.4 from `ecmon status --format prometheus`: checked by a
strict reader of the format (HELP/TYPE before samples, names, label escaping, unique
series), then for the values themselves."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main, metrics
from monitor.models import SourceStatus
from monitor.testing.fixture_server import FixtureServer
from tests.support import CSL, CSL_AFTER, CSL_BEFORE, write_config

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"({_NAME})(?:\{{(.*)\}})? (\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def read_exposition(text: str) -> tuple[dict[str, str], Series]:
    """(family -> type, series -> value), failing on anything the format does not allow."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    helped: set[str] = set()
    series: Series = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert re.fullmatch(_NAME, name) and name not in helped, line
            helped.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name in helped and name not in types, line  # HELP, then TYPE, once
            assert kind in ("gauge", "counter"), line
            assert kind != "counter" or name.endswith("_total"), line
            types[name] = kind
        else:
            found = _SAMPLE.fullmatch(line)
            assert found, line
            name, labels = found[1], _labels(found[2] or "")
            assert name in types and list(types)[-1] == name, f"{line}: not under its TYPE"
            assert (name, labels) not in series, f"duplicate series {line}"
            series[(name, labels)] = float(found[3])
    return types, series


def _labels(text: str) -> tuple[tuple[str, str], ...]:
    pairs, at = [], 0
    while at < len(text):
        found = _LABEL.match(text, at)
        assert found, f"bad labels {text!r}"
        pairs.append((found[1], found[2]))
        at = found.end()
    return tuple(pairs)


def status(source: str, **kw: object) -> SourceStatus:
    fields: dict[str, object] = {
        "source": source,
        "enabled": True,
        "last_outcome": None,
        "last_run_at": None,
        "last_success_at": None,
        "consecutive_failures": 0,
        "last_error": None,
        "record_count": 0,
        **kw,
    }
    return SourceStatus(**fields)  # type: ignore[arg-type]  # built from a dict of fields


def test_render_is_valid_exposition_with_the_values() -> None:
    good = status(
        CSL,
        last_outcome="failed",
        last_run_at="2025-09-13T07:00:00+00:00",
        last_success_at="2025-09-12T07:00:00+00:00",
        consecutive_failures=4,
        record_count=3400,
    )
    odd = status('we"ird\\name\n', enabled=False)  # label values are escaped
    text = metrics.render(
        [good, odd], {(CSL, "failed"): 4, (CSL, "archived"): 2}, {CSL}, {("broken", "sent"): 1}
    )
    types, series = read_exposition(text)
    assert types["ecmon_runs_total"] == "counter"
    assert types["ecmon_source_last_outcome"] == "gauge"

    def value(name: str, **labels: str) -> float:
        return series[(name, tuple(labels.items()))]

    assert value("ecmon_source_last_success_timestamp_seconds", source=CSL) == 1757660400
    assert value("ecmon_source_last_run_timestamp_seconds", source=CSL) == 1757746800
    assert value("ecmon_source_consecutive_failures", source=CSL) == 4
    assert value("ecmon_source_records", source=CSL) == 3400
    assert value("ecmon_source_broken", source=CSL) == 1
    assert value("ecmon_source_last_outcome", source=CSL, outcome="failed") == 1
    assert value("ecmon_source_last_outcome", source=CSL, outcome="changed") == 0
    assert value("ecmon_runs_total", source=CSL, outcome="failed") == 4
    assert value("ecmon_runs_total", source=CSL, outcome="changed") == 0  # starts at 0
    assert value("ecmon_runs_total", source=CSL, outcome="archived") == 2
    assert value("ecmon_alert_messages", kind="broken", status="sent") == 1
    escaped = 'we\\"ird\\\\name\\n'
    assert value("ecmon_source_enabled", source=escaped) == 0
    # A source that never succeeded has no timestamp sample rather than a fake 0.
    assert ("ecmon_source_last_success_timestamp_seconds", (("source", escaped),)) not in series


def test_status_command_formats(tmp_path: Path, fixture_server: FixtureServer) -> None:
    config = write_config(tmp_path / "c.toml", tmp_path / "m.db", fixture_server.url_for("c.csv"))
    runner = CliRunner()
    for body in (CSL_BEFORE, CSL_AFTER):
        fixture_server.set_route("/c.csv", body.read_bytes())
        assert runner.invoke(main, ["--config", str(config), "run"]).exit_code == 0
    result = runner.invoke(main, ["--config", str(config), "status", "--format", "prometheus"])
    assert result.exit_code == 0, result.output
    _, series = read_exposition(result.output)
    assert series[("ecmon_runs_total", (("source", CSL), ("outcome", "baseline")))] == 1
    assert series[("ecmon_runs_total", (("source", CSL), ("outcome", "changed")))] == 1
    assert series[("ecmon_source_records", (("source", CSL),))] == 15
    assert series[("ecmon_source_broken", (("source", CSL),))] == 0
    as_json = runner.invoke(main, ["--config", str(config), "status", "--json"])
    assert (
        as_json.output
        == runner.invoke(main, ["--config", str(config), "status", "--format", "json"]).output
    )
    assert json.loads(as_json.output)["sources"][0]["source"] == CSL
