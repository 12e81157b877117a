"""Apprise channels: any Apprise URL (Slack, Microsoft Teams, Telegram, ntfy, Matrix, a
generic JSON webhook ``json://`` / ``jsons://`` ...) as a delivery channel. Send only.

Apprise (the library changedetection.io uses) knows each service's API; ecmon gives it the
stored title and body and the format they are in. A channel is configured by
``[[channels]]`` (``monitor.config.ChannelSettings``); its URL, which carries the service's
token or password, comes only from the environment variable the config names, and is never
printed, logged or stored (the outbox row holds the channel's name).

Acceptance is Apprise's verdict: ``notify`` is true once the service answered with success
(for a webhook, a 2xx reply). From then on the message counts as sent and is never sent
again. A refusal (a 5xx, a 4xx, a connection refused or timed out) is a ``DeliveryError``
with what Apprise reported, and the outbox retries the stored message with its backoff. The
window left is the one every HTTP client has: a connection lost after the request went out
and before the reply came back; the service may have accepted it, and it is sent again.

The ``json`` format sends the digest's JSON change document (``ecmon digest --format json``)
as the ``message`` of Apprise's JSON payload (``{"version", "title", "message", "type",
"attachments"}``): a receiver reads ``json.loads(payload["message"])``.
"""

from __future__ import annotations

from collections.abc import Mapping

import apprise

from monitor.config import ChannelSettings
from monitor.errors import ConfigError, DeliveryError
from monitor.notify.base import OutgoingMessage

# Apprise converts between the body's format and what each service takes (Markdown to a
# service's HTML, for instance). The JSON document is sent as plain text: never converted.
_FORMATS: Mapping[str, apprise.NotifyFormat] = {
    "text": apprise.NotifyFormat.TEXT,
    "json": apprise.NotifyFormat.TEXT,
    "markdown": apprise.NotifyFormat.MARKDOWN,
    "html": apprise.NotifyFormat.HTML,
}
_REPORTED = ("WARNING", "ERROR", "CRITICAL")


class AppriseChannel:
    """Delivers messages to one Apprise URL as configured by one ``[[channels]]`` table."""

    def __init__(self, settings: ChannelSettings) -> None:
        if not settings.url:
            raise ConfigError(
                f"channel {settings.name}: environment variable {settings.url_env} is not set"
                " (it holds the channel's Apprise URL)"
            )
        # Memory only: Apprise's persistent store would write a cache under the home folder.
        asset = apprise.AppriseAsset(storage_mode="memory")
        self._apprise = apprise.Apprise(asset=asset)
        if not self._apprise.add(settings.url):
            raise ConfigError(
                f"channel {settings.name}: {settings.url_env} does not hold an Apprise URL"
                " that Apprise can use (see https://github.com/caronc/apprise/wiki)"
            )
        self._settings = settings

    def send(self, message: OutgoingMessage) -> None:
        """Hand ``message`` to the service; returns once it accepted it."""
        name = self._settings.name
        body = message.html if self._settings.format == "html" else message.text
        reported: list[str] = []

        def keep(entry: apprise.NotifyLogEntry, _plugin: object) -> None:
            if entry.level in _REPORTED:
                reported.append(entry.message)

        try:
            result = self._apprise.notify(
                body=body,
                title=message.subject,
                body_format=_FORMATS[self._settings.format],
                log_callback=keep,
            )
        except Exception as exc:  # a failure inside a plugin: a failed attempt, kept, retried
            text = self._hide_url(f"{type(exc).__name__}: {exc}")
            raise DeliveryError(f"channel {name}: {text}") from exc
        if not result:
            detail = "; ".join(dict.fromkeys(reported)) or "the service did not accept it"
            raise DeliveryError(f"channel {name}: {self._hide_url(detail)}")

    def _hide_url(self, text: str) -> str:
        """Apprise's plugins report with the URL's private parts masked; should one ever
        quote the whole URL, the error (stored in the outbox, printed) names the variable."""
        url = self._settings.url or ""
        return text.replace(url, f"${self._settings.url_env}") if url else text
