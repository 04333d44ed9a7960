"""Mid-air collisions: a save based on an old revision is not applied; the user sees
what changed (only what they may see) and keeps their own edits and comment."""

from __future__ import annotations

import io
import re

import pytest
from conftest import edit, other_session, post_form
from sqlalchemy import func, select, update

from bugzot.extensions import db
from bugzot.fields import form_values, snapshot
from bugzot.models import Bug, Comment
from bugzot.services import attachments, bugs
from bugzot.services.commands import Upload


def _form_value(html: str, name: str) -> str:
    select_html = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', html, re.S)
    if select_html:
        return re.search(r'<option selected value="([^"]*)"', select_html.group(1)).group(1)
    return re.search(rf'<input id="{name}" name="{name}"[^>]*value="([^"]*)"', html).group(1)


def _textarea(html: str, name: str) -> str:
    return re.search(rf'<textarea id="{name}"[^>]*>\r?\n?(.*?)</textarea>', html, re.S).group(1)


def test_collision_is_detected_and_keeps_the_users_work(app, client, auth, make_bug, make_user):
    bug = make_bug()
    alice, bob = make_user(role="Employee"), make_user(role="Employee")
    loaded = bug.revision
    edit(alice, bug, {"priority": "P1"}, comment="Alice was here first.")
    auth.login(bob.username)
    response = post_form(client, f"/bugs/{bug.id}", {
        "revision": loaded, "severity": "critical", "priority": "P3", "summary": bug.summary,
        "comment": "Bob's careful analysis"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "Mid-air collision" in html
    conflict = html.split('id="mid-air"', 1)[1].split("</section>", 1)[0]
    assert "Priority" in conflict and "P1" in conflict and "Alice was here first." in conflict
    # Bob's comment and his own change are kept; what he did not touch takes Alice's value
    assert _textarea(html, "comment") == "Bob&#39;s careful analysis"
    assert _form_value(html, "severity") == "critical"
    assert _form_value(html, "priority") == "P1"
    assert _form_value(html, "revision") == str(bug.revision)
    assert 'name="csrf_token"' in html
    db.session.expire_all()
    assert (bug.severity, bug.priority) == ("normal", "P1")
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 2  # Bob's not saved
    # resubmitting the conflict page's form saves Bob's work without undoing Alice's
    again = post_form(client, f"/bugs/{bug.id}", {
        "revision": bug.revision, "severity": "critical", "priority": "P1", "summary": bug.summary,
        "comment": "Bob's careful analysis"})
    assert again.status_code == 302
    db.session.expire_all()
    assert (bug.severity, bug.priority) == ("critical", "P1")


def test_conflict_page_hides_what_the_user_may_not_see(app, client, auth, make_bug, make_user):
    reporter = make_user(role="Reporter")
    bug = make_bug(reporter=reporter)
    employee = make_user(role="Employee")
    loaded = bug.revision
    edit(employee, bug, comment="PRIVATE-TRIAGE-NOTE", private=True)
    attachments.add_attachment(employee, bug, Upload("internal.txt", io.BytesIO(b"x\n"),
                                                     description="INTERNAL-FILE", is_private=True))
    auth.login(reporter.username)
    response = post_form(client, f"/bugs/{bug.id}", {"revision": loaded, "comment": "Any news?"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "PRIVATE-TRIAGE-NOTE" not in html and "INTERNAL-FILE" not in html
    assert "internal.txt" not in html
    assert _textarea(html, "comment") == "Any news?"


def test_conflict_page_form_is_csrf_protected(app, client, auth, make_bug, make_user):
    bug = make_bug()
    user = make_user(role="Employee")
    edit(user, bug, {"priority": "P2"})
    auth.login(user.username)
    response = client.post(f"/bugs/{bug.id}", data={"revision": 1, "comment": "no token"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


def test_race_between_check_and_write_is_a_collision(app, make_bug, make_user):
    """Both saves passed the revision check; the database lets only one win."""
    bug = make_bug()
    user = make_user(role="Employee")
    bug_id = bug.id
    with other_session() as other:  # another process saves in between
        other.execute(update(Bug).where(Bug.id == bug_id).values(revision=Bug.revision + 1))
        other.commit()
    with pytest.raises(bugs.MidAirCollision):
        edit(user, bug, {"priority": "P1"}, comment="Lost?")
    db.session.expire_all()
    assert (bug.priority, bug.revision) == ("P3", 2)
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


def test_values_at_undoes_later_changes(app, make_bug, make_user):
    bug = make_bug()
    user = make_user(role="Employee")
    edit(user, bug, {"priority": "P1", "severity": "major"})
    edit(user, bug, {"priority": "P2"})
    assert {k: bugs.values_at(bug, 1)[k] for k in ("priority", "severity")} == \
        {"priority": "P3", "severity": "normal"}
    assert bugs.values_at(bug, 2)["priority"] == "P1"
    assert bugs.values_at(bug, bug.revision) == form_values(snapshot(bug))
