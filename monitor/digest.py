"""The Jinja environment and rendering: render only, never send.

Templates live in the top-level ``templates/`` folder. Undefined variables are
errors (StrictUndefined) so a template typo cannot silently drop a section;
HTML templates autoescape everything that came from a source.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2

from monitor.errors import ConfigError

TextFormat = Literal["text", "json", "markdown"]
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
_TEMPLATE_FOR = {"text": "diff.txt.j2", "markdown": "diff.md.j2"}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    if not TEMPLATES_DIR.is_dir():
        raise ConfigError(f"templates folder not found at {TEMPLATES_DIR} (install with pip -e)")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["short_hash"] = lambda value: str(value)[:12]
    env.filters["listing"] = _listing
    return env


def _listing(value: object) -> str:
    """A field value for display: lists joined with '; ', empty shown as a dash."""
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value) or "—"
    return str(value) if value not in (None, "") else "—"


def render_changes(document: dict[str, Any], fmt: TextFormat) -> str:
    """The change document in the requested format."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return environment().get_template(_TEMPLATE_FOR[fmt]).render(doc=document)
