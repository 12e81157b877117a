"""Compiled templates kept between processes: Jinja's bytecode cache in the user's cache
folder (``platformdirs.user_cache_dir("ecmon")/templates``).

Every ``ecmon digest`` is a new process, and compiling ``digest.txt.j2`` (lexing, parsing,
generating Python, compiling it) cost ~0.03 s CPU of a ~0.45 s digest, every time. A cached
template is only used while it is provably the one that would be compiled now:

* Jinja rejects a cache file written by another Python minor version or cache format
  (its magic header) and one whose template source differs (a checksum of the source);
* the checksum here also covers what shapes the compiled code besides the source: Jinja's
  version, the environment's syntax and whitespace options, whether the template is
  autoescaped, and the source of the module that defines the filters (Jinja's optimiser
  may call a filter on a constant at compile time). A change to any of them misses the
  cache, and the new compilation replaces the file (one file per template and path).

A cache that cannot be read or written is skipped, never an error: the template is then
compiled as before. Files are written whole and renamed into place (Jinja's own
``FileSystemBytecodeCache``), so a process never reads a half-written one.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

from monitor.config import APP_NAME


def cache_dir() -> Path:
    """Where compiled templates are kept (``$XDG_CACHE_HOME/ecmon/templates`` on Linux)."""
    import platformdirs  # only when a template is loaded, not at import

    return Path(platformdirs.user_cache_dir(APP_NAME)) / "templates"


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """``FileSystemBytecodeCache`` whose checksum covers more than the template source
    (module docstring), which creates its folder on first write, and which never fails
    a render."""

    def __init__(self, filters_source: bytes) -> None:
        super().__init__(str(cache_dir()), "%s.j2c")
        self._filters = hashlib.sha256(filters_source).hexdigest()

    def _get_cache_filename(self, bucket: Bucket) -> str:
        # The folder is looked up at each load (once per template and process): a process
        # that changes $XDG_CACHE_HOME (a test) gets the folder it names.
        self.directory = str(cache_dir())
        return super()._get_cache_filename(bucket)

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        bucket = Bucket(
            environment,
            self.get_cache_key(name, filename),
            self._checksum(environment, name, source),
        )
        self.load_bytecode(bucket)
        return bucket

    def _checksum(self, env: jinja2.Environment, name: str, source: str) -> str:
        autoescape = env.autoescape(name) if callable(env.autoescape) else env.autoescape
        options = (
            jinja2.__version__,
            self._filters,
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            env.optimized,
            sorted(env.extensions),
            bool(autoescape),
        )
        return hashlib.sha256(f"{options!r}\n{source}".encode()).hexdigest()

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged cache file (bad pickle, truncated): compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        # A read-only or full disk: the next process compiles the template again.
        with suppress(OSError):
            Path(self.directory).mkdir(mode=0o700, parents=True, exist_ok=True)
            super().dump_bytecode(bucket)


def template_cache(filters_module: str) -> TemplateCache | None:
    """The cache for an environment whose filters are defined in ``filters_module`` (a
    file path); None when that source cannot be read (then nothing is cached)."""
    try:
        source = Path(filters_module).read_bytes()
    except OSError:
        return None
    return TemplateCache(source)
