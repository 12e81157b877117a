"""Compiled templates kept between processes (``monitor.digest.template_cache``).

A cached template is used only while it is the one that would be compiled now: an edited
template, another whitespace option, another autoescape choice or another filters module
is compiled afresh; a damaged file or a folder that cannot be written never fails a render.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from monitor.digest import render
from monitor.digest.template_cache import TemplateCache, cache_dir


class Counting(jinja2.Environment):
    """An environment that counts how many templates it compiled from source."""

    compiled = 0

    def _compile(self, source: str, filename: str) -> object:  # type: ignore[override]
        type(self).compiled += 1
        return super()._compile(source, filename)


def _env(folder: Path, filters: bytes = b"filters v1", **options: object) -> Counting:
    Counting.compiled = 0
    return Counting(
        loader=jinja2.FileSystemLoader(folder),
        bytecode_cache=TemplateCache(filters),
        **options,  # type: ignore[arg-type]
    )


def _render(env: jinja2.Environment, name: str = "t.txt.j2", **values: object) -> str:
    return env.get_template(name).render(**values)


def test_cache_folder_is_under_the_user_cache_folder(tmp_path: Path) -> None:
    assert cache_dir() == tmp_path / "xdg-cache" / "ecmon" / "templates"  # conftest's XDG


def test_a_second_process_loads_the_compiled_template(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("{% for x in xs %}[{{ x }}]{% endfor %}\n")
    first = _render(_env(tmp_path), xs=[1, 2])
    assert Counting.compiled == 1
    assert len(list(cache_dir().glob("*.j2c"))) == 1
    again = _env(tmp_path)  # a new environment: what the next process has
    assert _render(again, xs=[1, 2]) == first == "[1][2]"
    assert Counting.compiled == 0


def test_an_edited_template_is_compiled_again_never_read_stale(tmp_path: Path) -> None:
    template = tmp_path / "t.txt.j2"
    template.write_text("old {{ x }}\n")
    assert _render(_env(tmp_path), x=1) == "old 1"
    template.write_text("new {{ x }}\n")
    assert _render(_env(tmp_path), x=1) == "new 1"
    assert Counting.compiled == 1
    # The file was replaced, not added to: one per template.
    assert len(list(cache_dir().glob("*.j2c"))) == 1


@pytest.mark.parametrize(
    ("options", "filters"),
    [
        ({"trim_blocks": True}, b"filters v1"),
        ({"keep_trailing_newline": True}, b"filters v1"),
        ({"autoescape": True}, b"filters v1"),
        ({}, b"filters v2"),
    ],
)
def test_what_shapes_the_compiled_code_besides_the_source_misses_the_cache(
    tmp_path: Path, options: dict[str, object], filters: bytes
) -> None:
    (tmp_path / "t.txt.j2").write_text("{% if x %}\n<{{ x }}>\n{% endif %}\n")
    plain = _render(_env(tmp_path), x="a")
    assert plain == "\n<a>\n"
    changed = _env(tmp_path, filters, **options)
    fresh = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path), **options)  # type: ignore[arg-type]
    assert _render(changed, x="a") == _render(fresh, x="a")
    assert Counting.compiled == 1


def test_a_damaged_cache_file_is_compiled_over(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("{{ x }}!\n")
    _render(_env(tmp_path), x=1)
    [cached] = cache_dir().glob("*.j2c")
    cached.write_bytes(cached.read_bytes()[:20])  # truncated after the magic header
    assert _render(_env(tmp_path), x=2) == "2!"
    assert Counting.compiled == 1
    cached.write_bytes(b"not a cache file at all")
    assert _render(_env(tmp_path), x=3) == "3!"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_cache_folder_that_cannot_be_written_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("{{ x }}\n")
    cache_dir().parent.mkdir(parents=True)
    cache_dir().parent.chmod(0o500)
    try:
        assert _render(_env(tmp_path), x=1) == "1"
        assert _render(_env(tmp_path), x=1) == "1"
        assert Counting.compiled == 1
    finally:
        cache_dir().parent.chmod(0o700)


def test_a_cache_path_that_is_a_file_is_skipped(tmp_path: Path) -> None:
    """Where the folder cannot be made (a file in its place: what a read-only home gives
    root too), each process compiles, as before the cache."""
    (tmp_path / "t.txt.j2").write_text("{{ x }}\n")
    cache_dir().parent.mkdir(parents=True)
    cache_dir().write_text("in the way")
    assert _render(_env(tmp_path), x=1) == "1"
    assert _render(_env(tmp_path), x=1) == "1"
    assert Counting.compiled == 1


def test_the_digest_environment_caches_its_templates(tmp_path: Path) -> None:
    render.environment.cache_clear()
    try:
        env = render.environment()
        assert isinstance(env.bytecode_cache, TemplateCache)
        env.get_template("digest.txt.j2")
        assert any(cache_dir().glob("*.j2c"))
    finally:
        render.environment.cache_clear()
