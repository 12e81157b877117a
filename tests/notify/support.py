"""A real HTTP receiver on 127.0.0.1 for the Apprise channel tests (``http.server`` in a
thread, answering as scripted) and settings with a JSON webhook channel pointing at it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from monitor.config import ChannelSettings, EmailSettings, Settings
from tests.digest.support import free_port, mail_settings

SECRET = "hook-s3cret-token"
ENV = "ECMON_CHANNEL_HOOK_URL"


@dataclass
class Receiver:
    """Answers each POST in turn with ``answers`` ("500", "404"; then 200) and keeps what it
    accepted (answered 2xx to): the parsed JSON body and the Authorization header."""

    answers: list[str] = field(default_factory=list)
    accepted: list[dict[str, object]] = field(default_factory=list)
    refused: int = 0
    auth: list[str] = field(default_factory=list)


@contextmanager
def receiver(port: int, box: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = box.answers.pop(0) if box.answers else "200"
            if answer != "200":
                box.refused += 1
                self.send_response(int(answer))
                self.end_headers()
                return
            box.accepted.append(json.loads(body))
            box.auth.append(self.headers.get("Authorization") or "")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def hook_url(port: int) -> str:
    return f"json://ecmon:{SECRET}@127.0.0.1:{port}/ecmon/hook"


def hook(port: int, **kw: object) -> ChannelSettings:
    base = ChannelSettings(name="hook", url_env=ENV, format="json", url=hook_url(port))
    return replace(base, **kw)  # type: ignore[arg-type]


def channel_settings(db: Path, *channels: ChannelSettings) -> Settings:
    """The demo database's settings with email off and ``channels``."""
    return replace(mail_settings(db, free_port()), email=EmailSettings(), channels=channels)
