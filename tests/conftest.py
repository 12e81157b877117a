"""Shared pytest fixtures: an isolated environment and a live 127.0.0.1 fixture server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.testing.fixture_server import FixtureServer


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the caller's ecmon settings or user directories.

    A deployed host may export ECMON_DB (the production database) or source URLs;
    subprocesses inherit the patched environment too.
    """
    for name in [n for n in os.environ if n.startswith("ECMON_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """A started FixtureServer with no file root (use set_route / set_faults)."""
    server = FixtureServer(root=None)
    server.start()
    try:
        yield server
    finally:
        server.stop()
