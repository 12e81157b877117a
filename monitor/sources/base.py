"""What every source module provides: INFO, fetch() and parse().

A source never touches the store. ``parse`` is strict: it either returns the
complete list of records or raises ParseError/ShapeError, because a partial
parse reaching the differ would read as mass removals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from monitor.config import SourceSettings
from monitor.http import FetchResult, HttpClient, Validators
from monitor.models import Record


@dataclass(frozen=True)
class SourceInfo:
    """Static facts about a source: default URL, schedule and sanity bounds."""

    name: str
    title: str
    url: str
    schedule_hours: float
    min_records: int
    max_records: int
    key_fields: tuple[str, ...]
    lists: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    def default_settings(self) -> SourceSettings:
        return SourceSettings(
            name=self.name,
            enabled=True,
            url=self.url,
            lists=self.lists,
            min_records=self.min_records,
            max_records=self.max_records,
            options=self.options,
        )


class Source(Protocol):
    info: SourceInfo

    def fetch(
        self, client: HttpClient, settings: SourceSettings, validators: Validators | None
    ) -> FetchResult: ...

    def parse(self, raw: bytes, *, url: str, settings: SourceSettings) -> list[Record]: ...


class SingleFileSource:
    """A source that is one file at one URL (fetch is a conditional GET of it)."""

    info: SourceInfo

    def fetch(
        self, client: HttpClient, settings: SourceSettings, validators: Validators | None
    ) -> FetchResult:
        return client.get(settings.url, source=self.info.name, validators=validators)
