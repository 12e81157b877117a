"""Failures the database could not record, kept in a small file beside it.

On a full disk (or a database that refuses writes) a run's failure cannot be stored in
``runs``/``source_state``, and ``status`` would go on showing the last good run. So the
store keeps ``<database>.unrecorded``: a JSON object ``{source: {"at": ..., "error": ...}}``
of failures that could not be written, read by ``status`` and the daemon's health (a source
in it is broken), and cleared for a source by its next successful write.

The file is created at its full size (``SIZE`` bytes of spaces, which JSON ignores) when a
writable store opens, while there is room, and later rewritten in place: overwriting blocks
a file already owns needs no free space on ordinary file systems, so the note can still be
written when the disk is full. If even that fails, the caller still exits non-zero.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SIZE = 16_384  # room for a few sources' notes; each error is cut to MAX_ERROR characters
MAX_ERROR = 600


@dataclass(frozen=True)
class Unrecorded:
    """A failure of ``source`` at ``at`` that the database did not take."""

    source: str
    at: str
    error: str


def path_for(database: Path) -> Path:
    return database.with_name(database.name + ".unrecorded")


class UnrecordedFile:
    """The note file of one database (see the module docstring)."""

    def __init__(self, database: Path) -> None:
        self.path = path_for(database)
        self._notes = self._read()

    def prepare(self) -> None:
        """Create the file at full size while there is room (a writable store's open)."""
        if self.path.exists():
            return
        try:
            with self.path.open("xb") as handle:
                handle.write(b" " * SIZE)
                handle.flush()
                os.fsync(handle.fileno())
        except FileExistsError:
            return
        except OSError as exc:  # a full disk already: note() will try again
            log.warning("cannot create %s: %s", self.path, exc)

    def notes(self) -> dict[str, Unrecorded]:
        return dict(self._notes)

    def note(self, source: str, at: str, error: str) -> bool:
        """Keep a failure of ``source`` that the database refused; False if even this
        file could not be written (the caller's exit code is then all that says so)."""
        self._notes[source] = Unrecorded(source, at, error[:MAX_ERROR])
        return self._write()

    def clear(self, source: str) -> None:
        """The database took a write for ``source`` again: its note is obsolete."""
        if source in self._notes:
            del self._notes[source]
            self._write()

    def _read(self) -> dict[str, Unrecorded]:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return {}
        if not text:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("%s is not valid JSON; ignored", self.path)
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            str(k): Unrecorded(str(k), str(v.get("at", "")), str(v.get("error", "")))
            for k, v in data.items()
            if isinstance(v, dict)
        }

    def _write(self) -> bool:
        body = json.dumps(
            {n.source: {"at": n.at, "error": n.error} for n in self._notes.values()},
            ensure_ascii=False,
        ).encode("utf-8")
        padded = body + b" " * max(0, SIZE - len(body))
        try:
            # r+b overwrites the blocks the file already has (no new space needed);
            # a missing file (never prepared) is created.
            mode = "r+b" if self.path.exists() else "wb"
            with self.path.open(mode) as handle:
                handle.write(padded)
                handle.truncate(len(padded))
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            log.error("cannot write %s: %s", self.path, exc)
            return False
        return True
