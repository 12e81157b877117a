"""Walk the package's imports: lower layers never import higher ones, and each
third-party library is used from one place only (ARCHITECTURE.md); SQL stays in the
store and ``Any`` stays rare (issue 11)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"

# Rank of each unit: a top-level module of the spine, or a package under monitor/.
LAYERS: dict[str, int] = {
    "__init__": 0,
    "errors": 0,
    "text": 0,
    "redact": 0,
    "models": 0,
    "keys": 0,
    "resources": 0,
    "config": 1,
    "config_rules": 1,
    "diff": 1,
    "gate": 1,
    "redirects": 1,
    "changeset": 1,
    "actions": 1,
    "analysis": 1,
    "listdates": 1,
    "http": 2,
    "deadline": 2,
    "decoding": 1,
    "sources": 2,
    "store": 2,
    "locks": 2,
    "pipeline": 3,
    "incremental": 3,
    "review": 3,
    "asof": 3,
    "enrich": 3,
    "digest": 3,
    "notify": 3,
    "testing": 3,
    "export": 3,
    "daemon": 4,
    "cli": 5,
    "__main__": 6,
}
LIBRARY_HOMES = {
    "httpx": {"http", "deadline"},
    "httpcore": {"deadline"},
    "bs4": {"sources"},
    "lxml": {"sources"},
    "sqlite_utils": {"store"},
    "sqlite3": {"store"},
    "jinja2": {"digest"},
    "apscheduler": {"daemon"},
    "click": {"cli"},
    "apprise": {"notify"},
    "pycountry": {"config_rules"},
    "datasette": {"cli"},
}


def module_unit(path: Path) -> str:
    """The unit a file belongs to: its package under monitor/, or the spine module itself."""
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


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
            target = parts[1]
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


FAMILY_PREFIXES = ("store_", "cli_", "digest_", "linkage_", "mofcom_", "fr_", "ecfr_", "csl_")


def test_module_families_are_packages() -> None:
    """A family of modules is a folder, never a filename prefix."""
    flat = [p for p in python_files() if p.stem.startswith(FAMILY_PREFIXES)]
    assert not flat, [str(p.relative_to(PACKAGE)) for p in flat]


def test_only_the_store_holds_sql() -> None:
    sql_words = ("SELECT ", "INSERT INTO", "DELETE FROM", "CREATE TABLE", "UPDATE ")
    found = []
    for path in python_files():
        if module_unit(path) == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            if node.value.lstrip().upper().startswith(sql_words):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not found, found


# Issue 11: the package names ``Any`` fewer than 40 times (counted as
# ``grep -rwo Any monitor --include=*.py`` counts: every whole word, comments included).
MAX_ANY = 40
_ANY = re.compile(r"(?<![A-Za-z0-9_])Any(?![A-Za-z0-9_])")


def test_the_package_names_any_fewer_than_40_times() -> None:
    found = {
        str(path.relative_to(PACKAGE)): n
        for path in python_files()
        if (n := len(_ANY.findall(path.read_text(encoding="utf-8"))))
    }
    assert sum(found.values()) < MAX_ANY, found


def test_a_planted_any_is_counted() -> None:
    assert len(_ANY.findall("x: Any = f(y)  # Anything; typing.Any, AnyStr")) == 2
