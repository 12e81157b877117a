"""Configuration: one TOML file plus the environment, loaded once into a frozen tree.

This is the only module that reads ``os.environ``. Where each effective value
came from (default, file, environment, command line) is kept beside it so
``ecmon config show`` can say so.

Settings table (every setting, its default and how to set it; "file" is the TOML file):

=========================  ========================  =======================================
setting                    default                   set by, and meaning
=========================  ========================  =======================================
database                   <user data>/ecmon.db      file, env ``ECMON_DB``, ``--db``
max_shrink                 0.05                      file: share of records one run may
                                                     remove before it is held suspect
raw_keep                   10                        file: raw snapshots kept per source
                                                     (older keep hash and size only)
http.connect_timeout       10 s                      file ``[http]``
http.read_timeout          60 s                      file ``[http]``
http.total_timeout         900 s                     file: hard deadline of one attempt:
                                                     connect, status line, headers, 1xx
                                                     answers and body (a trickling or
                                                     stalling server is cut off)
http.retries               3                         file (connection errors, 5xx, 429)
http.backoff               1.0 s                     file (doubles on each retry)
http.max_retry_after       120 s                     file (longest Retry-After honoured)
http.max_bytes             150000000                 file (body cap, also decompressed)
http.max_redirects         5                         file
http.redirect_hosts        (none)                    file: hosts a redirect may lead to
                                                     besides the source URL's own origin
                                                     ("host", "host:port", "*.domain")
http.contact               (none)                    file, env ``ECMON_CONTACT``: an
                                                     e-mail address or URL put in the
                                                     User-Agent, so a publisher can reach
                                                     the operator (asked by US federal sites)
http.user_agent            ecmon/<version> (...)     file: replaces the whole header
http.ca_bundle             (system store)            file, env ``ECMON_CA_BUNDLE``
sources.<name>.enabled     per source                file ``[sources.<name>]``
sources.<name>.url         per source                file, env ``ECMON_<NAME>_URL`` (a
                                                     URL with credentials: env only; shown
                                                     and stored redacted, monitor.redact)
sources.<name>.lists       per source                file (CSL: EL, MEU, UVL, DPL)
sources.<name>.min_records per source                file (sanity gate lower bound)
sources.<name>.max_records per source                file (sanity gate upper bound)
sources.<name>.max_shrink  global max_shrink         file
gate.max_removed           250                       file ``[gate]``: records of one list
                                                     one run may remove (a file cut at a
                                                     row boundary loses its last rows)
gate.max_field_change      0.3                       file: share of a list that may change
                                                     the same field in one run
gate.max_blank             0.5                       file: share of a list whose field may
                                                     go blank in one run
gate.window_days           7                         file: window of cumulative removals,
                                                     since the last reviewed state
gate.max_window_shrink     0.1                       file: share of a list removed within
                                                     the window (at least max_shrink)
gate.min_changes           10                        file: records concerned before a
                                                     per-list check holds a snapshot
analysis.watchlist         (none)                    file: TOML/CSV of your counterparties
analysis.sector_overrides  (none)                    file: per-record sector corrections
analysis.link_window_days  14                        file: response window after a trigger
analysis.hit_threshold     0.85                      file: watchlist score that is a hit
digest.time                07:00                     file: when the daily digest is made
digest.timezone            UTC                       file (IANA name)
digest.subject_prefix      [ecmon]                   file
email.enabled              false                     file ``[email]``
email.host / port          localhost / 587           file
email.security             starttls                  file: starttls, tls or none
email.username             (none)                    file
email.password             (none)                    env ``ECMON_SMTP_PASSWORD`` or a
                                                     0600 file named by ``..._FILE``
email.sender               ecmon@localhost           file
email.heartbeat            false                     file: mail "no changes" too
email.recipients           (none)                    file ``[[email.recipients]]`` with
                                                     address, lists, countries, sectors
channels                   (none)                    file ``[[channels]]``: Apprise channels
                                                     (name, url_env, format, digests,
                                                     alerts, lists, countries, sectors);
                                                     each URL only from the environment
sources.<name>.schedule    per source                file: "every 3h", "every 30s" or a
                                                     crontab line ("0 * * * mon-fri")
daemon.jitter_seconds      120                       file ``[daemon]``
daemon.misfire_grace_...   900                       file
daemon.failure_threshold   3                         file: failed runs = "source broken"
daemon.stale_after_hours   48                        file: no good fetch for this long
daemon.alert_on_hit        true                      file: mail watchlist hits at once
daemon.heartbeat_url       (none)                    file: pinged after each good cycle
daemon.outbox_interval_..  60                        file: seconds between the daemon's
                                                     checks for due outbox messages
                                                     (retries follow the backoff)
=========================  ========================  =======================================

Secrets (SMTP passwords and the like) are read only from the environment.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TypedDict, TypeVar

from monitor import __version__
from monitor import config_rules as rules
from monitor.errors import ConfigError
from monitor.redact import has_secret, redact_url

APP_NAME = "ecmon"
DEFAULT_USER_AGENT = f"ecmon/{__version__} (export-control list change monitor)"


@dataclass(frozen=True)
class HttpSettings:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    total_timeout: float = 900.0  # hard deadline of one attempt, connect to last byte
    retries: int = 3
    backoff: float = 1.0
    max_retry_after: float = 120.0
    max_bytes: int = 150_000_000
    max_redirects: int = 5
    redirect_hosts: tuple[str, ...] = ()  # besides the source URL's origin (monitor.redirects)
    user_agent: str = ""  # empty: DEFAULT_USER_AGENT with the contact (agent())
    contact: str = ""  # e-mail or URL of the operator, shown to the publishers
    ca_bundle: str | None = None

    def agent(self) -> str:
        """The User-Agent header: the configured one verbatim, else ecmon's own naming the
        operator's contact when one is set."""
        if self.user_agent:
            return self.user_agent
        if not self.contact:
            return DEFAULT_USER_AGENT
        return f"{DEFAULT_USER_AGENT[:-1]}; contact: {self.contact})"


@dataclass(frozen=True)
class GateSettings:
    """The sanity gate's limits beyond ``max_shrink`` (``monitor.gate``), per list."""

    max_removed: int = 250  # far above any real BIS/MOFCOM removal, below a cut-off tail
    max_field_change: float = 0.3  # every name upper-cased is 100%
    max_blank: float = 0.5  # a column that goes empty in most rows
    window_days: float = 7.0  # cumulative removals since the last reviewed state...
    max_window_shrink: float = 0.1  # ...may not exceed this share of a list
    min_changes: int = 10  # a small list's routine edit is never held


@dataclass(frozen=True)
class AnalysisSettings:
    """Sector tags, countermeasure links and watchlist screening."""

    watchlist: str = ""  # TOML/CSV file of the user's counterparties
    sector_overrides: str = ""  # TOML file of per-record sector corrections
    link_window_days: int = 14  # how long after a trigger a response may come
    hit_threshold: float = 0.85  # watchlist score from which a match is a hit


@dataclass(frozen=True)
class Recipient:
    """One digest recipient and what they want to see (empty = everything)."""

    address: str
    lists: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmailSettings:
    """SMTP delivery. The password comes only from ECMON_SMTP_PASSWORD (or a file
    named by ECMON_SMTP_PASSWORD_FILE) and is never printed."""

    enabled: bool = False
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str = ""
    sender: str = "ecmon@localhost"
    timeout: float = 30.0
    heartbeat: bool = False  # send a "no changes" digest for an empty period
    recipients: tuple[Recipient, ...] = ()
    password: str | None = field(default=None, repr=False)


CHANNEL_FORMATS = ("text", "markdown", "html", "json")


@dataclass(frozen=True)
class ChannelSettings:
    """One Apprise channel (Slack, Teams, Telegram, ntfy, Matrix, a JSON webhook...): a
    name, the environment variable holding its URL (the URL carries the token, so it is
    never in the file), the format of what it is sent and what it gets."""

    name: str
    url_env: str
    format: str = "text"  # text | markdown | html | json (the digest's JSON document)
    digests: bool = True
    alerts: bool = True
    lists: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    url: str | None = field(default=None, repr=False)  # from ``url_env``; never printed

    def as_recipient(self) -> Recipient:
        """The channel as the digest filters see a recipient."""
        return Recipient(self.name, self.lists, self.countries, self.sectors)


@dataclass(frozen=True)
class DigestSettings:
    """When the daily digest is made and in which time zone."""

    time: str = "07:00"
    timezone: str = "UTC"
    subject_prefix: str = "[ecmon]"


@dataclass(frozen=True)
class SourceSettings:
    """One source's effective settings (registry defaults overlaid by config)."""

    name: str
    enabled: bool
    url: str
    lists: tuple[str, ...] = ()
    min_records: int = 1
    max_records: int = 1_000_000
    max_shrink: float | None = None
    options: Mapping[str, object] = field(default_factory=dict)
    schedule: str = ""  # daemon: "every 3h" / "every 2s" or a crontab line
    # Every list code this source's records carry (what ``lists`` and recipient filters
    # may name); empty: any.
    list_codes: tuple[str, ...] = ()
    # The source's own check of its options (raises ConfigError), run when settings load.
    check: Callable[[SourceSettings], object] | None = field(
        default=None, repr=False, compare=False
    )


@dataclass(frozen=True)
class DaemonSettings:
    """The scheduled daemon and its health alerts."""

    jitter_seconds: int = 120  # random delay per job run, so polls do not line up
    misfire_grace_seconds: int = 900  # a run this late (e.g. after a suspend) still runs
    failure_threshold: int = 3  # failed runs in a row that make a source "broken"
    stale_after_hours: float = 48.0  # no good fetch for this long also counts as broken
    alert_on_hit: bool = True  # mail at once when a watchlist hit appears
    heartbeat_url: str = ""  # pinged (GET) after each good cycle, e.g. a dead-man switch
    # How often the daemon's outbox job looks for due messages (a failed digest or alert is
    # retried when its backoff ends, not at the next digest time).
    outbox_interval_seconds: int = 60


@dataclass(frozen=True)
class Settings:
    config_path: Path | None
    database: Path
    max_shrink: float
    http: HttpSettings
    sources: Mapping[str, SourceSettings]
    origins: Mapping[str, str]
    analysis: AnalysisSettings = AnalysisSettings()
    raw_keep: int = 10
    email: EmailSettings = EmailSettings()
    digest: DigestSettings = DigestSettings()
    daemon: DaemonSettings = DaemonSettings()
    channels: tuple[ChannelSettings, ...] = ()
    gate: GateSettings = GateSettings()

    def source(self, name: str) -> SourceSettings:
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.sources)) or "none"
            raise ConfigError(f"unknown source {name!r}; known sources: {known}") from None

    def shrink_limit(self, name: str) -> float:
        own = self.source(name).max_shrink
        return self.max_shrink if own is None else own


def default_config_path() -> Path:
    import platformdirs  # only when no --config / ECMON_CONFIG names the file

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def starter_path() -> Path:
    """Where ``ecmon config init`` writes: $ECMON_CONFIG, else the user config dir."""
    given = os.environ.get("ECMON_CONFIG")
    return Path(given).expanduser() if given else default_config_path()


def default_database_path() -> Path:
    import platformdirs  # only when no --db / ECMON_DB / file setting names the database

    return Path(platformdirs.user_data_dir(APP_NAME)) / "ecmon.db"


def load(
    source_defaults: Mapping[str, SourceSettings],
    *,
    config_path: Path | None = None,
    database: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the frozen settings tree.

    Precedence, lowest first: built-in defaults, the TOML file, the environment,
    explicit arguments (the command line).
    """
    env = os.environ if environ is None else environ
    origins: dict[str, str] = {}
    path, explicit = _choose_config_path(config_path, env)
    data = _read_toml(path, required=explicit)
    file_origin = f"file {path}"

    db_path: Path | None = None
    origins["database"] = "default"
    if "database" in data:
        db_path = Path(str(data.pop("database"))).expanduser()
        origins["database"] = file_origin
    if env.get("ECMON_DB"):
        db_path = Path(env["ECMON_DB"]).expanduser()
        origins["database"] = "env ECMON_DB"
    if database is not None:
        db_path = database
        origins["database"] = "command line --db"
    if db_path is None:
        db_path = default_database_path()

    origins["raw_keep"] = file_origin if "raw_keep" in data else "default"
    raw_keep = int(_number(data.pop("raw_keep", 10), "raw_keep", path))
    origins["max_shrink"] = file_origin if "max_shrink" in data else "default"
    max_shrink = _number(data.pop("max_shrink", 0.05), "max_shrink", path)
    http = _load_http(data.pop("http", {}), env, path, origins)
    sources = _load_sources(source_defaults, data.pop("sources", {}), env, path, origins)
    analysis = _load_section(
        AnalysisSettings(), data.pop("analysis", {}), "analysis", path, origins
    )
    digest = _load_section(DigestSettings(), data.pop("digest", {}), "digest", path, origins)
    daemon = _load_section(DaemonSettings(), data.pop("daemon", {}), "daemon", path, origins)
    gate = _load_section(GateSettings(), data.pop("gate", {}), "gate", path, origins)
    email = _load_email(data.pop("email", {}), env, path, origins)
    channels = _load_channels(data.pop("channels", []), env, path, origins)
    if data:
        raise ConfigError(
            f"unknown settings in {path}: {', '.join(sorted(data))}; known: {', '.join(_TOP_KEYS)}"
        )
    settings = Settings(
        config_path=path if path.exists() else None,
        database=db_path,
        max_shrink=max_shrink,
        http=http,
        sources=MappingProxyType(sources),
        origins=MappingProxyType(origins),
        analysis=analysis,
        raw_keep=raw_keep,
        email=email,
        digest=digest,
        daemon=daemon,
        channels=channels,
        gate=gate,
    )
    _validate(settings)
    return settings


_TOP_KEYS = (
    "database",
    "max_shrink",
    "raw_keep",
    "http",
    "sources",
    "analysis",
    "digest",
    "daemon",
    "email",
    "channels",
    "gate",
)


def _validate(settings: Settings) -> None:
    """Every rule over every value, every source's own option check and the recipient
    filters; all problems in one ConfigError (file, key, value and what is allowed)."""
    problems = [*_rule_problems(settings), *_source_problems(settings)]
    problems += _recipient_problems(settings)
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(f"{len(problems)} problems:\n  " + "\n  ".join(problems))


def _values(settings: Settings) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = [
        ("max_shrink", settings.max_shrink),
        ("raw_keep", settings.raw_keep),
    ]
    for section in ("http", "analysis", "digest", "daemon", "email", "gate"):
        pairs += [(f"{section}.{k}", v) for k, v in vars(getattr(settings, section)).items()]
    for src in settings.sources.values():
        pairs += [
            (f"sources.{src.name}.{k}", getattr(src, k))
            for k in ("min_records", "max_records", "max_shrink", "schedule")
            if getattr(src, k) is not None
        ]
    return pairs


def _rule_problems(settings: Settings) -> list[str]:
    found = []
    for key, value in _values(settings):
        rule = rules.rule_for(key)
        if rule is not None and not rule.check(value):
            origin = settings.origins.get(key, "default")
            found.append(f"{key} = {value!r} ({origin}): must be {rule.allowed}")
    return found


def _source_problems(settings: Settings) -> list[str]:
    found = []
    for src in settings.sources.values():
        where = settings.config_path or "defaults"
        if src.list_codes and (bad := rules.unknown(src.lists, src.list_codes)):
            found.append(
                f"sources.{src.name}.lists in {where}: unknown list(s) {', '.join(bad)}; "
                f"allowed: {', '.join(src.list_codes)}"
            )
        if src.check is not None:
            try:
                src.check(src)
            except ConfigError as error:
                found.append(f"sources.{src.name} in {where}: {error.message}")
    return found


_FILTER_KEYS = ("lists", "sectors", "countries")


def filter_values(settings: Settings, keys: Iterable[str] = _FILTER_KEYS) -> dict[str, list[str]]:
    """What a filter by list, sector or country may name (a recipient's, ``diff``'s); only
    the ``keys`` asked for are worked out."""
    return {key: _allowed(settings, key) for key in keys}


def _allowed(settings: Settings, key: str) -> list[str]:
    """One filter's allowed values. Sectors compile the whole taxonomy and countries load
    pycountry, so each is asked for only when some filter names one (see _recipient_problems)."""
    if key == "lists":
        codes = {"action"} | {c.lower() for s in settings.sources.values() for c in s.list_codes}
        return [*sorted(codes), *sorted(settings.sources)]
    if key == "sectors":
        from monitor.analysis.taxonomy import default_taxonomy  # hundreds of cue regexes

        return sorted(default_taxonomy().ids())
    return sorted(rules.country_codes())


def _recipient_problems(settings: Settings) -> list[str]:
    found = []
    who = [(f"email.recipients {r.address}", r) for r in settings.email.recipients]
    who += [(f"channels.{c.name}", c.as_recipient()) for c in settings.channels]
    known: dict[str, list[str]] = {}  # filled on first use: a run without filters loads none
    for label, recipient in who:
        for key in _FILTER_KEYS:
            named = getattr(recipient, key)
            if not named:
                continue
            if key not in known:
                known[key] = _allowed(settings, key)
            allowed = known[key]
            for value in rules.unknown(named, allowed):
                hint = rules.country_hint(value) if key == "countries" else ""
                shown = "ISO 3166 two-letter codes" if key == "countries" else ", ".join(allowed)
                found.append(
                    f"{label} in {settings.config_path}: "
                    f"{key} {value!r} is unknown{hint}; allowed: {shown}"
                )
    return found


def _choose_config_path(given: Path | None, env: Mapping[str, str]) -> tuple[Path, bool]:
    if given is not None:
        return given, True
    if env.get("ECMON_CONFIG"):
        return Path(env["ECMON_CONFIG"]).expanduser(), True
    return default_config_path(), False


def _read_toml(path: Path, *, required: bool) -> dict[str, object]:
    if not path.exists():
        if required:
            raise ConfigError(f"config file not found: {path}")
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from exc


def _number(value: object, name: str, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name} in {path} must be a number, got {value!r}")
    return float(value)


def _load_http(
    table: object, env: Mapping[str, str], path: Path, origins: dict[str, str]
) -> HttpSettings:
    """The [http] table (the generic section rules), then ECMON_CA_BUNDLE over it."""
    http = _load_section(HttpSettings(), table, "http", path, origins)
    if env.get("ECMON_CONTACT"):
        origins["http.contact"] = "env ECMON_CONTACT"
        http = replace(http, contact=env["ECMON_CONTACT"])
    _check_contact(http.contact, path)
    if env.get("ECMON_CA_BUNDLE"):
        origins["http.ca_bundle"] = "env ECMON_CA_BUNDLE"
        return replace(http, ca_bundle=env["ECMON_CA_BUNDLE"])
    return http


_CONTACT = re.compile(r"[^@\s()]+@[^@\s()]+\.[^@\s()]+|https?://[^\s()]+")


def _check_contact(contact: str, path: Path) -> None:
    """A contact goes into a header: one e-mail address or http(s) URL, nothing else."""
    if contact and not _CONTACT.fullmatch(contact):
        raise ConfigError(
            f"http.contact in {path} must be an e-mail address or an http(s) URL,"
            f" got {contact!r}"
        )


_T = TypeVar("_T")


def _load_section(
    defaults: _T, table: object, name: str, path: Path, origins: dict[str, str]
) -> _T:
    """Overlay a TOML table on a frozen dataclass of defaults, checking each value's type
    against the default's (numbers, text, true/false, lists of text)."""
    if not isinstance(table, dict):
        raise ConfigError(f"[{name}] in {path} must be a table")
    values: dict[str, object] = {}
    for key, value in table.items():
        if not hasattr(defaults, key) or key == "password":
            raise ConfigError(f"unknown setting {name}.{key} in {path}")
        values[key] = _typed(getattr(defaults, key), value, f"{name}.{key}", path)
        _in_range(f"{name}.{key}", values[key], path)
        origins[f"{name}.{key}"] = f"file {path}"
    for key in vars(defaults):
        origins.setdefault(f"{name}.{key}", "default")
    return replace(defaults, **values)  # type: ignore[type-var]


# The lowest value (and whether it may be equal) of each numeric setting of the generic
# sections: a value outside is a ConfigError at load (exit 2), not a failed run later
# (``retries = -1`` ended in an AssertionError, ``read_timeout = 0`` in every fetch failing).
_AT_LEAST: dict[str, tuple[float, bool]] = {
    "http.connect_timeout": (0, False),
    "http.read_timeout": (0, False),
    "http.total_timeout": (0, False),
    "http.retries": (0, True),
    "http.backoff": (0, True),
    "http.max_retry_after": (0, True),
    "http.max_bytes": (1, True),
    "http.max_redirects": (0, True),
    "email.port": (1, True),
    "email.timeout": (0, False),
    "daemon.jitter_seconds": (0, True),
    "daemon.misfire_grace_seconds": (1, True),
    "daemon.failure_threshold": (1, True),
    "daemon.stale_after_hours": (0, False),
    "daemon.outbox_interval_seconds": (1, True),
}


def _in_range(name: str, value: object, path: Path) -> None:
    bound = _AT_LEAST.get(name)
    if bound is None or not isinstance(value, int | float) or isinstance(value, bool):
        return
    low, equal = bound
    ok = value >= low if equal else value > low  # NaN fails both
    if not ok or value != value or value in (float("inf"), float("-inf")):
        relation = "at least" if equal else "greater than"
        raise ConfigError(f"{name} in {path} must be {relation} {low:g}, got {value!r}")


def _typed(default: object, value: object, name: str, path: Path) -> object:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} in {path} must be true or false")
        return value
    if isinstance(default, int | float):
        number = _number(value, name, path)
        return int(number) if isinstance(default, int) else number
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name} in {path} must be a list of text")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{name} in {path} must be text, got {value!r}")
    return value


def _load_email(
    table: object, env: Mapping[str, str], path: Path, origins: dict[str, str]
) -> EmailSettings:
    raw = dict(table) if isinstance(table, dict) else table
    recipients_raw = raw.pop("recipients", []) if isinstance(raw, dict) else []
    email = _load_section(EmailSettings(), raw, "email", path, origins)
    recipients = tuple(_recipient(item, path) for item in _list_of_tables(recipients_raw, path))
    if recipients:
        origins["email.recipients"] = f"file {path}"
    return replace(email, recipients=recipients, password=_secret(env, "ECMON_SMTP_PASSWORD"))


def _list_of_tables(value: object, path: Path) -> list[dict[str, object]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(
            f"email.recipients in {path} must be a list of tables ([[email.recipients]])"
        )
    return [dict(v) for v in value]


def _recipient(item: dict[str, object], path: Path) -> Recipient:
    address = item.pop("address", None)
    if not isinstance(address, str) or "@" not in address:
        raise ConfigError(f"each [[email.recipients]] in {path} needs an address")
    return Recipient(
        address=address,
        **{
            k: tuple(str(v).upper() if k == "countries" else str(v) for v in vals)
            for k, vals in _section_lists(item, path).items()
        },
    )


def _section_lists(item: dict[str, object], path: Path) -> dict[str, list[object]]:
    allowed = {"lists", "countries", "sectors"}
    unknown = set(item) - allowed
    if unknown:
        raise ConfigError(f"unknown recipient setting(s) in {path}: {', '.join(sorted(unknown))}")
    lists: dict[str, list[object]] = {}
    for key, vals in item.items():
        if not isinstance(vals, list):
            raise ConfigError(f"recipient {key} in {path} must be a list")
        lists[key] = vals
    return lists


_CHANNEL_KEYS = {"name", "url_env", "format", "digests", "alerts", "lists", "countries", "sectors"}
_CHANNEL_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def _load_channels(
    value: object, env: Mapping[str, str], path: Path, origins: dict[str, str]
) -> tuple[ChannelSettings, ...]:
    """The ``[[channels]]`` tables. A channel's Apprise URL is read from the environment
    variable ``url_env`` names (default ``ECMON_CHANNEL_<NAME>_URL``); a URL written in the
    file is refused: Apprise URLs carry their tokens and passwords."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"channels in {path} must be a list of tables ([[channels]])")
    found: list[ChannelSettings] = []
    for item in value:
        channel = _channel(dict(item), env, path)  # a copy: _channel pops what it reads
        if channel.name in {c.name for c in found}:
            raise ConfigError(f"channels in {path}: two channels are named {channel.name!r}")
        origins[f"channels.{channel.name}"] = f"file {path}"
        found.append(channel)
    return tuple(found)


def _channel(item: dict[str, object], env: Mapping[str, str], path: Path) -> ChannelSettings:
    name = item.pop("name", None)
    if not isinstance(name, str) or not _CHANNEL_NAME.fullmatch(name) or name == "email":
        raise ConfigError(
            f"each [[channels]] in {path} needs a name: lower-case letters, digits, - or _"
            f" (not 'email', which is the [email] channel), got {name!r}"
        )
    where = f"channels.{name} in {path}"
    if "url" in item:
        default = f"ECMON_CHANNEL_{name.upper().replace('-', '_')}_URL"
        raise ConfigError(
            f"{where}: url is not read from the file (an Apprise URL carries its token or"
            f" password): put it in an environment variable and name that variable with"
            f' url_env = "{default}" (or leave url_env out: that name is the default)'
        )
    unknown = sorted(set(item) - _CHANNEL_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting(s) {', '.join(unknown)}; allowed: "
            + ", ".join(sorted(_CHANNEL_KEYS))
        )
    url_env = item.pop("url_env", f"ECMON_CHANNEL_{name.upper().replace('-', '_')}_URL")
    if not isinstance(url_env, str) or not _ENV_NAME.fullmatch(url_env):
        raise ConfigError(
            f"{where}: url_env must name an environment variable (A-Z, 0-9, _), got {url_env!r}"
        )
    fmt = item.pop("format", "text")
    if not isinstance(fmt, str) or fmt not in CHANNEL_FORMATS:
        allowed = ", ".join(CHANNEL_FORMATS)
        raise ConfigError(f"{where}: format {fmt!r} is unknown; allowed: {allowed}")
    flags: dict[str, bool] = {}
    for key in ("digests", "alerts"):
        flag = item.pop(key, True)
        if not isinstance(flag, bool):
            raise ConfigError(f"{where}: {key} must be true or false")
        flags[key] = flag
    filters = {
        k: tuple(str(v).upper() if k == "countries" else str(v) for v in vals)
        for k, vals in _section_lists(item, path).items()
    }
    return ChannelSettings(
        name=name, url_env=url_env, format=fmt, digests=flags["digests"],
        alerts=flags["alerts"], url=env.get(url_env) or None, **filters,
    )  # fmt: skip


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """A secret from the environment, or from the file ``<name>_FILE`` names.

    The file must not be readable by group or others: a secret in a world-readable
    file is refused rather than used.
    """
    if env.get(name):
        return env[name]
    file_name = env.get(f"{name}_FILE")
    if not file_name:
        return None
    secret_path = Path(file_name)
    try:
        mode = secret_path.stat().st_mode
        if mode & 0o077:
            raise ConfigError(f"{name}_FILE {secret_path} is readable by others (chmod 600 it)")
        return secret_path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE {secret_path} cannot be read: {exc}") from exc


_SOURCE_KEYS = {"enabled", "url", "lists", "min_records", "max_records", "max_shrink", "schedule"}


class _SourceChanges(TypedDict, total=False):
    """What a [sources.NAME] table (and the environment) changes of a source's defaults."""

    enabled: bool
    url: str
    lists: tuple[str, ...]
    min_records: int
    max_records: int
    max_shrink: float
    schedule: str
    options: Mapping[str, object]


def _load_sources(
    defaults: Mapping[str, SourceSettings],
    table: object,
    env: Mapping[str, str],
    path: Path,
    origins: dict[str, str],
) -> dict[str, SourceSettings]:
    if not isinstance(table, dict):
        raise ConfigError(f"[sources] in {path} must be a table")
    unknown = set(table) - set(defaults)
    if unknown:
        raise ConfigError(
            f"unknown source(s) in {path}: {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(defaults))}"
        )
    result: dict[str, SourceSettings] = {}
    for name, base in defaults.items():
        own = table.get(name, {})
        if not isinstance(own, dict):
            raise ConfigError(f"[sources.{name}] in {path} must be a table")
        result[name] = _overlay_source(base, dict(own), env, path, origins)
    return result


def _overlay_source(
    base: SourceSettings,
    own: dict[str, object],
    env: Mapping[str, str],
    path: Path,
    origins: dict[str, str],
) -> SourceSettings:
    prefix = f"sources.{base.name}"
    changes: _SourceChanges = {}
    for key in list(own):
        if key not in _SOURCE_KEYS:
            continue
        value = own.pop(key)
        changes.update(_check_source_value(key, value, prefix, path))
        origins[f"{prefix}.{key}"] = f"file {path}"
    env_url = env.get(f"ECMON_{base.name.upper()}_URL")
    if env_url:
        changes["url"] = env_url
        origins[f"{prefix}.url"] = f"env ECMON_{base.name.upper()}_URL"
    unknown = sorted(set(own) - set(base.options))
    if unknown:
        allowed = ", ".join(sorted({*_SOURCE_KEYS, *base.options}))
        raise ConfigError(
            f"unknown setting(s) {', '.join(f'{prefix}.{k}' for k in unknown)} in {path}; "
            f"allowed: {allowed}"
        )
    if own:
        changes["options"] = MappingProxyType({**base.options, **own})
        for key in own:
            origins[f"{prefix}.{key}"] = f"file {path}"
    for key in (*_SOURCE_KEYS, *base.options):
        origins.setdefault(f"{prefix}.{key}", "default")
    return replace(base, **changes)


def _check_source_value(key: str, value: object, prefix: str, path: Path) -> _SourceChanges:
    if key == "enabled":
        if not isinstance(value, bool):
            raise ConfigError(f"{prefix}.enabled in {path} must be true or false")
        return {"enabled": value}
    if key == "schedule":
        if not isinstance(value, str):
            raise ConfigError(f"{prefix}.schedule in {path} must be text like 'every 3h'")
        return {"schedule": value.strip()}
    if key == "url":
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            raise ConfigError(f"{prefix}.url in {path} must be an http(s) URL, got {value!r}")
        if has_secret(value):  # secrets come from the environment only
            env = f"ECMON_{prefix.split('.', 1)[1].upper()}_URL"
            raise ConfigError(
                f"{prefix}.url in {path} carries credentials ({redact_url(value)}):"
                f" give the URL in the environment variable {env} instead"
            )
        return {"url": value}
    if key == "lists":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{prefix}.lists in {path} must be a list of names")
        return {"lists": tuple(v.upper() for v in value)}
    if key in ("min_records", "max_records"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{prefix}.{key} in {path} must be a whole number >= 0")
        return {"min_records": value} if key == "min_records" else {"max_records": value}
    return {"max_shrink": _number(value, f"{prefix}.max_shrink", path)}


def effective_items(settings: Settings) -> list[tuple[str, str, str]]:
    """(setting, value, origin) rows for ``ecmon config show``; secrets never appear here."""
    rows: list[tuple[str, str, str]] = [
        ("config_file", str(settings.config_path or "(none found)"), "ECMON_CONFIG / --config"),
        ("database", str(settings.database), settings.origins["database"]),
        ("max_shrink", str(settings.max_shrink), settings.origins["max_shrink"]),
        ("raw_keep", str(settings.raw_keep), settings.origins.get("raw_keep", "default")),
    ]
    for name, value in vars(settings.http).items():
        if name == "user_agent":
            value = settings.http.agent()  # the header as sent, not the empty default
        rows.append((f"http.{name}", str(value), settings.origins.get(f"http.{name}", "default")))
    for section in ("analysis", "digest", "daemon", "email", "gate"):
        for name, value in vars(getattr(settings, section)).items():
            if name == "password":
                value = "(set)" if value else "(not set)"
            elif name == "recipients":
                value = ", ".join(r.address for r in value) or "(none)"
            origin = settings.origins.get(f"{section}.{name}", "default")
            if name == "password":
                origin = "env ECMON_SMTP_PASSWORD / ECMON_SMTP_PASSWORD_FILE"
            rows.append((f"{section}.{name}", str(value), origin))
    for ch in settings.channels:
        origin = settings.origins.get(f"channels.{ch.name}", "default")
        shown = "(set)" if ch.url else "(NOT SET)"
        rows.append((f"channels.{ch.name}.url", shown, f"env {ch.url_env}"))
        for key in ("format", "digests", "alerts", "lists", "countries", "sectors"):
            value = getattr(ch, key)
            text = ",".join(value) if isinstance(value, tuple) else str(value)
            rows.append((f"channels.{ch.name}.{key}", text, origin))
    for src in settings.sources.values():
        prefix = f"sources.{src.name}"
        plain: dict[str, object] = {
            "enabled": src.enabled,
            "url": redact_url(src.url),
            "lists": ",".join(src.lists),
            "min_records": src.min_records,
            "max_records": src.max_records,
            "max_shrink": settings.shrink_limit(src.name),
            "schedule": src.schedule,
            **src.options,
        }
        for key, value in plain.items():
            rows.append(
                (f"{prefix}.{key}", str(value), settings.origins.get(f"{prefix}.{key}", "default"))
            )
    return rows
