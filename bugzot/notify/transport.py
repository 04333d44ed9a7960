"""Handing mail over: SMTP in production, one ``.eml`` file per message in
``MAIL_OUTBOX`` otherwise (development, tests).

A ``Mailer`` keeps one SMTP connection for a whole batch. Its errors say whether trying
again later can help (``TransientError``: the server is down, busy, or answered 4xx) or
not (``PermanentError``: it refused this message or its recipient with 5xx). Once the
server cannot be reached, the rest of the batch fails at once with the same error
instead of waiting for the timeout again for every message.
"""

from __future__ import annotations

import os
import secrets
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from bugzot.models import utcnow

# Refusals of the connection, the greeting or the login: no message of the batch can go.
_SESSION_ERRORS = (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError)


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class TransientError(Exception):
    """Sending failed in a way that may pass: try again later."""


class PermanentError(Exception):
    """The message was refused for good."""


def new_message(cfg: Mapping[str, Any], to: str, subject: str, body: str,
                domain: str = "bugzot") -> EmailMessage:
    """A plain-text message from MAIL_FROM, with Date and a fresh Message-ID."""
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    msg.set_content(body)
    return msg


class Mailer:
    """Sends messages through the configured backend; use as a context manager."""

    def __init__(self, cfg: Mapping[str, Any]):
        self.cfg = cfg
        self._smtp: smtplib.SMTP | None = None
        self._down: str | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def describe(self) -> str:
        """Where mail goes, for messages to the operator."""
        if self.cfg["MAIL_BACKEND"] == "smtp":
            return f"SMTP server {self.cfg['SMTP_HOST']}:{self.cfg['SMTP_PORT']}"
        return f"the folder {self.cfg['MAIL_OUTBOX']}"

    def send(self, msg: EmailMessage) -> None:
        """Hand ``msg`` over, or raise TransientError / PermanentError."""
        if self.cfg["MAIL_BACKEND"] != "smtp":
            self._write_file(msg)
            return
        if self._down:
            raise TransientError(self._down)
        try:
            self._connection().send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = "; ".join(f"{who}: {code} {_text(text)}"
                              for who, (code, text) in exc.recipients.items())
            raise (PermanentError if all(c >= 500 for c in codes) else TransientError)(error) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            error = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            if isinstance(exc, _SESSION_ERRORS):  # the server, not this message
                self._down = f"{self.describe()}: {error}"
                raise TransientError(self._down) from exc
            raise (PermanentError if exc.smtp_code >= 500 else TransientError)(error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._reset()
            self._down = f"{self.describe()}: {exc.__class__.__name__}: {exc}"
            raise TransientError(self._down) from exc

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            cfg = self.cfg
            smtp = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["SMTP_TIMEOUT"])
            try:
                if cfg["SMTP_STARTTLS"]:
                    smtp.starttls()
                if cfg["SMTP_USERNAME"]:
                    smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def _reset(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        """Say goodbye to the SMTP server, if one was reached."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            finally:
                self._reset()

    def _write_file(self, msg: EmailMessage) -> None:
        """Write ``msg`` into the outbox folder; the names sort by time."""
        folder = self.cfg["MAIL_OUTBOX"]
        try:
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"{utcnow():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml")
            with open(path, "wb") as fh:
                fh.write(msg.as_bytes())
        except OSError as exc:
            raise TransientError(f"{self.describe()}: {exc}") from exc
