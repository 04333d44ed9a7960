"""The mail worker against a real SMTP server: SMTP down and back, retries with backoff,
the failed state and the admin page that retries or discards, permanent refusals, one
log line per message, the coalescing window, digests, and the commands
(``send-mail``, ``send-test-mail``)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from conftest import PASSWORD, edit, mail_link, post_form
from mail_support import make_due, rows, send_due
from sqlalchemy import update

from bugzot.exceptions import Forbidden
from bugzot.extensions import db
from bugzot.models import OutboxMessage, User, utcnow
from bugzot.services import notifications, outbox, unit_of_work
from bugzot.services.read.notifications import DEFAULT_ENABLED


def register(client, username="newbie"):
    return post_form(client, "/register", {"username": username, "email": f"{username}@example.com",
                                           "real_name": "", "password": PASSWORD,
                                           "confirm": PASSWORD})


def test_smtp_down_registration_still_works_and_the_mail_arrives_later(smtp_app, smtp, client, auth):
    smtp.stop()
    smtp_app.config["MAIL_RETRY_SECONDS"] = 0
    response = register(client)
    assert response.status_code == 200 and "Check your mail" in response.get_data(as_text=True)
    send_due()
    [row] = rows(kind="mail")
    assert row.status == "pending" and row.attempts == 1 and "Connection" in row.last_error
    smtp.start()
    send_due()
    [mail] = smtp.messages("newbie@example.com")
    assert mail["Subject"] == "BugZot: activate your account"
    assert client.get(mail_link(mail, "/activate/")).status_code == 302
    assert auth.login("newbie").status_code == 302
    [row] = rows(kind="mail")
    assert row.status == "sent" and row.body == ""  # the key does not stay in the database


def test_failures_back_off_then_fail_and_an_admin_retries_or_discards(smtp_app, smtp, client, auth,
                                                                      make_user):
    smtp.stop()
    smtp_app.config.update(MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_SECONDS=60)
    with unit_of_work():
        outbox.queue_mail("one@example.com", "First", "Body one")
        outbox.queue_mail("two@example.com", "Second", "Body two")
    delays = []
    for _ in range(3):
        started = utcnow()
        send_due()
        delays.append([(r.due_at - started).total_seconds() for r in rows(kind="mail")])
        make_due()
    assert 55 < delays[0][0] < 65 and 115 < delays[1][0] < 125  # 1 minute, then 2
    first, second = rows(kind="mail")
    assert first.status == second.status == "failed" and first.attempts == 3
    send_due()  # failed rows are not tried again by themselves
    assert rows(kind="mail")[0].attempts == 3

    make_user("root", role="Admin")
    auth.login("root")
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "First" in page and "Second" in page and "Connection refused" in page
    smtp.start()
    assert post_form(client, "/admin/mail", {"action": "retry", "ids": [str(first.id)]},
                     ).status_code == 302
    assert post_form(client, "/admin/mail", {"action": "discard", "ids": [str(second.id)]},
                     ).status_code == 302
    send_due()
    assert [m["Subject"] for m in smtp.messages()] == ["First"]
    first, second = rows(kind="mail")
    assert first.status == "sent" and second.status == "discarded" and second.body == ""
    assert "No failed messages" in client.get("/admin/mail").get_data(as_text=True)


def test_only_admins_see_the_mail_queue(smtp_app, client, auth, make_user):
    make_user("emp", role="Employee")
    auth.login("emp")
    assert client.get("/admin/mail").status_code == 403
    assert client.get("/admin/webhooks").status_code == 403
    with pytest.raises(Forbidden):
        outbox.retry(db.session.get(User, make_user(role="Employee").id), [1])


def test_a_refused_recipient_fails_at_once_and_the_others_go(smtp_app, smtp):
    smtp.refuse.add("gone@example.com")
    with unit_of_work():
        outbox.queue_mail("gone@example.com", "To nobody", "x")
        outbox.queue_mail("here@example.com", "To somebody", "y")
    send_due()
    gone, here = rows(kind="mail")
    assert gone.status == "failed" and gone.attempts == 1 and "550" in gone.last_error
    assert here.status == "sent" and [m["To"] for m in smtp.messages()] == ["here@example.com"]


def test_one_log_line_per_message(smtp_app, smtp, caplog):
    with unit_of_work():
        outbox.queue_mail("a@example.com", "Hello", "x")
    with caplog.at_level(logging.INFO, logger="bugzot.mail"):
        send_due()
    lines = [r.getMessage() for r in caplog.records if r.name == "bugzot.mail"]
    assert len(lines) == 1 and lines[0].startswith("sent #") and "a@example.com" in lines[0]


def test_a_claim_whose_worker_died_is_taken_over(smtp_app, smtp):
    with unit_of_work():
        outbox.queue_mail("a@example.com", "Orphan", "x")
    token, claimed = outbox.claim(10)  # a worker claims it... and dies
    assert len(claimed) == 1 and outbox.claim(10)[1] == []  # held: nobody else takes it
    send_due()
    assert smtp.messages() == []
    db.session.execute(update(OutboxMessage).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    send_due()
    assert [m["Subject"] for m in smtp.messages()] == ["Orphan"]
    assert not outbox.mark_sent(claimed[0], token)  # the dead worker's late word changes nothing


# -- noise: the coalescing window and digests ---------------------------------------------
@pytest.fixture
def busy_bug(smtp_app, smtp, make_user, make_bug):
    smtp_app.config["MAIL_COALESCE_SECONDS"] = 120
    people = {n: make_user(n, role="Employee") for n in ("rita", "ed", "ann")}
    bug = make_bug(reporter=people["rita"], summary="Busy")
    make_due()
    send_due()
    smtp.received.clear()
    return people, bug


def test_one_persons_consecutive_changes_become_one_mail(busy_bug, smtp):
    people, bug = busy_bug
    edit(people["ed"], bug, {"priority": "P1"})
    edit(people["ed"], bug, comment="And a comment.")
    edit(people["ed"], bug, {"severity": "major"})
    send_due()
    assert smtp.messages() == []  # the window is still open
    [row] = rows(kind="bug", user_id=people["rita"].id, status="pending")
    assert (row.first_revision, row.last_revision) == (2, 4)
    assert row.changes == "comment fields"
    make_due()
    send_due()
    [mail] = smtp.messages()
    body = mail.get_content().replace(" ", "")
    assert "Priority|P3|P1" in body and "Severity|normal|major" in body and "Andacomment." in body


def test_someone_elses_change_starts_a_new_mail(busy_bug, smtp):
    people, bug = busy_bug
    edit(people["ed"], bug, {"priority": "P1"})
    edit(people["ann"], bug, comment="Me too.")
    edit(people["ed"], bug, {"priority": "P2"})
    make_due()
    send_due()
    assert len(smtp.messages("rita@example.com")) == 3


def test_the_window_is_real_time(smtp_app, smtp, make_user, make_bug):
    smtp_app.config["MAIL_COALESCE_SECONDS"] = 0.5
    rita, ed = make_user("rita"), make_user("ed", role="Employee")
    bug = make_bug(reporter=rita)
    edit(ed, bug, comment="One")
    edit(ed, bug, comment="Two")
    send_due()
    assert smtp.messages("rita@example.com") == []
    time.sleep(0.8)
    send_due()
    [mail] = smtp.messages("rita@example.com")
    assert "One" in mail.get_content() and "Two" in mail.get_content()


def test_a_mail_is_not_held_open_forever(busy_bug, smtp):
    """Each change keeps the mail open one more window, five windows at most."""
    people, bug = busy_bug
    edit(people["ed"], bug, {"priority": "P1"})
    [row] = rows(kind="bug", user_id=people["rita"].id, status="pending")
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
        created_at=utcnow() - timedelta(seconds=590)))
    db.session.commit()
    edit(people["ed"], bug, {"priority": "P2"})
    [row] = rows(kind="bug", user_id=people["rita"].id, status="pending")
    assert row.last_revision == 3 and (row.due_at - row.created_at).total_seconds() == 600
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
        created_at=utcnow() - timedelta(seconds=601)))
    db.session.commit()
    edit(people["ed"], bug, {"priority": "P3"})
    assert len(rows(kind="bug", user_id=people["rita"].id, status="pending")) == 2


def test_a_daily_digest_groups_every_bug_that_changed(smtp_app, smtp, make_user, make_product,
                                                      make_bug):
    smtp_app.config["MAIL_DIGEST_DAILY_HOUR"] = 7
    dana, ed = make_user("dana"), make_user("ed", role="Employee")
    notifications.save_prefs(dana, notifications.PrefsEdit(DEFAULT_ENABLED, digest="daily"))
    make_product("Alpha", components=("Core", "Docs"))
    make_product("Beta")
    notifications.add_watch(dana, "Alpha")
    a1 = make_bug("Alpha", reporter=dana, summary="Alpha core bug")
    a2 = make_bug("Alpha", component="Docs", reporter=ed, summary="Alpha docs bug")
    b1 = make_bug("Beta", reporter=dana, summary="Beta bug")
    edit(ed, a1, comment="Looked at it.")
    edit(ed, a1, {"priority": "P1"})
    edit(ed, b1, comment="Internal only", private=True)  # dana may not see it
    send_due()
    assert smtp.messages() == []
    pending = rows(kind="bug", user_id=dana.id, status="pending")
    due = pending[0].due_at
    assert {r.due_at for r in pending} == {due} and due.hour == 7 and due > utcnow()
    assert due - utcnow() <= timedelta(days=1)
    make_due()
    send_due()
    [digest] = smtp.messages("dana@example.com")
    assert digest["Subject"] == "[BugZot] Daily digest: 2 bugs changed"
    assert digest["X-BugZot-Reason"] == "Digest" and digest["List-Unsubscribe"]
    body = digest.get_content()
    assert body.index("== Alpha / Core ==") < body.index(f"[Bug {a1.id}] Alpha core bug") \
        < body.index("== Alpha / Docs ==") < body.index(f"[Bug {a2.id}] Alpha docs bug")
    assert "Priority: P3 -> P1" in body and "Looked at it." in body
    assert "Beta" not in body and "Internal only" not in body
    assert {r.status for r in rows(kind="bug", user_id=dana.id)} == {"sent"}  # one mail for all


def test_hourly_digests_go_at_the_top_of_the_hour(app):
    now = utcnow().replace(hour=10, minute=17)
    assert outbox.next_digest("hourly", now) == now.replace(hour=11, minute=0, second=0, microsecond=0)
    app.config["MAIL_DIGEST_DAILY_HOUR"] = 7
    assert outbox.next_digest("daily", now).hour == 7
    assert outbox.next_digest("daily", now).date() == (now + timedelta(days=1)).date()
    assert outbox.next_digest("daily", now.replace(hour=6)).date() == now.date()


# -- the commands ----------------------------------------------------------------------------
def test_send_mail_command_says_what_it_did(smtp_app, smtp, runner):
    with unit_of_work():
        outbox.queue_mail("a@example.com", "One", "x")
        outbox.queue_mail("b@example.com", "Two", "y")
    result = runner.invoke(args=["send-mail", "--limit", "1"])
    assert result.exit_code == 0 and "Mail: 1 sent, 0 skipped, 0 to retry, 0 failed." in result.output
    result = runner.invoke(args=["send-mail"])
    assert "Mail: 1 sent" in result.output and len(smtp.messages()) == 2
    assert runner.invoke(args=["send-mail", "--loop", "--limit", "3"]).exit_code == 2


def test_send_test_mail_checks_the_settings(smtp_app, smtp, runner):
    result = runner.invoke(args=["send-test-mail", "me@example.com"])
    assert result.exit_code == 0, result.output
    assert f"through SMTP server 127.0.0.1:{smtp.port}" in result.output
    assert [m["Subject"] for m in smtp.messages("me@example.com")] == ["BugZot test message"]
    smtp.stop()
    result = runner.invoke(args=["send-test-mail", "me@example.com"])
    assert result.exit_code == 1 and "Could not send the test message: SMTP server 127.0.0.1" in result.output
    assert "Connection refused" in result.output
