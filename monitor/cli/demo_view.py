"""What ``ecmon demo`` prints around the change document: the opening screen and its database.

The demo's database is kept in a known place and named on screen, so the commands it
suggests work as printed. Running the demo again replaces a previous demo's database
(every run in it fetched from 127.0.0.1) instead of diffing the fixtures against
themselves, which would read as a suspect shrink; a database with anything else in it is
refused and left untouched.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from monitor.cli.story import BIS_LISTS, SHORT_SOURCE, story_lines
from monitor.enrich import links_report
from monitor.errors import ConfigError
from monitor.models import StoredChange
from monitor.store import Store

DEMO_ORIGIN = "http://127.0.0.1:"
_KINDS = (("added", "+"), ("modified", "~"), ("removed", "−"))


def fresh_demo_database(path: Path) -> str:
    """Make ``path`` ready for a new demo; a line saying what was done ("" for a new file)."""
    if not path.exists():
        return ""
    with Store.open(path) as store:
        runs = store.runs(limit=1_000_000)
    if not runs:
        return ""
    foreign = [r for r in runs if not str(r.get("url") or "").startswith(DEMO_ORIGIN)]
    if foreign:
        raise ConfigError(
            f"{path} holds {len(foreign)} runs that did not come from the demo (e.g."
            f" {foreign[0]['source']} from {foreign[0]['url']}): the demo writes only to a new"
            " database or a previous demo's; pass --db with another path"
        )
    for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    return f"(replaced the previous demo in {path}: {len(runs)} runs)"


def opening(store: Store, changes: Sequence[StoredChange], path: Path, replaced: str) -> str:
    """The story, the counts (each entity once) and where the database is, then a blank line."""
    report = links_report(store)
    lines = ["What the demo's fixtures show (real excerpts of September 2025)", ""]
    lines += story_lines(report.links, report.chains, changes)
    lines += ["", "Counts, each entity once: " + counts_line(changes)]
    db = shlex.quote(str(path))
    lines.append(f"Database {db}{' ' + replaced if replaced else ''}; next:")
    lines.append(
        f"  ecmon --db {db} links · ecmon --db {db} digest --format html --output digest.html"
    )
    return "\n".join(lines) + "\n"


def counts_line(changes: Sequence[StoredChange]) -> str:
    """Per list: BIS lists by entity key across CSL and eCFR, the rest per source."""
    parts = []
    bis = [c for c in changes if c.provenance.source in BIS_LISTS]
    if bis:
        reporters = " and ".join(
            SHORT_SOURCE[s] for s in BIS_LISTS if any(c.provenance.source == s for c in bis)
        )
        parts.append(f"BIS lists {_kinds(bis)} (reported by {reporters})")
    others: dict[str, list[StoredChange]] = {}
    for change in changes:
        if change.provenance.source not in BIS_LISTS:
            others.setdefault(change.provenance.source, []).append(change)
    names = {
        "us_federal_register": "Federal Register",
        "cn_mofcom_announcements": "MOFCOM",
        "cn_mfa_countermeasures": "MFA",
    }
    for source, group in others.items():
        entries = [c for c in group if c.change.list_name != "action"]
        acts = [c for c in group if c.change.list_name == "action"]
        said = [_counted(entries, "entry", "entries")] if entries else []
        said += [_counted(acts, "act", "acts")] if acts else []
        parts.append(f"{names.get(source, source)} {', '.join(said)}")
    return " · ".join(parts) or "no changes"


def _counted(changes: Sequence[StoredChange], one: str, many: str) -> str:
    """"+12 entries", "+1 act": the word agrees with a single count."""
    kinds = _kinds(changes)
    return f"{kinds} {one if kinds in ('+1', '~1', '−1') else many}"


def _kinds(changes: Sequence[StoredChange]) -> str:
    """"+11 ~1 −1": distinct keys per kind, so one entity in two sources counts once."""
    found = []
    for kind, sign in _KINDS:
        keys = {c.change.key for c in changes if c.change.kind == kind}
        if keys:
            found.append(f"{sign}{len(keys)}")
    return " ".join(found)
