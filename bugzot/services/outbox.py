"""The outbox: every message BugZot sends is a row written in the unit of work of the
change that causes it, so a rolled-back change sends nothing and a crash after the
commit loses nothing. The mail worker (``bugzot.notify.worker``) sends the rows.

* Inside a caller's unit of work (never committing): ``queue_mail`` (account mail, ready
  to send), ``add_notice`` (one recipient's bug mail, merged into their open mail about
  the same person's previous save of the bug, or into their digest), ``add_delivery``
  (a webhook delivery).
* The worker's side, each one unit of work: ``claim`` (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; on SQLite the one UPDATE statement holds the database's write lock), then
  ``mark_sent``, ``mark_failed`` (backoff, then the failed state) or ``mark_skipped``,
  each only while the worker's claim is still its own; ``purge`` of old handled rows.
* Admins (``admin.notifications``): ``retry`` and ``discard`` failed rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Row, delete, or_, select, update

from bugzot import permissions
from bugzot.extensions import db
from bugzot.models import OutboxMessage, utcnow
from bugzot.services import unit_of_work

M = OutboxMessage
# A coalesced mail stays open for at most this many windows after its first change.
COALESCE_MAX_WINDOWS = 5
DIGEST_MODES = ("hourly", "daily")


def link(path: str) -> str:
    """An absolute link for mail, built from BASE_URL (never the request's Host)."""
    return current_app.config["BASE_URL"] + path


# -- writing rows (inside the caller's unit of work) --------------------------------------
def queue_mail(to: str, subject: str, body: str) -> OutboxMessage:
    """Queue a ready-made plain-text mail to ``to``; it goes out once the caller commits."""
    row = M(kind=M.KIND_MAIL, to_address=to, subject=subject[:255], body=body,
            due_at=utcnow(), last_error="", reasons="", changes="")
    db.session.add(row)
    return row


@dataclass(frozen=True)
class Notice:
    """One recipient's bug mail about one save: who, which bug and revision, by whom,
    why (their roles) and about what (the kinds of change they asked to hear about)."""

    user_id: int
    bug_id: int
    actor_id: int
    revision: int
    reasons: frozenset[str]
    changes: frozenset[str]
    digest: str = "off"  # or "hourly", "daily"


def next_digest(mode: str, now: datetime) -> datetime:
    """When the digest of ``mode`` that a change made at ``now`` goes out."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    if mode == "hourly":
        return hour + timedelta(hours=1)
    slot = hour.replace(hour=int(current_app.config["MAIL_DIGEST_DAILY_HOUR"]))
    return slot if slot > now else slot + timedelta(days=1)


def _words(*values: Iterable[str]) -> str:
    return " ".join(sorted({w for value in values for w in value if w}))


def add_notice(notice: Notice) -> None:
    """Queue ``notice``: into the recipient's open mail about the same person's previous
    save of the bug (within the coalescing window) or their digest, else as a new row."""
    now = utcnow()
    window = timedelta(seconds=float(current_app.config["MAIL_COALESCE_SECONDS"]))
    mine = [M.kind == M.KIND_BUG, M.status == M.PENDING, M.claim_token.is_(None),
            M.user_id == notice.user_id, M.bug_id == notice.bug_id]
    values: dict[str, Any] = {"last_revision": notice.revision}
    if notice.digest in DIGEST_MODES:  # every change until the digest's hour
        due = next_digest(notice.digest, now)
        mine += [M.digest.is_(True), M.due_at == due]
    else:  # the same person's save right after the one the open mail ends with
        due = now + window
        mine += [M.digest.is_(False), M.actor_id == notice.actor_id,
                 M.last_revision == notice.revision - 1, M.due_at > now,
                 M.created_at > now - window * COALESCE_MAX_WINDOWS]
    open_row = db.session.execute(select(M.id, M.reasons, M.changes, M.created_at)
                                  .where(*mine).order_by(M.id.desc()).limit(1)).first()
    if open_row is not None:
        if notice.digest not in DIGEST_MODES:
            values["due_at"] = min(due, open_row.created_at + window * COALESCE_MAX_WINDOWS)
        # Conditional: a worker that claimed the row meanwhile keeps it as it was.
        merged = db.session.execute(update(M).where(M.id == open_row.id, M.claim_token.is_(None),
                                                    M.status == M.PENDING).values(
            reasons=_words(open_row.reasons.split(), notice.reasons),
            changes=_words(open_row.changes.split(), notice.changes), **values),
            execution_options={"synchronize_session": False})
        if merged.rowcount:
            return
    db.session.add(M(kind=M.KIND_BUG, user_id=notice.user_id, bug_id=notice.bug_id,
                     actor_id=notice.actor_id, first_revision=notice.revision,
                     last_revision=notice.revision, reasons=_words(notice.reasons),
                     changes=_words(notice.changes), digest=notice.digest in DIGEST_MODES,
                     created_at=now, due_at=due, last_error=""))


def add_delivery(webhook_id: int, bug_id: int, actor_id: int, revision: int,
                 kinds: Iterable[str]) -> None:
    """Queue one delivery of a save of ``bug_id`` to the webhook ``webhook_id``."""
    db.session.add(M(kind=M.KIND_WEBHOOK, webhook_id=webhook_id, bug_id=bug_id,
                     actor_id=actor_id, first_revision=revision, last_revision=revision,
                     changes=_words(kinds), reasons="", due_at=utcnow(), last_error=""))


# -- the worker's side ---------------------------------------------------------------------
def _claimable(now: datetime, due: datetime) -> list[Any]:
    return [M.status == M.PENDING, M.due_at <= due,
            or_(M.claimed_until.is_(None), M.claimed_until < now)]


def _take(ids: Any, claimed: dict[str, Any], now: datetime, due_by: datetime) -> None:
    """Claim the rows ``ids`` selects that nobody holds. The ids come from a CTE run
    once (PostgreSQL may run a LIMIT subquery under ``IN`` more than once, taking more
    rows than asked), locked with SKIP LOCKED so that concurrent claims pass each other."""
    chosen = ids.with_for_update(skip_locked=True).cte("chosen")
    db.session.execute(update(M).where(M.id == chosen.c.id, *_claimable(now, due_by))
                       .values(claimed), execution_options={"synchronize_session": False})


def claim(limit: int, due_by: datetime | None = None) -> tuple[str, list[Row]]:
    """Claim up to ``limit`` rows due by ``due_by`` (default: now) for this worker, with
    every due digest entry of the same recipients (one digest is one mail); returns the
    claim's token and the rows, oldest first. Rows another worker holds are skipped,
    never waited for."""
    token, now = secrets.token_hex(16), utcnow()
    due_by = due_by or now
    lease = now + timedelta(seconds=float(current_app.config["MAIL_CLAIM_SECONDS"]))
    claimed = {"claim_token": token, "claimed_until": lease, "attempts": M.attempts + 1}
    with unit_of_work():
        _take(select(M.id).where(*_claimable(now, due_by)).order_by(M.due_at, M.id).limit(limit),
              claimed, now, due_by)
        readers = select(M.user_id).where(M.claim_token == token, M.digest.is_(True))
        _take(select(M.id).where(*_claimable(now, due_by), M.digest.is_(True),
                                 M.user_id.in_(readers)), claimed, now, due_by)
    # Plain rows (not ORM objects, which a commit would expire): the worker reads them
    # between its commits without opening a transaction while it sends.
    rows = db.session.execute(select(M.__table__).where(M.claim_token == token)
                              .order_by(M.id)).all()
    db.session.commit()
    return token, list(rows)


def _finish(row_id: int, token: str, **values: Any) -> bool:
    """Write ``values`` on a row this worker still holds; False when it holds it no more."""
    with unit_of_work():
        done = db.session.execute(
            update(M).where(M.id == row_id, M.claim_token == token, M.status == M.PENDING)
            .values(claim_token=None, claimed_until=None, **values),
            execution_options={"synchronize_session": False})
    return bool(done.rowcount)


def mark_sent(row: Row, token: str, response_status: int | None = None) -> bool:
    """The row was delivered (a mail's body goes: it may hold a one-time key)."""
    extra = {"body": ""} if row.kind == M.KIND_MAIL else {}
    return _finish(row.id, token, status=M.SENT, sent_at=utcnow(), last_error="",
                   response_status=response_status, **extra)


def mark_skipped(row: Row, token: str, why: str) -> bool:
    """Nothing to send: the recipient may see nothing of this change (or the bug)."""
    return _finish(row.id, token, status=M.SKIPPED, sent_at=utcnow(), last_error=why)


def mark_failed(row: Row, token: str, error: str, permanent: bool = False,
                response_status: int | None = None) -> str:
    """A failed attempt: try again after a doubling delay, or after the last attempt (or
    a permanent refusal) mark it failed. Returns the row's new status."""
    cfg = current_app.config
    if permanent or row.attempts >= int(cfg["MAIL_MAX_ATTEMPTS"]):
        status, due = M.FAILED, row.due_at
    else:
        delay = min(float(cfg["MAIL_RETRY_SECONDS"]) * 2 ** max(row.attempts - 1, 0),
                    float(cfg["MAIL_RETRY_MAX_SECONDS"]))
        status, due = M.PENDING, utcnow() + timedelta(seconds=delay)
    _finish(row.id, token, status=status, due_at=due, last_error=error[:2000],
            response_status=response_status)
    return status


def purge(keep_days: float) -> int:
    """Delete handled rows (sent, skipped, discarded) older than ``keep_days``; failed
    ones stay until an admin retries or discards them."""
    cutoff = utcnow() - timedelta(days=keep_days)
    with unit_of_work():
        gone = db.session.execute(delete(M).where(
            M.status.in_((M.SENT, M.SKIPPED, M.DISCARDED)), M.created_at < cutoff),
            execution_options={"synchronize_session": False})
    return gone.rowcount


# -- admins -------------------------------------------------------------------------------
def _failed_rows(acting: Any, ids: Iterable[int]) -> list[OutboxMessage]:
    permissions.check(acting, permissions.ADMIN_NOTIFICATIONS,
                      "You may not manage the mail queue.")
    ids = sorted(set(ids))
    if not ids:
        return []
    return list(db.session.scalars(select(M).where(M.id.in_(ids), M.status == M.FAILED)))


def retry(acting: Any, ids: Iterable[int]) -> int:
    """Send failed rows again (a fresh set of attempts, from now); returns how many."""
    with unit_of_work():
        rows = _failed_rows(acting, ids)
        for row in rows:
            row.status, row.attempts, row.due_at = M.PENDING, 0, utcnow()
            row.claim_token = row.claimed_until = None
    return len(rows)


def discard(acting: Any, ids: Iterable[int]) -> int:
    """Give up on failed rows (kept in the log as discarded); returns how many."""
    with unit_of_work():
        rows = _failed_rows(acting, ids)
        for row in rows:
            row.status = M.DISCARDED
            if row.kind == M.KIND_MAIL:
                row.body = ""
    return len(rows)
