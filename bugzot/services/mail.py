"""Outgoing mail: SMTP in production, one file per message in instance/outbox otherwise."""

from __future__ import annotations

import os
import secrets
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from bugzot.models import utcnow


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text message to ``to`` through the configured backend."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="bugzot")
    msg.set_content(body)
    if cfg["MAIL_BACKEND"] == "smtp":
        _send_smtp(msg)
    else:
        _write_outbox(msg)


def _write_outbox(msg: EmailMessage) -> str:
    """Write ``msg`` to the outbox folder; the name sorts by time."""
    folder = current_app.config["MAIL_OUTBOX"]
    os.makedirs(folder, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml"
    path = os.path.join(folder, name)
    with open(path, "wb") as fh:
        fh.write(msg.as_bytes())
    return path


def _send_smtp(msg: EmailMessage) -> None:
    cfg = current_app.config
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["SMTP_TIMEOUT"]) as smtp:
        if cfg["SMTP_STARTTLS"]:
            smtp.starttls()
        if cfg["SMTP_USERNAME"]:
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
        smtp.send_message(msg)


def link(path: str) -> str:
    """An absolute link for mail, built from BASE_URL (never the request's Host)."""
    return current_app.config["BASE_URL"] + path
