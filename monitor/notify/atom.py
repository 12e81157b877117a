"""The Atom channel: write a rendered feed to a file that feed readers (or a web
server in front of them) poll. Send only: the feed is rendered by ``monitor.digest.render``.

The file is replaced atomically (a temporary file in the same folder, then a
rename), so a reader polling mid-write never sees half a feed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from monitor.errors import DeliveryError


def write_feed(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one step. Its folder must exist (it is not
    made: a mistyped path is an error, not a new folder)."""
    try:
        fd, name = tempfile.mkstemp(dir=path.resolve().parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise DeliveryError(f"cannot write the feed to {path}: {exc}") from exc
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(0o644)  # a feed is public; mkstemp's 0600 would hide it from a web server
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise DeliveryError(f"cannot write the feed to {path}: {exc}") from exc
