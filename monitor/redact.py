"""Credentials in URLs, redacted wherever a URL is shown or stored.

A source URL may carry a secret: ``https://user:pass@host/...`` or a query parameter
such as ``?subscription-key=...`` or ``?api_key=...``. The real URL is used only to fetch;
everything that records or prints one (the runs, snapshots, source_state and outbox
tables, error messages, ``status``, ``config show``, digests and mails) goes through
``redact_url`` or ``redact_text``, at the depth where the URL is recorded
(``monitor.store.write``, ``EcmonError.__str__``, ``config.effective_items``).

Pure. A redacted URL keeps its scheme, host, port, path and the names of its query
parameters, so it still says where a snapshot came from; only the secret values go.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit, urlunsplit

MASK = "REDACTED"

# Query parameter names that carry a secret, matched without case on the whole name or on
# a word of it (``subscription-key``, ``api_key``, ``X-Amz-Signature``, ``access_token``).
_SECRET_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "signature",
        "sig",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "session",
        "sessionid",
        "jwt",
        "bearer",
    }
)
_WORD_SPLIT = re.compile(r"[-_.\s]+|(?<=[a-z])(?=[A-Z])")
# A URL inside free text (an error message, a log line): up to whitespace or a closing
# bracket or quote, which is how ecmon's own messages end one.
_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>()\[\]{}]+", re.IGNORECASE)


def secret_name(name: str) -> bool:
    """Whether a query parameter named ``name`` looks like it carries a secret."""
    words = [w.lower() for w in _WORD_SPLIT.split(name.strip()) if w]
    return name.lower() in _SECRET_WORDS or any(w in _SECRET_WORDS for w in words)


def has_secret(url: str) -> bool:
    """Whether ``url`` carries userinfo or a secret-looking query parameter."""
    return redact_url(url) != url


def redact_url(url: str) -> str:
    """``url`` with its userinfo and secret query values replaced by ``REDACTED``.

    Text that does not parse as a URL is returned as it is (nothing to redact)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        netloc = f"{MASK}@{host}" + (f":{port}" if port is not None else "")
    query = _redact_query(parts.query)
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Every URL inside ``text`` redacted (error messages, log lines, rendered bodies)."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def _redact_query(query: str) -> str:
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(secret_name(name) and value for name, value in pairs):
        return query
    return "&".join(
        f"{quote(name, safe='')}={MASK if secret_name(name) and value else quote(value, safe='')}"
        for name, value in pairs
    )
