"""Where the installed package's data lives: the one place that finds bundled folders.

The digest templates and the demo's fixture mirror sit at the top of the repository
(``templates/``, ``fixtures/``) and are installed as the packages ``monitor.templates``
and ``monitor.fixtures`` (setup.py maps them). They are found through
``importlib.resources`` only, so a wheel, an sdist, pipx and an editable install all give
the same answer, and no code looks for a path relative to the source tree.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from monitor.errors import ConfigError

Bundle = Literal["templates", "fixtures"]


def bundled_dir(name: Bundle) -> Path:
    """The real directory of the bundled folder ``name``.

    A directory on disk, not just a Traversable: Jinja's loader and the fixture server
    read files by path. Wheels install unpacked, so ``files()`` is a plain ``Path``; an
    install that left it elsewhere (a zip import) is reported rather than half-read.
    """
    package = f"monitor.{name}"
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"{package} is not installed: reinstall ecmon (in a checkout: pip install -e .)"
        ) from exc
    if not isinstance(root, Path) or not root.is_dir():
        raise ConfigError(f"{package} is not a folder on disk ({root!r}): reinstall ecmon unzipped")
    return root
