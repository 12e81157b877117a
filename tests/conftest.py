"""Shared pytest fixtures: a live 127.0.0.1 fixture server and the fixtures directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.fixture_server import FixtureServer


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """A started FixtureServer with no file root (use set_route / set_faults)."""
    server = FixtureServer(root=None)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fixtures_dir() -> Path:
    """The repository's bundled fixture files."""
    return Path(__file__).parent.parent / "fixtures"
