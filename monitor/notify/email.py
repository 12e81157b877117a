"""The email channel: one SMTP conversation per message. Send only, never render.

Security is ``starttls`` (plain connect, then STARTTLS; the default, port 587),
``tls`` (implicit TLS, port 465) or ``none`` (a local relay). Certificates are
verified against the system store (``ssl.create_default_context``). Login happens
only when ``email.username`` is set, with the password from the environment; it is
refused over an unencrypted connection rather than sent in the clear.

The message is ``multipart/alternative``: the text part first, the HTML part last
(the one a capable client shows), both rendered from the same digest model. The
Message-ID comes from the outbox, so a retry carries the same id and a client that
already has the message can tell.

Acceptance is the server's 250 reply to the message data: from then on the server is
responsible for the message, so whatever QUIT gets (a 421, a reset) is logged and the
message counts as sent; it is never sent again. The one window left: a connection lost,
or ``email.timeout`` passing, after the last byte of the data went out and before the reply
to it came back. The server may have accepted the message, we cannot know, and it is
retried (with the same Message-ID), so it can arrive twice.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime

from monitor.config import EmailSettings
from monitor.errors import ConfigError, DeliveryError
from monitor.notify.base import OutgoingMessage

# Headers are written unfolded up to RFC 5322's hard limit: Python folds a subject of
# 79-100 characters by moving all of it to a continuation line, which some readers show
# with a leading space. The bodies are encoded first, under a 76-column policy
# (quoted-printable lines within RFC 2045's 76 columns), and are not re-encoded after.
log = logging.getLogger(__name__)
_HEADER_POLICY = email.policy.SMTP.clone(max_line_length=998)
_BODY_POLICY = email.policy.SMTP.clone(max_line_length=76)


def build_message(message: OutgoingMessage) -> EmailMessage:
    """The MIME message for ``message`` (headers plus text and HTML alternatives)."""
    mime = EmailMessage(policy=_BODY_POLICY)
    mime["From"] = message.sender
    mime["To"] = message.recipient
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(message.date)
    mime["Message-ID"] = message.message_id
    mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
    mime["MIME-Version"] = "1.0"
    # Quoted-printable whatever the line lengths: 7-bit safe for every relay.
    mime.set_content(message.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    mime.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    mime.policy = _HEADER_POLICY
    return mime


class EmailChannel:
    """Delivers messages over SMTP as configured by ``[email]``."""

    def __init__(
        self, settings: EmailSettings, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        if settings.username and settings.password is None:
            raise ConfigError(
                "email.username is set but no password: set ECMON_SMTP_PASSWORD"
                " (or ECMON_SMTP_PASSWORD_FILE)"
            )
        if settings.username and settings.security == "none":
            raise ConfigError(
                "refusing to send the SMTP password over an unencrypted connection:"
                " set email.security to starttls or tls"
            )
        self._settings = settings
        self._context = ssl_context

    def send(self, message: OutgoingMessage) -> None:
        """Hand ``message`` to the server; returns once it accepted it."""
        mime = build_message(message)
        where = f"{self._settings.host}:{self._settings.port}"
        try:
            smtp = self._connect()
            try:
                if self._settings.username:
                    smtp.login(self._settings.username, self._settings.password or "")
                smtp.send_message(mime, from_addr=message.sender, to_addrs=[message.recipient])
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPResponseException as exc:
            reason = exc.smtp_error.decode("utf-8", "replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)  # fmt: skip
            raise DeliveryError(f"SMTP {where} answered {exc.smtp_code} {reason}") from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, TLS, DNS, timeout
            detail = str(exc) or type(exc).__name__
            raise DeliveryError(f"SMTP {where}: {detail}") from exc
        _quit(smtp, where)  # accepted: nothing after this can make it "not sent"

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        context = self._context or ssl.create_default_context()
        if settings.security == "tls":
            return smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp


def _quit(smtp: smtplib.SMTP, where: str) -> None:
    """Say QUIT after an accepted message; a failure here is logged, never raised (the
    server already took the message: raising would send it again)."""
    try:
        code, reply = smtp.docmd("QUIT")
        if code != 221:
            log.warning("SMTP %s answered QUIT with %s %r (message already accepted)", where,
                        code, reply)  # fmt: skip
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("SMTP %s: QUIT failed (%s); message already accepted", where, exc)
    finally:
        smtp.close()
