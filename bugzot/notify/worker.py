"""The mail worker: claims due outbox rows, builds and sends each message, records what
happened, and logs one line per row (logger ``bugzot.mail``).

``run_once`` sends everything that is due and returns (cron, Windows Task Scheduler:
``flask --app bugzot send-mail``); ``run_forever`` keeps doing so until told to stop
(systemd service, Windows service: ``send-mail --loop``). Several workers may run at
once on one database: each claims its own rows (``services.outbox.claim``) and writes
results only for rows it still holds. A message is built just before it is sent, in a
read that ends before the SMTP or HTTP conversation starts, so no transaction stays open
while a slow server answers.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

from bugzot.extensions import db
from bugzot.models import OutboxMessage as M
from bugzot.models import utcnow
from bugzot.notify import digest, render, webhooks
from bugzot.notify.transport import Mailer, PermanentError, TransientError, new_message
from bugzot.services import outbox


def log() -> logging.Logger:
    """The worker's logger (a child of the app's, so it lands in the same place)."""
    return current_app.logger.getChild("mail")


@dataclass
class Tally:
    """What one run did, in messages (a digest is one, whatever rows it gathers)."""

    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, other: Tally) -> None:
        for name in ("sent", "skipped", "retrying", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (f"{self.sent} sent, {self.skipped} skipped, {self.retrying} to retry, "
                f"{self.failed} failed")

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.retrying + self.failed


def run_once(max_rows: int | None = None) -> Tally:
    """Send every row due when it starts (at most ``max_rows``; a row that fails waits
    for its retry time, so for a later run); returns the tally."""
    tally, batch, started = Tally(), int(current_app.config["MAIL_BATCH_SIZE"]), utcnow()
    with Mailer(current_app.config) as mailer:
        while max_rows is None or tally.handled < max_rows:
            limit = batch if max_rows is None else min(batch, max_rows - tally.handled)
            token, rows = outbox.claim(limit, started)
            if not rows:
                break
            tally.add(_handle(rows, token, mailer))
    outbox.purge(float(current_app.config["MAIL_KEEP_DAYS"]))
    return tally


def run_forever(stop: threading.Event) -> None:
    """Send due rows until ``stop`` is set, looking again every MAIL_POLL_SECONDS; a
    database or SMTP outage is logged and waited out, never fatal."""
    poll = float(current_app.config["MAIL_POLL_SECONDS"])
    while not stop.is_set():
        try:
            run_once()
        except Exception:  # the database went away: say so, wait, try again
            log().exception("mail worker: run failed; trying again in %.0f s", poll)
            db.session.rollback()
        finally:
            db.session.remove()
        stop.wait(poll)


def _handle(rows: Sequence[Any], token: str, mailer: Mailer) -> Tally:
    """Deliver one claim's rows: ready-made mail, bug mail, digests (one per recipient),
    webhooks."""
    tally = Tally()
    digests: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if row.kind == M.KIND_BUG and row.digest:
            digests[row.user_id].append(row)
        elif row.kind == M.KIND_WEBHOOK:
            _deliver([row], token, tally, lambda row=row: webhooks.payload(row), webhooks.post)
        else:
            build = (lambda row=row: render.bug_mail(row)) if row.kind == M.KIND_BUG else \
                (lambda row=row: _ready_mail(row))
            _deliver([row], token, tally, build, mailer.send)
    for group in digests.values():
        _deliver(group, token, tally, lambda group=group: digest.digest_mail(group), mailer.send)
    return tally


def _ready_mail(row: Any) -> Any:
    return new_message(current_app.config, row.to_address, row.subject, row.body,
                       domain=render.mail_domain())


def _deliver(rows: Sequence[Any], token: str, tally: Tally, build: Callable[[], Any],
             send: Callable[[Any], Any]) -> None:
    """Build one message for ``rows``, send it, and record the outcome on each row."""
    try:
        built = build()
    except Exception as exc:  # a bug in building one message must not stop the others
        log().exception("mail #%s: could not be built", rows[0].id)
        _failed(rows, token, tally, f"could not build the message: {exc!r}")
        return
    finally:
        db.session.rollback()  # end the read before talking to any server
    ids = ",".join(str(r.id) for r in rows)
    if built is None:
        for row in rows:
            outbox.mark_skipped(row, token, "nothing the recipient may see")
        tally.skipped += 1
        log().info("skipped #%s (%s): nothing %s may see", ids, _what(rows), _whom(rows[0]))
        return
    try:
        answer = send(built)
    except PermanentError as exc:
        _failed(rows, token, tally, str(exc), permanent=True)
    except TransientError as exc:
        status = exc.args[1] if len(exc.args) > 1 else None
        _failed(rows, token, tally, str(exc.args[0]), response_status=status)
    else:
        status = answer if isinstance(answer, int) else None
        for row in rows:
            outbox.mark_sent(row, token, status)
        tally.sent += 1
        log().info("sent #%s (%s) to %s%s", ids, _what(rows), _to(built),
                   f": HTTP {status}" if status else "")


def _failed(rows: Sequence[Any], token: str, tally: Tally, error: str, permanent: bool = False,
            response_status: int | None = None) -> None:
    """Record a failed attempt on every row of one message; one log line for it."""
    statuses = {outbox.mark_failed(row, token, error, permanent, response_status) for row in rows}
    ids, attempts = ",".join(str(r.id) for r in rows), max(r.attempts for r in rows)
    if statuses == {M.FAILED}:
        tally.failed += 1
        log().warning("failed #%s (%s) for good after %s attempt(s): %s", ids, _what(rows),
                      attempts, error)
    else:
        tally.retrying += 1
        log().warning("failed #%s (%s), attempt %s of %s, will retry: %s", ids, _what(rows),
                      attempts, current_app.config["MAIL_MAX_ATTEMPTS"], error)


def _what(rows: Sequence[Any]) -> str:
    row = rows[0]
    if row.kind == M.KIND_BUG and row.digest:
        return f"digest of {len(rows)} change(s) to {len({r.bug_id for r in rows})} bug(s)"
    if row.kind == M.KIND_BUG:
        return f"bug mail, bug {row.bug_id}"
    if row.kind == M.KIND_WEBHOOK:
        return f"webhook {row.webhook_id}, bug {row.bug_id}"
    return f"mail {row.subject!r}"


def _whom(row: Any) -> str:
    return f"user {row.user_id}" if row.user_id else "the endpoint"


def _to(built: Any) -> str:
    return built.url if isinstance(built, webhooks.Delivery) else built["To"]
