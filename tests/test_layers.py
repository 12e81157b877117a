"""Walk the package's imports: lower layers never import higher ones, and each
third-party library is used from one place only (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"

# Rank of each module (by its dotted name under monitor, or its sub-package).
LAYERS: dict[str, int] = {
    "errors": 0,
    "models": 0,
    "keys": 0,
    "config": 1,
    "diff": 1,
    "gate": 1,
    "changeset": 1,
    "actions": 1,
    "sectors": 1,
    "taxonomy": 1,
    "linkage": 1,
    "linkage_events": 1,
    "linkage_chains": 1,
    "namematch": 1,
    "nameindex": 1,
    "watchlist": 1,
    "watchlist_file": 1,
    "digest_model": 1,
    "digest_actions": 1,
    "digest_entities": 1,
    "digest_inputs": 3,
    "outbox": 3,
    "health": 1,
    "alerts": 3,
    "metrics": 3,
    "attribution": 1,
    "http": 2,
    "sources": 2,
    "store": 2,
    "fixture_server": 2,
    "pipeline": 3,
    "digest": 3,
    "notify": 3,
    "demo": 3,
    "asof": 3,
    "enrich": 3,
    "console": 3,
    "scheduler": 4,
    "cli": 4,
    "__main__": 5,
    "__init__": 0,
}
LIBRARY_HOMES = {
    "httpx": {"http"},
    "bs4": {"sources"},
    "lxml": {"sources"},
    "sqlite_utils": {"store"},
    "sqlite3": {"store"},
    "jinja2": {"digest"},
    "apscheduler": {"scheduler"},
    "click": {"cli"},
}


def module_unit(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    # The store may be split over store*.py modules and the CLI over cli*.py; each is one unit.
    for unit in ("store", "cli"):
        if rel.parts[0].startswith(unit):
            return unit
    return rel.parts[0]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "monitor":
                found.update(
                    f"monitor.{alias.name}"
                    for alias in node.names
                    if (PACKAGE / f"{alias.name}.py").exists() or (PACKAGE / alias.name).is_dir()
                )
    return found


def python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    missing = {module_unit(p) for p in python_files()} - LAYERS.keys()
    assert not missing, f"add these modules to LAYERS: {missing}"


def test_lower_layers_never_import_higher_ones() -> None:
    problems = []
    for path in python_files():
        unit = module_unit(path)
        for name in imports(path):
            parts = name.split(".")
            if parts[0] != "monitor" or len(parts) < 2:
                continue
            target = next((u for u in ("store", "cli") if parts[1].startswith(u)), parts[1])
            if LAYERS.get(target, 99) > LAYERS[unit]:
                problems.append(f"{path.name} ({unit}) imports {name}")
    assert not problems, problems


def test_each_library_lives_in_one_place() -> None:
    problems = []
    for path in python_files():
        unit = module_unit(path)
        for name in imports(path):
            lib = name.split(".")[0]
            if lib in LIBRARY_HOMES and unit not in LIBRARY_HOMES[lib]:
                problems.append(f"{path.relative_to(PACKAGE)} imports {lib}")
    assert not problems, problems
