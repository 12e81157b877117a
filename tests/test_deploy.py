"""deploy/ is checked with what this machine has: the configs load and their schedules
parse, every YAML file parses, every `ecmon ...` command line in the Dockerfile, compose
file, systemd units and Kubernetes manifest names a real command with valid options, the
paths agree across files, and `systemd-analyze verify` passes when it is installed.
Docker itself is not here, so the Dockerfile is read, not built."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pytest
import yaml

from monitor import config
from monitor.cli import main
from monitor.daemon import scheduler
from monitor.sources import default_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
EXAMPLE = DEPLOY / "ecmon.example.toml"
SYSTEMD = sorted((DEPLOY / "systemd").glob("ecmon*.*"))
DB_PATH = "/var/lib/ecmon/ecmon.db"
CONFIG_PATH = "/etc/ecmon/config.toml"
VENV_ECMON = "/opt/ecmon/.venv/bin/ecmon"


def load(path: Path) -> config.Settings:
    return config.load(default_settings(), config_path=path, environ={})


def assert_ecmon_command(args: list[str]) -> None:
    """``args`` (after the program name) name a real `ecmon` command whose options parse."""
    rest = list(args)
    while rest and rest[0] in ("--config", "--db", "-v", "-vv"):
        rest = rest[2:] if rest[0] in ("--config", "--db") else rest[1:]
    assert rest, f"no command in {args}"
    name, options = rest[0], rest[1:]
    command = main.get_command(click.Context(main), name)  # the lazy ones too
    assert command is not None, f"`ecmon {name}` is not a command ({args})"
    command.make_context(name, options)  # raises on an unknown or bad option


def plans_without_error(settings: config.Settings) -> list[str]:
    names = [n for n, s in settings.sources.items() if s.enabled] or list(settings.sources)
    plan = scheduler.plan(
        settings, names, run_source=lambda _n: None, send_digest=lambda: None,
        last_runs={}, now=datetime(2025, 9, 13, tzinfo=UTC),
    )  # fmt: skip
    return plan.describe(datetime(2025, 9, 13, tzinfo=UTC))


# ----------------------------------------------------------------- configs


def test_example_config_loads_and_agrees_with_defaults() -> None:
    settings = load(EXAMPLE)
    csl = settings.source("us_csl_entity_list")
    default_csl = default_settings()["us_csl_entity_list"]
    assert (csl.url, csl.min_records, csl.max_records, csl.schedule) == (
        default_csl.url,
        default_csl.min_records,
        default_csl.max_records,
        default_csl.schedule,
    )
    assert settings.http == config.HttpSettings()
    assert settings.max_shrink == 0.05
    assert settings.daemon == config.DaemonSettings()  # the [daemon] table shows the defaults
    assert settings.origins["daemon.failure_threshold"].startswith("file")


def test_every_default_schedule_and_the_example_digest_time_make_jobs() -> None:
    settings = load(EXAMPLE)
    lines = plans_without_error(settings)
    assert any(line.startswith("source:us_federal_register: 0 * * * mon-fri") for line in lines)
    assert lines[-1].startswith("digest: 07:00 (next 2025-09-13T07:00:00+00:00)")


def test_compose_config_mails_the_compose_mail_catcher() -> None:
    settings = load(DEPLOY / "ecmon.compose.toml")
    plans_without_error(settings)
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert settings.email.enabled and settings.email.host in compose["services"]
    assert settings.email.port == 1025  # Mailpit's SMTP port
    assert settings.email.recipients


def test_every_variable_of_the_env_file_takes_effect(tmp_path: Path) -> None:
    text = (DEPLOY / "ecmon.example.env").read_text(encoding="utf-8")
    env = dict(re.findall(r"^#? ?(ECMON_[A-Z_]+)=(.*)$", text, re.MULTILINE))  # commented too
    assert env["ECMON_DB"] == DB_PATH and env["ECMON_CONFIG"] == CONFIG_PATH
    checked = {"ECMON_CONFIG", "ECMON_DB", "ECMON_CA_BUNDLE", "ECMON_US_CSL_ENTITY_LIST_URL",
               "ECMON_SMTP_PASSWORD", "ECMON_SMTP_PASSWORD_FILE"}  # fmt: skip
    assert set(env) == checked  # each is checked below: a new one needs a check too
    env["ECMON_CONFIG"] = str(EXAMPLE)  # the example stands in for /etc/ecmon/config.toml
    secret = tmp_path / "smtp-password"
    secret.write_text("from-file\n", encoding="utf-8")
    secret.chmod(0o600)
    env["ECMON_SMTP_PASSWORD_FILE"] = str(secret)
    settings = config.load(default_settings(), environ=env)
    csl = "us_csl_entity_list"
    assert settings.config_path == EXAMPLE
    assert (settings.database, settings.origins["database"]) == (Path(DB_PATH), "env ECMON_DB")
    assert settings.http.ca_bundle == env["ECMON_CA_BUNDLE"]
    assert settings.source(csl).url == env["ECMON_US_CSL_ENTITY_LIST_URL"]
    assert settings.email.password == env["ECMON_SMTP_PASSWORD"]  # the variable wins
    del env["ECMON_SMTP_PASSWORD"]
    assert config.load(default_settings(), environ=env).email.password == "from-file"


# ----------------------------------------------------------------- Dockerfile


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_dockerfile_runs_the_package_entry_point_as_a_non_root_user() -> None:
    steps = dockerfile()
    only = {word: args for word, args in steps}  # the last of each instruction counts
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [script] = project["project"]["scripts"]
    assert project["project"]["scripts"][script] == "monitor.cli:main"
    assert json.loads(only["ENTRYPOINT"]) == [script]
    assert_ecmon_command(json.loads(only["CMD"]))
    health = only["HEALTHCHECK"].split(" CMD ", 1)[1]
    [program, *args] = json.loads(health)
    assert program == script
    assert_ecmon_command(args)
    assert re.fullmatch(r"python:3\.11-slim", only["FROM"])
    assert project["project"]["requires-python"] == ">=3.11"
    user = only["USER"].split(":")[0]
    assert user not in ("root", "0")
    order = [word for word, _ in steps]
    assert order.index("USER") < order.index("ENTRYPOINT")  # the process never runs as root
    env = dict(re.findall(r"(\w+)=(\S+)", only["ENV"]))
    assert env["ECMON_DB"] == DB_PATH and env["ECMON_CONFIG"] == CONFIG_PATH
    assert f"{Path(VENV_ECMON).parent}:$PATH" in env["PATH"]


def test_dockerfile_copies_files_that_exist() -> None:
    copies = [args.split() for word, args in dockerfile() if word == "COPY"]
    assert copies
    for *sources, _target in copies:
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    copied = {s for *sources, _ in copies for s in sources}
    # setup.py maps templates/ and fixtures/ into the package, so the build needs all three.
    assert {"monitor", "templates", "fixtures", "setup.py", "pyproject.toml"} <= copied
    install = next(args for word, args in dockerfile() if word == "RUN" and "pip install" in args)
    assert "pip install ." in install and "--editable" not in install  # a real install


# ----------------------------------------------------------------- YAML


def yaml_documents(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def test_compose_file_builds_the_dockerfile_and_runs_the_daemon() -> None:
    [compose] = yaml_documents(DEPLOY / "compose.yaml")
    service = compose["services"]["ecmon"]
    context = (DEPLOY / service["build"]["context"]).resolve()
    assert context == ROOT and (context / service["build"]["dockerfile"]).is_file()
    assert_ecmon_command(service["command"])
    assert service["command"] == ["daemon"] and service["init"] is True
    for volume in service["volumes"]:
        source = volume.split(":")[0]
        assert source in compose["volumes"] or (DEPLOY / source).is_file(), volume
    assert f"./ecmon.compose.toml:{CONFIG_PATH}:ro" in service["volumes"]
    for env_file in service["env_file"]:
        assert (DEPLOY / env_file).is_file()
    assert "mail" in compose["services"] and service["depends_on"] == ["mail"]


def test_kubernetes_cronjobs_run_valid_commands_safely() -> None:
    documents = yaml_documents(DEPLOY / "kubernetes" / "cronjob.yaml")
    jobs = [d for d in documents if d["kind"] == "CronJob"]
    claims = {d["metadata"]["name"] for d in documents if d["kind"] == "PersistentVolumeClaim"}
    config_maps = {d["metadata"]["name"]: d for d in documents if d["kind"] == "ConfigMap"}
    assert {j["metadata"]["name"] for j in jobs} == {"ecmon-run", "ecmon-digest"}
    for job in jobs:
        assert job["apiVersion"] == "batch/v1"
        spec = job["spec"]
        assert spec["concurrencyPolicy"] == "Forbid"
        scheduler.trigger_for(spec["schedule"], ZoneInfo("UTC"))  # 5 valid fields
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
        [container] = pod["containers"]
        assert_ecmon_command(container["args"])
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["ECMON_DB"] == DB_PATH and env["ECMON_CONFIG"] == CONFIG_PATH
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["data"]["persistentVolumeClaim"]["claimName"] in claims
        assert volumes["config"]["configMap"]["name"] in config_maps
    [run_job] = [j for j in jobs if j["metadata"]["name"] == "ecmon-run"]
    assert run_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "daemon",
        "--once",
    ]
    [config_map] = config_maps.values()
    embedded = tomllib.loads(config_map["data"]["config.toml"])
    assert embedded["email"]["recipients"]


def test_kubernetes_embedded_config_loads(tmp_path: Path) -> None:
    documents = yaml_documents(DEPLOY / "kubernetes" / "cronjob.yaml")
    [config_map] = [d for d in documents if d["kind"] == "ConfigMap"]
    path = tmp_path / "config.toml"
    path.write_text(config_map["data"]["config.toml"], encoding="utf-8")
    plans_without_error(load(path))


def test_litestream_replicates_the_database_the_deployments_use() -> None:
    [doc] = yaml_documents(DEPLOY / "litestream.yml")
    [database] = doc["dbs"]
    assert database["path"] == DB_PATH
    [replica] = database["replicas"]
    assert replica["type"] == "s3" and replica["bucket"] and replica["path"]


# ----------------------------------------------------------------- systemd


def unit_sections(path: Path) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
        else:
            key, _, value = line.partition("=")
            sections[current][key] = value
    return sections


def test_systemd_units_run_ecmon_commands_as_the_ecmon_user() -> None:
    services = [p for p in SYSTEMD if p.suffix == ".service"]
    assert {p.name for p in services} == {
        "ecmon.service", "ecmon-run.service", "ecmon-digest.service",
    }  # fmt: skip
    for path in services:
        service = unit_sections(path)["Service"]
        program, *args = shlex.split(service["ExecStart"])
        assert program == VENV_ECMON
        assert_ecmon_command(args)
        assert service["User"] == "ecmon" and service["StateDirectory"] == "ecmon"
        assert service["EnvironmentFile"] == "/etc/ecmon/ecmon.env"
    daemon = unit_sections(DEPLOY / "systemd" / "ecmon.service")["Service"]
    assert daemon["KillSignal"] == "SIGTERM" and int(daemon["TimeoutStopSec"]) >= 60
    for timer in (p for p in SYSTEMD if p.suffix == ".timer"):
        assert (timer.parent / f"{timer.stem}.service").is_file()  # a timer starts its service


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not here")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    ecmon = shutil.which("ecmon") or str(ROOT / ".venv" / "bin" / "ecmon")
    if not Path(ecmon).exists():
        pytest.skip("no ecmon executable to stand in for /opt/ecmon/.venv/bin/ecmon")
    for path in SYSTEMD:  # verify checks ExecStart= exists: point it at this install
        text = path.read_text(encoding="utf-8").replace(VENV_ECMON, ecmon)
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    units = [str(tmp_path / p.name) for p in SYSTEMD]
    result = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    # Unknown keys are only warnings to systemd: treat any remark on our files as an error.
    remarks = [line for line in result.stderr.splitlines() if str(tmp_path) in line]
    assert remarks == [], remarks
