"""Reading the analyst's files: the watchlist and the sector overrides (the only I/O of the
analysis; the matching and tagging stay pure in ``watchlist`` and ``sectors``).

Watchlist, TOML (``.toml``)::

    [[entry]]
    ref = "CP-0042"                          # your own reference (required, unique)
    name = "Fudan Microelectronics Grp"      # required
    aliases = ["复旦微电子", "FMSH"]           # optional, any script
    country = "CN"                           # optional ISO-2
    note = "supplier of smart-card ICs"      # optional, shown with hits

or CSV (``.csv``, UTF-8, header ``ref,name,aliases,country,note``; aliases separated by
``;``). Sector overrides, TOML: ``[[override]]`` tables (see ``sectors.parse_overrides``)::

    [[override]]
    source = "us_csl_entity_list"            # optional: every source when left out
    key = "hong-kong-suochen-information-technology|HK"
    set = ["industrial_software"]            # or add = [...] / remove = [...]
    note = "confirmed from the company's filing"
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Sequence
from pathlib import Path

from monitor.analysis.sectors import Override, Taxonomy, parse_overrides
from monitor.analysis.watchlist import WatchEntry
from monitor.errors import ConfigError

_CSV_COLUMNS = ("ref", "name", "aliases", "country", "note")


def read_watchlist(path: Path) -> tuple[WatchEntry, ...]:
    """The entries of a watchlist file (TOML or CSV, by extension)."""
    rows: Sequence[object]
    if path.suffix.lower() == ".csv":
        rows = _csv_rows(path)
    else:
        table = _toml(path).get("entry", [])
        if not isinstance(table, list):
            raise ConfigError(f"watchlist {path}: 'entry' must be an array of tables ([[entry]])")
        rows = table
    entries = tuple(_entry(row, path, index) for index, row in enumerate(rows, start=1))
    refs = [e.ref for e in entries]
    duplicate = next((r for r in refs if refs.count(r) > 1), None)
    if duplicate is not None:
        raise ConfigError(f"watchlist {path}: ref {duplicate!r} is used twice")
    return entries


def read_overrides(path: Path, taxonomy: Taxonomy) -> tuple[Override, ...]:
    """The sector overrides in ``path``."""
    return parse_overrides(_toml(path), taxonomy, origin=str(path))


def _entry(row: object, path: Path, index: int) -> WatchEntry:
    where = f"watchlist {path}: entry {index}"
    if not isinstance(row, dict):
        raise ConfigError(f"{where} is not a table")
    unknown = set(row) - set(_CSV_COLUMNS)
    if unknown:
        raise ConfigError(f"{where}: unknown fields {', '.join(sorted(unknown))}")
    ref, name = str(row.get("ref", "")).strip(), str(row.get("name", "")).strip()
    if not ref or not name:
        raise ConfigError(f"{where} needs a 'ref' and a 'name'")
    aliases = row.get("aliases", [])
    if isinstance(aliases, str):
        aliases = [a.strip() for a in aliases.split(";")]
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ConfigError(f"{where}: 'aliases' must be a list of names")
    return WatchEntry(
        ref=ref,
        name=name,
        aliases=tuple(a for a in aliases if a),
        country=str(row.get("country", "")).strip().upper(),
        note=str(row.get("note", "")).strip(),
    )


def _csv_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"ref", "name"} <= set(reader.fieldnames):
                raise ConfigError(f"watchlist {path}: the CSV header needs at least ref,name")
            return [{k: v for k, v in row.items() if k and v} for row in reader]
    except OSError as exc:
        raise ConfigError(f"watchlist {path} cannot be read: {exc}") from exc


def _toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from exc
