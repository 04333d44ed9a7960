"""Bug mail through a real SMTP server: who gets what for each role and kind of change,
per preferences; nothing private reaches someone who may not see it (a marker string is
searched in every message); content and threading headers; a rolled-back change sends
nothing. Messages are built by the worker (``send_due``) with each recipient's
permissions at that moment."""

from __future__ import annotations

import io

import pytest
from conftest import edit, post_form
from mail_support import MARKER, send_due, text_of
from sqlalchemy import func, select

from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import OutboxMessage
from bugzot.services import attachments, bugs, notifications
from bugzot.services.commands import Upload
from bugzot.services.read.notifications import DEFAULT_ENABLED


@pytest.fixture
def cast(smtp_app, smtp, make_user, make_product, make_bug):
    """A bug with a reporter, assignee, QA contact, CC and a component watcher, changed
    by ``ed``; the mail of setting it up is sent and forgotten."""
    make_product("Widget", components=("General", "UI"))
    people = {name: make_user(name, role=role) for name, role in (
        ("rita", "Reporter"), ("ann", "Employee"), ("quinn", "Employee"), ("carl", "Reporter"),
        ("wendy", "Reporter"), ("ed", "Employee"), ("boss", "Employee"), ("olga", "Reporter"))}
    notifications.add_watch(people["wendy"], "Widget", "General")
    bug = make_bug("Widget", reporter=people["rita"], summary="Crash on save")
    edit(people["boss"], bug, {"assigned_to": people["ann"], "qa_contact": people["quinn"]},
         cc_add=[people["carl"]])
    send_due()
    smtp.received.clear()
    return people, bug


def recipients(smtp) -> list[str]:
    return sorted(to.split("@")[0] for m in smtp.messages() for to in [m["To"]])


CHANGES = {
    "comment": (lambda p, bug: edit(p["ed"], bug, comment="A public comment."),
                ["ann", "carl", "quinn", "rita", "wendy"]),
    "status": (lambda p, bug: edit(p["ed"], bug, {"bug_status": "ASSIGNED"}),
               ["ann", "carl", "quinn", "rita", "wendy"]),
    "fields": (lambda p, bug: edit(p["ed"], bug, {"priority": "P1"}),
               ["ann", "carl", "quinn", "rita"]),
    "attachment": (lambda p, bug: attachments.add_attachment(
        p["ed"], bug, Upload("log.txt", io.BytesIO(b"trace\n"), description="Trace")),
        ["ann", "carl", "quinn", "rita"]),
    # CC-list changes mail nobody by default, except the person added.
    "cc": (lambda p, bug: edit(p["ed"], bug, cc_add=[p["olga"]]), ["olga"]),
}


@pytest.mark.parametrize("kind", CHANGES)
def test_each_role_hears_of_each_kind_of_change_by_default(cast, smtp, kind):
    people, bug = cast
    change, expected = CHANGES[kind]
    change(people, bug)
    send_due()
    assert recipients(smtp) == expected  # never ed, who made the change
    for msg in smtp.messages():
        assert msg["Subject"] == f"[Bug {bug.id}] Crash on save"


VERIFY = (lambda p, bug: edit(p["ed"], bug, {"bug_status": "VERIFIED"}))  # noqa: E731
ROLE_OF = {"rita": "reporter", "ann": "assignee", "quinn": "qa", "carl": "cc", "wendy": "watcher"}
SECOND = {  # a second change of the same kind
    "comment": lambda p, bug: edit(p["ed"], bug, comment="Another comment."),
    "status": lambda p, bug: edit(p["ed"], bug, {"bug_status": "CLOSED"}),
    "fields": lambda p, bug: edit(p["ed"], bug, {"priority": "P2"}),
    "attachment": lambda p, bug: attachments.add_attachment(
        p["ed"], bug, Upload("two.txt", io.BytesIO(b"more\n"), description="More")),
    "cc": lambda p, bug: edit(p["ed"], bug, cc_add=[p["boss"]]),
}


@pytest.mark.parametrize("kind", CHANGES)
def test_each_cell_of_the_matrix_decides(cast, smtp, kind):
    """Everyone ticks only their role's cell for this kind: all hear of it; everyone
    ticks every cell but that one: none does (people the change adds aside)."""
    people, bug = cast
    if kind == "status":  # two status-only moves ahead: RESOLVED -> VERIFIED -> CLOSED
        edit(people["boss"], bug, {"bug_status": "RESOLVED", "resolution": "FIXED"}, comment="Done")
        send_due()
        smtp.received.clear()
    first = VERIFY if kind == "status" else CHANGES[kind][0]
    for name, role in ROLE_OF.items():
        notifications.save_prefs(people[name], notifications.PrefsEdit(frozenset({f"{role}:{kind}"})))
    first(people, bug)
    send_due()
    added = {"cc": ["olga"]}.get(kind, [])
    assert recipients(smtp) == sorted([*ROLE_OF, *added])
    smtp.received.clear()
    for name, role in ROLE_OF.items():
        notifications.save_prefs(people[name], notifications.PrefsEdit(
            notifications.PAIRS - {f"{role}:{kind}"}))
    SECOND[kind](people, bug)
    send_due()
    assert recipients(smtp) == {"cc": ["boss"]}.get(kind, [])


def test_a_new_bug_mails_cc_and_watchers(smtp_app, smtp, make_user, make_product, make_bug):
    make_product("Widget", components=("General", "UI"))
    wendy, walt = make_user("wendy"), make_user("walt")
    notifications.add_watch(wendy, "Widget", "General")
    notifications.add_watch(walt, "Widget", "UI")  # another component: nothing
    rita = make_user("rita", role="Employee")
    carl = make_user("carl")
    bug = make_bug("Widget", reporter=rita, summary="Filed", cc=frozenset({carl}))
    send_due()
    assert recipients(smtp) == ["carl", "wendy"]
    body = smtp.messages("carl@example.com")[0].get_content()
    assert "Summary: Filed" in body and "Steps to reproduce" in body
    assert f"http://bugzot.test/bugs/{bug.id}" in body


def test_preferences_decide_per_role_and_kind(cast, smtp):
    people, bug = cast
    carl = people["carl"]
    notifications.save_prefs(carl, notifications.PrefsEdit(DEFAULT_ENABLED - {"cc:comment"}))
    notifications.save_prefs(people["wendy"], notifications.PrefsEdit(frozenset({"watcher:fields"})))
    edit(people["ed"], bug, comment="Only a comment.")
    send_due()
    assert "carl" not in recipients(smtp) and "wendy" not in recipients(smtp)
    smtp.received.clear()
    edit(people["ed"], bug, {"priority": "P2"})
    send_due()
    assert {"carl", "wendy"} <= set(recipients(smtp))


def test_own_changes_only_when_asked(cast, smtp):
    people, bug = cast
    ann = people["ann"]
    edit(ann, bug, comment="My own words.")
    send_due()
    assert "ann" not in recipients(smtp)
    notifications.save_prefs(ann, notifications.PrefsEdit(DEFAULT_ENABLED, own_changes=True))
    edit(ann, bug, comment="Again.")
    send_due()
    assert recipients(smtp).count("ann") == 1


def test_ignored_bugs_mail_nobody_who_ignores_them(cast, smtp, client, auth):
    people, bug = cast
    notifications.set_ignored(people["quinn"], bug, True)
    auth.login("carl")
    page = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert "Ignore this bug" in page
    answer = post_form(client, f"/bugs/{bug.id}/ignore", {"ignored": "1"}, follow_redirects=True)
    assert f"You now ignore bug {bug.id}" in answer.get_data(as_text=True)
    again = post_form(client, f"/bugs/{bug.id}/ignore", {"ignored": "1"}, follow_redirects=True)
    assert f"You already ignore bug {bug.id}" in again.get_data(as_text=True)
    edit(people["ed"], bug, comment="Anyone?")
    send_due()
    assert recipients(smtp) == ["ann", "rita", "wendy"]


def test_people_taken_off_the_bug_hear_about_it(cast, smtp):
    people, bug = cast
    edit(people["ed"], bug, {"assigned_to": people["boss"]}, cc_remove=[people["carl"]])
    send_due()
    # ann (replaced) and carl (removed) hear it; boss (made assignee) too
    assert {"ann", "boss", "carl", "rita", "quinn"} == set(recipients(smtp))
    carl_mail = smtp.messages("carl@example.com")[0].get_content()
    assert "CC" in carl_mail and "carl" in carl_mail


def test_watchers_of_the_old_component_hear_of_a_move(cast, smtp, make_user):
    people, bug = cast
    ursula = make_user("ursula")
    notifications.add_watch(ursula, "Widget", "UI")
    notifications.save_prefs(people["wendy"], notifications.PrefsEdit(DEFAULT_ENABLED | {"watcher:fields"}))
    notifications.save_prefs(ursula, notifications.PrefsEdit(DEFAULT_ENABLED | {"watcher:fields"}))
    edit(people["ed"], bug, {"component": "UI"})
    send_due()
    assert {"wendy", "ursula"} <= set(recipients(smtp))
    assert smtp.messages("ursula@example.com")[0]["X-BugZot-Component"] == "UI"


# -- nothing leaks ---------------------------------------------------------------------------
def _no_marker_for_outsiders(smtp, insiders: set[str]) -> None:
    for msg in smtp.messages():
        if msg["To"].split("@")[0] not in insiders:
            assert MARKER not in text_of(msg), msg["To"]


def test_a_private_comment_never_reaches_those_who_may_not_see_it(cast, smtp):
    people, bug = cast
    insiders = {"ann", "quinn", "boss", "ed"}
    edit(people["ed"], bug, comment=f"Internal: {MARKER}", private=True)
    send_due()
    assert recipients(smtp) == ["ann", "quinn"]  # the change was only private: no mail to others
    assert all(MARKER in m.get_content() and "[PRIVATE]" in m.get_content() for m in smtp.messages())
    smtp.received.clear()
    edit(people["ed"], bug, {"priority": "P1"}, comment=f"Internal: {MARKER}", private=True)
    send_due()
    assert recipients(smtp) == ["ann", "carl", "quinn", "rita"]
    _no_marker_for_outsiders(smtp, insiders)
    assert "Priority" in smtp.messages("carl@example.com")[0].get_content()


def test_a_private_attachment_never_reaches_outsiders(cast, smtp):
    people, bug = cast
    attachments.add_attachment(people["ed"], bug, Upload(
        "secret.txt", io.BytesIO(b"x\n"), description=f"Dump {MARKER}", is_private=True))
    send_due()
    assert recipients(smtp) == ["ann", "quinn"]
    assert all(MARKER in text_of(m) for m in smtp.messages())


def test_a_private_bug_mails_only_those_who_may_see_it(cast, smtp):
    people, bug = cast
    edit(people["ed"], bug, {"is_private": True}, comment=f"Now private: {MARKER}")
    send_due()
    # rita reported it (reporters see their own private bugs); carl and wendy no longer may
    assert recipients(smtp) == ["ann", "quinn", "rita"]
    smtp.received.clear()
    edit(people["ed"], bug, comment=f"Still private {MARKER}")
    send_due()
    assert recipients(smtp) == ["ann", "quinn", "rita"]


def test_what_is_sent_is_decided_when_it_is_sent(cast, smtp):
    """Queued while carl could see the bug; made private before the worker ran."""
    people, bug = cast
    edit(people["ed"], bug, comment=f"Public then {MARKER}")
    edit(people["ed"], bug, {"is_private": True})
    send_due()
    assert "carl" not in recipients(smtp) and "wendy" not in recipients(smtp)
    _no_marker_for_outsiders(smtp, {"ann", "quinn", "rita"})


def test_a_comment_hidden_before_sending_is_not_quoted(cast, smtp, make_user):
    people, bug = cast
    result = edit(people["ed"], bug, comment=f"Spam {MARKER}")
    bugs.set_comment_hidden(make_user(role="Admin"), result.comment, True)
    send_due()
    for msg in smtp.messages():
        assert MARKER not in text_of(msg)


def test_references_to_bugs_the_recipient_may_not_see_are_left_out(cast, smtp, make_bug):
    people, bug = cast
    hidden = make_bug("Widget", reporter=people["ed"], is_private=True, summary="Secret one")
    edit(people["ed"], bug, {"dependson": frozenset({hidden.id})})
    send_due()
    assert "carl" not in recipients(smtp)  # the only change names a bug he may not see
    ann_mail = smtp.messages("ann@example.com")[0].get_content()
    assert f"|{hidden.id}" in ann_mail.replace(" ", "")


# -- content and threading ------------------------------------------------------------------
def test_headers_thread_a_bugs_mails_per_recipient(cast, smtp, make_bug, make_user):
    people, bug = cast
    rita = people["rita"]
    edit(people["ed"], bug, comment="One.")
    edit(people["ann"], bug, comment="Two.")
    send_due()
    mine = smtp.messages("rita@example.com")
    root = f"<bug-{bug.id}-{rita.id}@bugzot.test>"
    assert len(mine) == 2
    assert {m["In-Reply-To"] for m in mine} == {root} and {m["References"] for m in mine} == {root}
    assert len({m["Message-ID"] for m in mine}) == 2 and root not in {m["Message-ID"] for m in mine}
    first = mine[0]
    assert first["X-BugZot-Reason"] == "Reporter" and first["X-BugZot-Type"] == "changed"
    assert first["X-BugZot-Product"] == "Widget" and first["X-BugZot-Component"] == "General"
    assert first["List-Unsubscribe"] == "<http://bugzot.test/prefs/notifications>"
    assert first["Auto-Submitted"] == "auto-generated"
    body = first.get_content()
    assert "--- Comment #1 from ed, " in body and "One." in body
    assert "You reported the bug." in body
    # A new bug's mail is the thread's root
    carl = people["carl"]
    new = make_bug("Widget", reporter=make_user(role="Employee"), cc=frozenset({carl}))
    send_due()
    [filed] = [m for m in smtp.messages("carl@example.com") if f"[Bug {new.id}]" in m["Subject"]]
    assert filed["Message-ID"] == f"<bug-{new.id}-{carl.id}@bugzot.test>"
    assert filed["In-Reply-To"] is None and filed["X-BugZot-Type"] == "new"


def test_the_change_table_says_who_changed_what(cast, smtp):
    people, bug = cast
    edit(people["ed"], bug, {"priority": "P1", "severity": "critical"})
    send_due()
    body = smtp.messages("rita@example.com")[0].get_content()
    assert "ed changed:" in body
    lines = [line.replace(" ", "") for line in body.splitlines()]
    assert "Priority|P3|P1" in lines and "Severity|normal|critical" in lines


# -- transactions ---------------------------------------------------------------------------
def test_a_rolled_back_change_queues_and_sends_nothing(cast, smtp, make_bug):
    people, bug = cast
    other = make_bug("Widget", reporter=people["rita"])
    edit(people["ed"], bug, {"dependson": frozenset({other.id})})
    send_due()
    smtp.received.clear()
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    with pytest.raises(ServiceError):  # a dependency loop, found after rows were recorded
        edit(people["ed"], other, {"dependson": frozenset({bug.id})}, comment="Loop")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    send_due()
    assert smtp.messages() == []
