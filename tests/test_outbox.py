"""``services.outbox``: rows written in the caller's unit of work (none when it rolls
back), claims that pass each other (SKIP LOCKED on PostgreSQL; on SQLite a claim waits
for the writer ahead of it), results written only by the claim's holder, and purging."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from mail_support import rows
from sqlalchemy import func, select, update

from bugzot.extensions import db
from bugzot.models import OutboxMessage, utcnow
from bugzot.services import outbox, unit_of_work


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_rows_commit_and_roll_back_with_their_unit_of_work(app):
    with pytest.raises(RuntimeError):
        with unit_of_work():
            outbox.queue_mail("a@example.com", "Lost", "x")
            raise RuntimeError("the change failed")
    assert count() == 0
    with unit_of_work():
        outbox.queue_mail("a@example.com", "Kept", "x")
    assert [r.subject for r in rows()] == ["Kept"]


def test_a_claim_takes_only_due_unheld_rows_and_results_need_the_claim(app):
    with unit_of_work():
        for subject in ("a", "b", "c"):
            outbox.queue_mail("x@example.com", subject, "body")
        outbox.queue_mail("x@example.com", "later", "body").due_at = utcnow() + timedelta(hours=1)
    token, first = outbox.claim(2)
    assert [r.subject for r in first] == ["a", "b"] and {r.attempts for r in first} == {1}
    other, second = outbox.claim(10)
    assert [r.subject for r in second] == ["c"]  # "later" is not due, a and b are held
    assert not outbox.mark_sent(first[0], other)  # not that claim's row
    assert outbox.mark_sent(first[0], token)
    assert not outbox.mark_sent(first[0], token)  # once only
    assert outbox.mark_failed(first[1], token, "421 busy") == "pending"
    assert outbox.mark_skipped(second[0], other, "nothing to see")
    by_subject = {r.subject: r for r in rows()}
    assert by_subject["a"].status == "sent" and by_subject["a"].body == ""
    assert by_subject["b"].status == "pending" and by_subject["b"].claim_token is None
    assert by_subject["b"].due_at > utcnow() + timedelta(seconds=50)
    assert by_subject["c"].status == "skipped"


def test_purge_keeps_failed_and_recent_rows(app):
    with unit_of_work():
        for status in ("sent", "skipped", "discarded", "failed", "pending"):
            row = outbox.queue_mail("x@example.com", status, "b")
            row.status, row.created_at = status, utcnow() - timedelta(days=40)
        outbox.queue_mail("x@example.com", "recent", "b").status = "sent"
    assert outbox.purge(30) == 3
    assert sorted(r.subject for r in rows()) == ["failed", "pending", "recent"]


def test_claims_pass_each_other(live_app, backend):
    """Another worker is inside its claim. PostgreSQL: the rows it locked are skipped,
    the rest claimed at once. SQLite: the claim waits for that writer, then goes on."""
    with unit_of_work():
        for subject in ("held", "free"):
            outbox.queue_mail("x@example.com", subject, "body")
    held_id = rows(subject="held")[0].id
    other = db.engine.connect()
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with other.begin():
            if backend == "postgresql":
                other.execute(sa.text("SELECT id FROM outbox WHERE id = :id FOR UPDATE"),
                              {"id": held_id})
            else:
                other.execute(update(OutboxMessage).where(OutboxMessage.id == held_id)
                              .values(last_error="held"))
            locked.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(10)
    if backend == "sqlite":
        threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    token, claimed = outbox.claim(10)
    waited = time.monotonic() - started
    release.set()
    thread.join(10)
    other.close()
    if backend == "postgresql":
        assert [r.subject for r in claimed] == ["free"] and waited < 2  # never waited
        assert [r.subject for r in outbox.claim(10)[1]] == ["held"]
    else:
        assert sorted(r.subject for r in claimed) == ["free", "held"] and waited >= 0.4
