"""Configuration: precedence, validation and origins."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import config
from monitor.errors import ConfigError
from monitor.sources import default_settings

CSL = "us_csl_entity_list"


def load(tmp_path: Path, text: str | None = None, **env: str) -> config.Settings:
    path = tmp_path / "config.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
        env.setdefault("ECMON_CONFIG", str(path))
    environ = {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        **env,
    }
    return config.load(default_settings(), environ=environ)


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load(tmp_path)
    assert settings.source(CSL).enabled
    assert settings.source(CSL).url.startswith("https://data.trade.gov/")
    assert settings.source(CSL).lists == ("EL",)
    assert settings.max_shrink == 0.05
    assert settings.origins["database"] == "default"


def test_file_then_env_then_argument(tmp_path: Path) -> None:
    text = (
        f'database = "{tmp_path}/file.db"\n[sources.{CSL}]\n'
        'url = "http://127.0.0.1:9/x.csv"\nlists = ["el", "meu"]\n'
    )
    settings = load(tmp_path, text)
    assert settings.database == tmp_path / "file.db"
    assert settings.source(CSL).url == "http://127.0.0.1:9/x.csv"
    assert settings.source(CSL).lists == ("EL", "MEU")
    assert settings.origins[f"sources.{CSL}.url"].startswith("file ")
    settings = load(
        tmp_path,
        text,
        ECMON_DB=str(tmp_path / "env.db"),
        ECMON_US_CSL_ENTITY_LIST_URL="https://mirror.example/c.csv",
    )
    assert settings.database == tmp_path / "env.db"
    assert settings.source(CSL).url == "https://mirror.example/c.csv"
    assert settings.origins["database"] == "env ECMON_DB"
    explicit = config.load(
        default_settings(),
        config_path=tmp_path / "config.toml",
        database=tmp_path / "arg.db",
        environ={"ECMON_DB": "x"},
    )
    assert explicit.database == tmp_path / "arg.db"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("max_shrink = 2", "between 0 and 1"),
        ("[sources.nope]\nenabled = true", "unknown source"),
        (f"[sources.{CSL}]\nenabled = 'yes'", "true or false"),
        (f"[sources.{CSL}]\nurl = 'ftp://x'", "http(s) URL"),
        ("[http]\nretries = 'many'", "must be a number"),
        ("[http]\nbogus = 1", "unknown setting http.bogus"),
        ("surprise = 1", "unknown settings"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=r"config\.toml") as info:
        load(tmp_path, text)
    assert fragment in str(info.value)


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path, None, ECMON_CONFIG=str(tmp_path / "absent.toml"))


def test_effective_items_show_origins(tmp_path: Path) -> None:
    rows = {name: (value, origin) for name, value, origin in config.effective_items(load(tmp_path))}
    assert rows[f"sources.{CSL}.enabled"] == ("True", "default")
    assert "http.user_agent" in rows


def test_analysis_email_and_digest_sections(tmp_path: Path) -> None:
    text = (
        "[analysis]\nlink_window_days = 7\nhit_threshold = 0.9\nwatchlist = 'w.toml'\n"
        "[digest]\ntime = '06:30'\ntimezone = 'Europe/Brussels'\n"
        "[email]\nenabled = true\nhost = 'smtp.example'\nport = 465\nsecurity = 'tls'\n"
        "[[email.recipients]]\naddress = 'a@example.com'\ncountries = ['cn']\n"
        "[[email.recipients]]\naddress = 'b@example.com'\nsectors = ['semiconductors']\n"
    )
    settings = load(tmp_path, text, ECMON_SMTP_PASSWORD="s3cret-value")
    assert settings.analysis.link_window_days == 7
    assert settings.analysis.watchlist == "w.toml"
    assert settings.digest.timezone == "Europe/Brussels"
    assert settings.email.port == 465 and settings.email.security == "tls"
    assert [r.address for r in settings.email.recipients] == ["a@example.com", "b@example.com"]
    assert settings.email.recipients[0].countries == ("CN",)
    assert settings.email.password == "s3cret-value"
    shown = "\n".join(" ".join(row) for row in config.effective_items(settings))
    assert "s3cret-value" not in shown
    assert "email.password (set)" in shown
    assert "s3cret-value" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[email]\nsecurity = 'ssl3'", "starttls, tls or none"),
        ("[email]\npassword = 'inline'", "unknown setting email.password"),
        ("[[email.recipients]]\nname = 'x'", "needs an address"),
        ("[analysis]\nlink_window_days = 'two weeks'", "must be a number"),
    ],
)
def test_bad_sections_are_named(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert fragment in str(info.value)


def test_password_file_must_be_private(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("from-a-file\n")
    secret.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        load(tmp_path, ECMON_SMTP_PASSWORD_FILE=str(secret))
    secret.chmod(0o600)
    assert load(tmp_path, ECMON_SMTP_PASSWORD_FILE=str(secret)).email.password == "from-a-file"


# Issue 15: settings that used to pass silently now fail when the file is loaded, naming
# the file, the key and what is allowed.
@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            f"[sources.{CSL}]\nenabeld = false",
            [f"unknown setting(s) sources.{CSL}.enabeld", "allowed: enabled,"],
        ),
        (
            f"[sources.{CSL}]\nschedule = 'every three hours'",
            [f"sources.{CSL}.schedule = 'every three hours'", "'every <n>s|m|h|d'"],
        ),
        (f"[sources.{CSL}]\nschedule = '0 * * * 1-5'", ["weekdays as names"]),
        (f"[sources.{CSL}]\nschedule = '61 * * * mon'", ["crontab line"]),
        ("[digest]\ntime = '25:00'", ["digest.time = '25:00'", "HH:MM from 00:00 to 23:59"]),
        ("[digest]\ntimezone = 'Mars/Olympus'", ["digest.timezone = 'Mars/Olympus'", "IANA"]),
        (
            "[[email.recipients]]\naddress = 'a@example.com'\nsectors = ['semis']",
            ["a@example.com", "sectors 'semis' is unknown", "semiconductors"],
        ),
        (
            "[[email.recipients]]\naddress = 'a@example.com'\nlists = ['xyz']",
            [
                "lists 'xyz' is unknown",
                "allowed: action, dpl, ecl, el, meu, mfa, uel, uvl,"
                " cn_mfa_countermeasures, cn_mofcom",
            ],
        ),
        (
            "[[email.recipients]]\naddress = 'a@example.com'\ncountries = ['China']",
            ["countries 'CHINA' is unknown (did you mean CN?)", "ISO 3166"],
        ),
        (f"[sources.{CSL}]\nlists = ['EL', 'SDN']", ["unknown list(s) SDN", "EL, MEU, UVL, DPL"]),
        (
            "[sources.us_federal_register]\nper_page = 0",
            ["sources.us_federal_register", "per_page"],
        ),
        ("raw_keep = 0", ["raw_keep = 0", "at least 1"]),
    ],
)
def test_silent_settings_now_fail_at_load(tmp_path: Path, text: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError, match=r"config\.toml") as info:
        load(tmp_path, text)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = "[digest]\ntime = '25:00'\ntimezone = 'Mars/Olympus'\n[analysis]\nhit_threshold = 2"
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert message.startswith("3 problems:")
    for key in ("digest.time", "digest.timezone", "analysis.hit_threshold"):
        assert key in message


def test_valid_filters_schedules_and_zones_pass(tmp_path: Path) -> None:
    text = (
        f"[sources.{CSL}]\nschedule = '*/15 6-18 * jan-jun mon-fri'\n"
        "[digest]\ntime = '23:59'\ntimezone = 'Asia/Shanghai'\n"
        "[[email.recipients]]\naddress = 'china-desk@example.com'\n"
        "lists = ['ecl', 'UEL', 'action', 'us_federal_register']\n"
        "countries = ['cn', 'XK']\nsectors = ['semiconductors']\n"
    )
    settings = load(tmp_path, text)
    assert settings.email.recipients[0].countries == ("CN", "XK")
    assert settings.source(CSL).schedule.startswith("*/15")


def test_user_agent_names_the_project_and_the_operators_contact(tmp_path: Path) -> None:
    plain = load(tmp_path).http.agent()
    assert plain.startswith("ecmon/") and "example.invalid" not in plain
    assert "contact" not in plain
    filed = load(tmp_path, "[http]\ncontact = 'trade-desk@corp.test'\n").http.agent()
    assert filed.endswith("; contact: trade-desk@corp.test)")
    from_env = load(tmp_path, None, ECMON_CONTACT="https://corp.test/ecmon").http.agent()
    assert "contact: https://corp.test/ecmon" in from_env
    verbatim = load(tmp_path, "[http]\nuser_agent = 'mine/1'\ncontact = 'a@b.test'\n")
    assert verbatim.http.agent() == "mine/1"


@pytest.mark.parametrize("contact", ["not a contact", "a@b.test)\r\nX-Evil: 1"])
def test_contact_that_is_not_an_address_or_url_is_refused(tmp_path: Path, contact: str) -> None:
    with pytest.raises(ConfigError, match=r"http\.contact .*config\.toml"):
        load(tmp_path, f"[http]\ncontact = {contact!r}\n")
