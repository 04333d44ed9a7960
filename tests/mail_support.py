"""Real servers for the mail and webhook tests: an SMTP server (aiosmtpd) and an HTTP
receiver, both on 127.0.0.1, in threads of the test process, plus helpers that send
what is due and read what arrived.

``smtp`` is one server per test module (started once), emptied before each test;
``smtp_app`` is the test's ``app`` pointed at it with no coalescing window (a change is
due at once). ``receiver`` records every webhook POST and answers with the status its
``answers`` list gives (200 when empty).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

MARKER = "ZEBRA-7f3c-PRIVATE-MARKER"  # a private comment's text, searched in every message


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collect:
    """aiosmtpd handler: keeps every message with its envelope recipients, and refuses
    the recipients in ``refuse`` with 550 (a mailbox that does not exist)."""

    def __init__(self, server: SMTPServer):
        self.box, self.refuse, self.server = server.received, server.refuse, server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.box.append((tuple(envelope.rcpt_tos), msg))
        return "250 OK"


@dataclass
class SMTPServer:
    """A real SMTP server that can be stopped (SMTP down) and started again on its port."""

    port: int = field(default_factory=free_port)
    received: list = field(default_factory=list)
    refuse: set = field(default_factory=set)
    delay: float = 0.0  # seconds each message takes (a slow server)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(_Collect(self), hostname="127.0.0.1",
                                     port=self.port, ready_timeout=10)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        """What arrived (for one envelope recipient, if given), oldest first."""
        return [m for rcpts, m in self.received if to is None or to in rcpts]


@pytest.fixture(scope="module")
def smtp():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


def smtp_settings(server: SMTPServer) -> dict:
    """The settings that send through ``server``, at once (no coalescing window)."""
    return {"MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port,
            "SMTP_STARTTLS": False, "SMTP_USERNAME": None, "SMTP_TIMEOUT": 5,
            "MAIL_COALESCE_SECONDS": 0, "MAIL_FROM": "BugZot <bugzot@bugzot.test>"}


@pytest.fixture
def smtp_app(app, smtp):
    """The test's app sending through ``smtp`` (emptied first)."""
    if smtp.controller is None:
        smtp.start()
    smtp.received.clear()
    smtp.refuse.clear()
    smtp.delay = 0.0
    app.config.update(smtp_settings(smtp))
    return app


def send_due() -> None:
    """Run the mail worker once, as ``flask --app bugzot send-mail`` does."""
    from bugzot.notify import worker

    worker.run_once()


def text_of(msg: EmailMessage) -> str:
    """Every header and the body of ``msg``, decoded, for searching."""
    head = "\n".join(f"{k}: {v}" for k, v in msg.items())
    return head + "\n\n" + msg.get_content()


# -- webhooks ------------------------------------------------------------------------------
@dataclass
class Receiver:
    """An HTTP server recording POSTs: (path, headers, body bytes)."""

    url: str
    posts: list = field(default_factory=list)
    answers: list = field(default_factory=list)


@pytest.fixture(scope="module")
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.posts.append((self.path, self.headers, body))  # names case-insensitive
            status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def make_due() -> None:
    """Let time pass: every pending row is due now (coalescing windows, digest hours and
    retry delays are over)."""
    from datetime import timedelta

    from sqlalchemy import update

    from bugzot.extensions import db
    from bugzot.models import OutboxMessage, utcnow

    db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                       .values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def rows(**where) -> list:
    """The outbox rows matching ``where`` (column=value), oldest first, read afresh."""
    from sqlalchemy import select

    from bugzot.extensions import db
    from bugzot.models import OutboxMessage

    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))
