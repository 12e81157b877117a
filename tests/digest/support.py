"""Shared by the digest tests: a demo database, a real SMTP server on 127.0.0.1
(aiosmtpd) with the messages it accepted, TLS material, and settings pointing at it."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import shutil
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from bs4 import Tag

from monitor.changeset import ChangesDocument
from monitor.config import EmailSettings, Recipient, Settings
from monitor.models import RecordDict
from monitor.store import Store
from monitor.testing.demo import demo_settings, run_demo

USER, PASSWORD = "digest-bot", "s3cret"


def first(tag: Tag, css: str) -> Tag:
    """The first element under ``tag`` that matches ``css`` (none fails the test)."""
    found = tag.select_one(css)
    assert found is not None, css
    return found


def body(message: EmailMessage, subtype: str) -> str:
    """The message's text/``subtype`` part, decoded (a missing part fails the test)."""
    part = message.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())


@dataclass
class Inbox:
    """What the server accepted: envelopes and the parsed messages."""

    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.content, _class=EmailMessage, policy=email.policy.default)
            for e in self.envelopes
        ]


def build_demo_db(path: Path) -> Path:
    """Run the offline demo (fixtures served on 127.0.0.1) into ``path``."""
    with Store.open(path) as store:
        run_demo(store, path, lambda _source, _step: None)
    return path


def copy_db(source: Path, target: Path) -> Path:
    """A private copy of a closed database (tests change the outbox)."""
    shutil.copyfile(source, target)
    return target


def free_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(port: int | None = None, **kwargs: Any) -> Iterator[tuple[Inbox, int]]:
    """Run aiosmtpd on 127.0.0.1 (``kwargs`` go to aiosmtpd: TLS, auth) until the block ends."""
    inbox = Inbox()
    chosen = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=chosen, **kwargs)
    controller.start()
    try:
        yield inbox, chosen
    finally:
        controller.stop()


def authenticator(_server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any) -> Any:
    """Accept USER/PASSWORD only (aiosmtpd's authenticator protocol)."""
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


def self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting it) for CN=127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


def mail_settings(
    db: Path, port: int, *recipients: Recipient, security: str = "none", **email_kw: Any
) -> Settings:
    """Settings for a demo database with email delivery to 127.0.0.1:``port``."""
    base = demo_settings(db, _NoServer(), "after")
    chosen = recipients or (Recipient("analyst@example.org"),)
    mail = EmailSettings(
        enabled=True,
        host="127.0.0.1",
        port=port,
        security=security,
        sender="ecmon <digest@ecmon.example>",
        timeout=5.0,
        recipients=chosen,
        **email_kw,
    )
    return replace(base, email=mail)


class _NoServer:
    """demo_settings wants a fixture server only for URLs; digests never fetch."""

    def url_for(self, path: str) -> str:
        return f"http://127.0.0.1:9/{path}"


@contextmanager
def https_server(context: ssl.SSLContext, body: bytes = b"hello") -> Iterator[str]:
    """A real HTTPS server on 127.0.0.1 answering every GET with ``body``; yields an URL."""

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/el.csv"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def starttls_server(tls: ssl.SSLContext) -> AbstractContextManager[tuple[Inbox, int]]:
    """An SMTP server that requires STARTTLS (with ``tls``) and a login as USER."""
    return smtp_server(
        auth_required=True, tls_context=tls, require_starttls=True, authenticator=authenticator
    )


# --------------------------------------------------------- synthetic documents


def record(
    key: str, list_name: str, name: str, country: str, **fields: str | list[str]
) -> RecordDict:
    """A record in the change document's form (``Record.to_dict``)."""
    return {
        "key": key,
        "list": list_name,
        "name": name,
        "country": country,
        "fields": dict(fields),
        "meta": {},
    }


def change(
    change_id: int,
    kind: str,
    source: str,
    rec: RecordDict,
    *,
    before: RecordDict | None = None,
    field_rows: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A change in the change document's form (``changeset.change_to_dict``); ``extra``
    adds keys such as ``sectors``, ``hits`` or ``attribution``."""
    fields = rec["fields"]
    citations = fields.get("citations", [])
    return {
        "id": change_id,
        "kind": kind,
        "source": source,
        "list": rec["list"],
        "key": rec["key"],
        "previous_key": None,
        "name": rec["name"],
        "country": rec["country"],
        "labels": [],
        "citations": list(citations) if isinstance(citations, list) else [citations],
        "effective_date": fields.get("start_date") or None,
        "fields": field_rows or [],
        "attribution": None,
        "before": before if kind != "added" else None,
        "after": rec if kind != "removed" else None,
        "provenance": {
            "run_id": 7,
            "url": f"https://example.test/{source}",
            "raw_sha256": "ab" * 32,
            "fetched_at": "2025-09-13T06:00:00+00:00",
        },
        **extra,
    }


def document(*changes: dict[str, Any], **extra: Any) -> ChangesDocument:
    """A change document around ``changes`` (``extra``: e.g. ``links``). The parts are
    synthetic JSON (typed Any), so the whole is declared the document it stands for."""
    sources = dict.fromkeys(c["source"] for c in changes)
    built: dict[str, Any] = {
        "schema_version": "1",
        "generated_at": "2025-09-13T07:00:00+00:00",
        "query": {},
        "summary": {},
        "sources": [{"name": s, "title": s} for s in sources],
        "changes": list(changes),
        **extra,
    }
    return cast(ChangesDocument, built)


def event(key: str, **given: Any) -> dict[str, Any]:
    """A link end in the change document's form (``analysis.links.event_dict``)."""
    values: dict[str, Any] = {
        "key": key, "jurisdiction": "", "kind": "", "date": "", "date_basis": "",
        "title": "", "instrument": "", "url": "", "derived": False, "members": [],
        "countries": [], "sectors": [], "sector_counts": {}, "notes": [],
    }  # fmt: skip
    return {**values, **given}


# ------------------------------------------------------- a large synthetic day

SYNTHETIC_PREFIX = "Synthetic Entity"  # every name says it is made up


def large_day(count: int = 150) -> ChangesDocument:
    """A labelled-synthetic day: ``count`` new BIS entities (names "Synthetic Entity NNN
    ... (synthetic)", none real), each reported by the CSL and the eCFR as real days are,
    with licence terms, a start date and a sector tag, answered next day by a synthetic
    MOFCOM investigation. For size and layout checks of the digest, not for content."""
    changes: list[dict[str, Any]] = []
    members = []
    for n in range(count):
        country = ("CN", "HK", "RU", "IR", "AE")[n % 5]
        key = f"synthetic-entity-{n:03d}-microelectronics|{country}"
        rec = record(
            key, "el", f"{SYNTHETIC_PREFIX} {n:03d} Microelectronics Co., Ltd. (synthetic)",
            country, start_date="2025-09-12", citations=[],
            license_requirement="For all items subject to the EAR.",
            license_policy="Presumption of denial.",
            addresses=[f"{n} Synthetic Road, Example District"],
        )  # fmt: skip
        tag = {
            "sector": "semiconductors", "label": "Semiconductors and integrated circuits",
            "field": "name", "matched": "Microelectronics", "rule": "term",
        }  # fmt: skip
        for source in ("us_csl_entity_list", "us_ecfr_entity_list"):
            changes.append(change(len(changes) + 1, "added", source, rec, sectors=[tag]))
        members.append(f"us_csl_entity_list:{key}")
    answer = record(
        "cn:商务部公告2025年第999号", "action", "商务部公告2025年第999号 关于对原产于美国的进口"
        "相关模拟芯片进行反倾销立案调查的公告（合成示例）", "CN",
        kind="anti_dumping", instrument="商务部公告2025年第999号", jurisdiction="CN",
        actor="MOFCOM", published="2025-09-13", effective="2025-09-13",
        url="https://www.mofcom.gov.cn/synthetic/999.html",
    )  # fmt: skip
    changes.append(change(len(changes) + 1, "added", "cn_mofcom_announcements", answer))
    link = {
        "trigger": event(
            "us:el-additions:2025-09-12", jurisdiction="US", kind="el_additions", derived=True,
            date="2025-09-12", members=members, sector_counts={"semiconductors": count},
            title=f"BIS Entity List additions of 2025-09-12: {count} entities (synthetic)",
        ),
        "response": event(
            "cn:商务部公告2025年第999号", jurisdiction="CN", kind="anti_dumping",
            date="2025-09-13",
        ),
        "days": 1, "score": 0.9,
        "evidence": [
            {"kind": "reference", "text": "explicit reference: chips ('芯片')", "weight": 0.3},
            {"kind": "time", "text": "1 day after the trigger (window 14 days)", "weight": 0.25},
        ],
    }  # fmt: skip
    return document(*changes, links=[link])
