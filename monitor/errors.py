"""One error tree for the whole package.

Every error carries keyword context (source, url, status) so the CLI can say
which source, which URL and what went wrong; only the CLI turns these into
messages and exit codes.

    EcmonError                 exit 1   root; anything we raise on purpose
    ├── ConfigError            exit 2   bad or unreadable configuration
    ├── ReviewError            exit 2   review/accept/reject of a run that holds nothing
                                        to decide (never held, already decided)
    ├── FetchError             exit 3   transport failure or unusable HTTP status
    │   └── ResponseTooLarge   exit 3   body (or its decompressed form) over the size cap
    ├── ParseError             exit 4   the bytes arrived but cannot be trusted as a snapshot
    │   └── ShapeError         exit 4   the layout is not the one we know (columns, tags)
    ├── StoreError             exit 5   the database refused or is not ours
    └── DeliveryError          exit 7   a channel (SMTP, feed file) did not accept a message;
                                        the outbox keeps it pending and retries later
"""

from __future__ import annotations

from monitor.redact import redact_text


class EcmonError(Exception):
    """Root of every error ecmon raises on purpose."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        url: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.url = url
        self.status = status

    @property
    def kind(self) -> str:
        """A short, stable name for the error class, stored with failed runs."""
        return type(self).__name__

    def __str__(self) -> str:
        parts = []
        if self.source:
            parts.append(f"source {self.source}")
        parts.append(self.message)
        where = []
        if self.url:
            where.append(f"url {self.url}")
        if self.status is not None:
            where.append(f"HTTP {self.status}")
        text = ": ".join(parts)
        # Shown and stored (runs, source_state, digests): credentials in a URL never are.
        return redact_text(f"{text} ({', '.join(where)})" if where else text)


class ConfigError(EcmonError):
    """The configuration file or environment is wrong."""

    exit_code = 2


class ReviewError(EcmonError):
    """A review command names a run with no held snapshot waiting for a decision."""

    exit_code = 2


class FetchError(EcmonError):
    """The source could not be fetched (network, HTTP status, redirects)."""

    exit_code = 3


class ResponseTooLarge(FetchError):
    """The response, or its decompressed body, exceeded the configured size cap."""


class ParseError(EcmonError):
    """The fetched bytes cannot be trusted as a complete snapshot."""

    exit_code = 4


class ShapeError(ParseError):
    """The layout differs from the one the parser knows (missing column, HTML page...)."""


class StoreError(EcmonError):
    """The database could not be opened, migrated or written."""

    exit_code = 5


class DeliveryError(EcmonError):
    """A channel did not accept a message (server down, refused, login failed).

    The outbox keeps the message pending and retries it later.
    """

    exit_code = 7
