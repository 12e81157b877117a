"""What every source module provides: INFO, fetch(), parse(), derive() and rebase().

A source never touches the store. ``parse`` is strict: it either returns the
complete list of records or raises ParseError/ShapeError, because a partial
parse reaching the differ would read as mass removals.

Two shapes of source:

* **Snapshot sources** (the CSL file, the eCFR table) publish the whole list each
  time: the parsed records are the new state, and a record missing is a removal.
* **Feed sources** (Federal Register documents, MOFCOM announcements) publish the
  newest items only (``SourceInfo.accumulate``): parsed records are merged into the
  accepted ones of the ``feed_lists``, never removed because they fell off an index
  page, and ``derive`` rebuilds derived lists (e.g. the unreliable entity list with
  each entry's status) from every accumulated item, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from monitor.config import SourceSettings
from monitor.errors import ConfigError
from monitor.models import Record

if TYPE_CHECKING:  # annotations only: the source registry loads without httpx
    from monitor.http import FetchResult, HttpClient, Validators


def url_list_option(value: object, *, source: str, url: str | None = None) -> frozenset[str]:
    """The ``skip_urls`` option (site URLs a human has reviewed and wants skipped): a list
    of text; anything else raises ConfigError naming the source."""
    if (
        isinstance(value, str)
        or not isinstance(value, Iterable)
        or not all(isinstance(u, str) for u in value)
    ):
        raise ConfigError("skip_urls must be a list of URLs", source=source, url=url)
    return frozenset(str(u) for u in value)


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
    options: Mapping[str, object] = field(default_factory=dict)
    accumulate: bool = False
    feed_lists: tuple[str, ...] = ()
    # When the daemon polls it: "every 3h" / "every 90s", or a crontab line
    # ("0 * * * mon-fri"). Empty: every ``schedule_hours``.
    schedule: str = ""
    # Every list code the records carry, when more than ``lists``/``feed_lists`` (CSL: the
    # BIS lists one may ask for); config refuses other codes in ``lists`` and in filters.
    list_codes: tuple[str, ...] = ()
    # Fields set by replaying acts, not read from a publisher's table (a derived list's
    # status): one suspension moves many records at once, and the act explains it, so the
    # gate's "one field changing in many records" check does not count them.
    act_fields: tuple[str, ...] = ()
    # The source's own check of its options, run when the settings are loaded.
    check: Callable[[SourceSettings], object] | None = None

    def default_settings(self) -> SourceSettings:
        return SourceSettings(
            name=self.name,
            enabled=True,
            url=self.url,
            lists=self.lists,
            min_records=self.min_records,
            max_records=self.max_records,
            options=self.options,
            schedule=self.schedule or f"every {self.schedule_hours:g}h",
            list_codes=self.list_codes or (*self.lists, *(c.upper() for c in self.feed_lists)),
            check=self.check,
        )


class Source(Protocol):
    info: SourceInfo

    def fetch(
        self,
        client: HttpClient,
        settings: SourceSettings,
        validators: Validators | None,
        previous: Mapping[str, Record],
    ) -> FetchResult:
        """Fetch the raw snapshot. ``previous`` is the accepted state for feed sources
        (so known items need not be fetched again) and empty for snapshot sources."""
        ...

    def parse(self, raw: bytes, *, url: str, settings: SourceSettings) -> list[Record]: ...

    def derive(self, records: Mapping[str, Record]) -> list[Record]:
        """Derived records from the accumulated feed records (feed sources only)."""
        ...

    def rebase(self, settings: SourceSettings, base: str) -> SourceSettings:
        """The settings with every URL pointed at a mirror rooted at ``base``
        (the demo and the tests serve fixtures this way)."""
        ...


@runtime_checkable
class DatedSource(Source, Protocol):
    """A source that can say what the list was on any date (the eCFR versioner)."""

    def fetch_as_of(self, client: HttpClient, settings: SourceSettings, date: str) -> FetchResult:
        """The raw snapshot valid for ``date`` (YYYY-MM-DD); ``valid_for`` is set."""
        ...

    def amendment_dates(
        self, client: HttpClient, settings: SourceSettings, since: str | None
    ) -> list[str]:
        """The dates the list changed on (ascending), from ``since`` on when given."""
        ...


class SourceDefaults:
    """Defaults shared by the sources: no derived lists, no previous state needed."""

    info: SourceInfo

    def derive(self, records: Mapping[str, Record]) -> list[Record]:
        return []

    def rebase(self, settings: SourceSettings, base: str) -> SourceSettings:
        return replace(settings, url=f"{base.rstrip('/')}/{self.info.url.rsplit('/', 1)[-1]}")


class SingleFileSource(SourceDefaults):
    """A source that is one file at one URL (fetch is a conditional GET of it)."""

    def fetch(
        self,
        client: HttpClient,
        settings: SourceSettings,
        validators: Validators | None,
        previous: Mapping[str, Record],
    ) -> FetchResult:
        return client.get(settings.url, source=self.info.name, validators=validators)


@dataclass(frozen=True)
class Row:
    """One kept row of a list file with the digest of its raw cells.

    ``digest`` covers every cell of the row (meta columns included), the layout and the
    parser's version, so an equal digest means the row yields the very same record.
    """

    digest: bytes
    list_name: str
    cells: tuple[str, ...]


class RowReader(Protocol):
    """A list file read row by row, so only rows whose digest is new need parsing."""

    def rows(self) -> Iterator[Row]:
        """Every kept row, validated as the full parse validates it (each call reads again)."""
        ...

    def record(self, row: Row) -> Record:
        """The record of one row, before rows sharing a key are merged."""
        ...

    def merge(self, records: list[Record]) -> list[Record]:
        """One record per key (the rows of a key merged as the full parse merges them)."""
        ...

    def check(self, list_names: set[str]) -> None:
        """Raise as the full parse does when the rows' lists are not what was asked for."""
        ...


@runtime_checkable
class RowSource(Source, Protocol):
    """A snapshot source whose records are a function of independent rows (the CSL file)."""

    def row_reader(self, raw: bytes, *, url: str, settings: SourceSettings) -> RowReader | None:
        """A reader of ``raw`` row by row; None when this layout is only read whole."""
        ...
