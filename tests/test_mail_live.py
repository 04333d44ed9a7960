"""The mail worker as the real command in other processes, on the committing database:
two workers racing over the same outbox never send a row twice, and ``send-mail --loop``
sends new mail as it is committed until SIGTERM stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mail_support import SMTPServer
from sqlalchemy import select

from bugzot.extensions import db
from bugzot.models import OutboxMessage
from bugzot.services import outbox, unit_of_work

ROOT = Path(__file__).resolve().parents[1]
FLASK = os.path.join(sys.prefix, "bin", "flask")


def worker_command(live_app, smtp: SMTPServer, folder: Path, *args: str, **settings) -> list[str]:
    """``flask --app bugzot send-mail ARGS`` for an instance on ``live_app``'s database
    that sends through ``smtp``."""
    folder.mkdir(exist_ok=True)
    values = {"SECRET_KEY": "worker-test", "SQLALCHEMY_DATABASE_URI":
              live_app.config["SQLALCHEMY_DATABASE_URI"], "BASE_URL": "http://bugzot.test",
              "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port,
              "SMTP_STARTTLS": False, "LOG_LEVEL": "WARNING", **settings}
    (folder / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in values.items()))
    return [FLASK, "--app", f"bugzot:create_app(instance_path={str(folder)!r})", "send-mail", *args]


def queue(count: int, prefix: str) -> list[str]:
    subjects = [f"{prefix} {i:03d}" for i in range(count)]
    with unit_of_work():
        for subject in subjects:
            outbox.queue_mail("someone@example.com", subject, "x")
    return subjects


def test_two_workers_never_send_the_same_row_twice(live_app, smtp, tmp_path):
    smtp.received.clear()
    smtp.delay = 0.02  # a slowish server, so that the two really overlap
    subjects = queue(120, "Race")
    command = worker_command(live_app, smtp, tmp_path / "instance", MAIL_BATCH_SIZE=3)
    workers = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=180)[0] for w in workers]
    smtp.delay = 0.0
    assert [w.returncode for w in workers] == [0, 0], outputs
    sent = sorted(m["Subject"] for m in smtp.messages())
    assert sent == subjects  # every one, each once
    counts = [int(out.split("Mail: ")[1].split(" sent")[0]) for out in outputs]
    assert sum(counts) == 120 and min(counts) > 0, outputs  # both took part
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(select(OutboxMessage))} == {"sent"}


def test_the_loop_sends_what_is_committed_until_sigterm(live_app, smtp, tmp_path):
    smtp.received.clear()
    command = worker_command(live_app, smtp, tmp_path / "instance", "--loop", MAIL_POLL_SECONDS=0.2)
    loop = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        for round_ in ("first", "second"):
            [subject] = queue(1, round_)
            deadline = time.monotonic() + 30
            while subject not in [m["Subject"] for m in smtp.messages()]:
                assert loop.poll() is None and time.monotonic() < deadline, "no mail came"
                time.sleep(0.05)
    finally:
        loop.send_signal(signal.SIGTERM)
        output = loop.communicate(timeout=30)[0]
    assert loop.returncode == 0, output
    assert output.count("sent #") == 2 and "mail worker: stopped" in output
