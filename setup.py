"""Build hook: ship the top-level ``templates/`` and ``fixtures/`` folders inside the wheel.

The layout keeps the digest templates and the demo's fixture mirror at the top of the
repository, beside ``monitor/``; an installed ecmon finds them as the packages
``monitor.templates`` and ``monitor.fixtures`` through ``importlib.resources``
(``monitor.resources``), never by a path relative to the source tree. ``package_dir``
maps each package onto its folder, which works the same way for a wheel, an sdist and an
editable install (setuptools' editable finder honours the mapping). Every sub-folder is
listed as a namespace package (setuptools' advice for data folders), so its files are
package data of a declared package rather than files in an "ambiguous" one.

Everything else (metadata, dependencies, entry point) is declared in pyproject.toml.
"""

from setuptools import find_namespace_packages, find_packages, setup

BUNDLED = {"monitor.templates": "templates", "monitor.fixtures": "fixtures"}
# fixtures/truth/ (the sector tagger's hand labels) and fixtures/golden/ (golden digests) are
# the suite's, not a command's.
NOT_SHIPPED = ["truth", "truth.*", "golden", "golden.*"]


def bundled_packages() -> dict[str, list[str]]:
    """Each bundled package and its sub-folders, with every file in them as package data."""
    packages: dict[str, list[str]] = {}
    for package, folder in BUNDLED.items():
        packages[package] = ["*"]
        for sub in find_namespace_packages(where=folder, exclude=NOT_SHIPPED):
            packages[f"{package}.{sub}"] = ["*"]
    return packages


DATA = bundled_packages()
setup(
    packages=[*find_packages(include=["monitor", "monitor.*"]), *DATA],
    package_dir=BUNDLED,
    package_data={"monitor": ["py.typed", "schemas/*.json", "data/*.toml"], **DATA},
    exclude_package_data={"": ["__pycache__/*", "*.pyc"]},
)
