"""The status workflow: every row of the transitions table for every role, every
pair the table does not allow, required resolutions and comments, and the page
offering only what the user may do."""

from __future__ import annotations

import itertools
import re

import pytest
from conftest import edit, post_form
from sqlalchemy import select

from bugzot import permissions, workflow
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import BugChange
from bugzot.services.read import bugs as read
from bugzot.workflow import TRANSITIONS

ACTORS = ("own reporter", "other reporter", "Employee", "Supervisor", "Admin")
REFUSED = [(a, b) for a, b in itertools.permutations(workflow.STATUSES, 2)
           if workflow.transition(a, b) is None]


def _ids(row) -> str:
    return f"{row.old}->{row.new}"


def _expected(actor: str, row: workflow.Transition) -> bool:
    """Derived from the default grants, not from the code under test."""
    if actor in ("own reporter", "other reporter"):
        return actor == "own reporter" and row.reporter_may
    return row.permission in permissions.DEFAULT_GRANTS[actor][1]


def _actor(actor, reporter, make_user):
    if actor == "own reporter":
        return reporter
    return make_user(role="Reporter" if actor == "other reporter" else actor)


def _move(user, bug, row, comment="Because."):
    values = {"bug_status": row.new}
    if row.needs_resolution:
        values["resolution"] = "WONTFIX"
    return edit(user, bug, values, comment=comment)


def test_table_covers_the_issue_defaults():
    pairs = {(t.old, t.new) for t in TRANSITIONS}
    required = {("NEW", "ASSIGNED"), ("NEW", "RESOLVED"), ("ASSIGNED", "RESOLVED"),
                ("REOPENED", "RESOLVED"), ("RESOLVED", "VERIFIED"), ("RESOLVED", "CLOSED"),
                ("VERIFIED", "CLOSED"), ("RESOLVED", "REOPENED"), ("VERIFIED", "REOPENED"),
                ("CLOSED", "REOPENED"), ("UNCONFIRMED", "NEW")}
    assert required <= pairs
    assert all(t.old in workflow.STATUSES and t.new in workflow.STATUSES for t in TRANSITIONS)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", TRANSITIONS, ids=_ids)
def test_each_transition_for_each_role(app, make_bug, make_user, row, actor):
    reporter = make_user(role="Reporter")
    bug = make_bug(reporter=reporter, status=row.old)
    user = _actor(actor, reporter, make_user)
    allowed = _expected(actor, row)
    assert (row in workflow.allowed_transitions(user, bug)) is allowed
    if allowed:
        result = _move(user, bug, row)
        assert bug.status == row.new
        assert ("bug_status", row.old, row.new) in [(c.field, c.old_value, c.new_value)
                                                    for c in result.changes]
        if row.needs_resolution:
            assert bug.resolution == "WONTFIX"
        if workflow.is_open(row.new):
            assert bug.resolution is None
    else:
        revision = bug.revision
        with pytest.raises(ServiceError) as info:
            _move(user, bug, row)
        assert info.value.status == 403 and info.value.field == "bug_status"
        db.session.refresh(bug)
        assert (bug.status, bug.revision) == (row.old, revision)


@pytest.mark.parametrize("old,new", REFUSED, ids=[f"{a}->{b}" for a, b in REFUSED])
def test_transitions_not_in_the_table_are_refused_even_for_admins(app, make_bug, make_user, old, new):
    bug = make_bug(status=old)
    admin = make_user(role="Admin")
    with pytest.raises(ServiceError) as info:
        edit(admin, bug, {"bug_status": new, "resolution": "FIXED"}, comment="Trying.")
    assert f"from {old} to {new}" in info.value.message
    db.session.refresh(bug)
    assert bug.status == old


@pytest.mark.parametrize("row", [t for t in TRANSITIONS if t.needs_resolution], ids=_ids)
@pytest.mark.parametrize("resolution", ["", "NOPE"])
def test_resolving_requires_a_valid_resolution(app, make_bug, make_user, row, resolution):
    bug = make_bug(status=row.old)
    with pytest.raises(ServiceError) as info:
        edit(make_user(role="Employee"), bug, {"bug_status": row.new, "resolution": resolution},
             comment="Done.")
    assert info.value.field == "resolution"
    db.session.refresh(bug)
    assert bug.status == row.old


@pytest.mark.parametrize("row", [t for t in TRANSITIONS if t.needs_comment], ids=_ids)
def test_transitions_needing_a_comment_refuse_without_one(app, make_bug, make_user, row):
    bug = make_bug(status=row.old)
    with pytest.raises(ServiceError) as info:
        _move(make_user(role="Employee"), bug, row, comment="   ")
    assert info.value.field == "comment"
    assert not db.session.scalars(select(BugChange).where(
        BugChange.bug_id == bug.id, BugChange.new_value == row.new,
        BugChange.revision > bug.revision)).all()


@pytest.mark.parametrize("row", [t for t in TRANSITIONS if not t.needs_comment], ids=_ids)
def test_transitions_without_comment_requirement_work_without_one(app, make_bug, make_user, row):
    bug = make_bug(status=row.old)
    _move(make_user(role="Employee"), bug, row, comment="")
    assert bug.status == row.new


def test_reopening_clears_resolution_and_duplicate(app, make_bug, make_user):
    original = make_bug()
    bug = make_bug()
    employee = make_user(role="Employee")
    edit(employee, bug, {"bug_status": "RESOLVED", "resolution": "DUPLICATE",
                                    "dup_id": original.id}, comment="Dup.")
    assert bug.dup_of_id == original.id
    edit(employee, bug, {"bug_status": "REOPENED", "resolution": "DUPLICATE",
                                    "dup_id": original.id}, comment="Not a dup after all.")
    assert (bug.status, bug.resolution, bug.dup_of_id) == ("REOPENED", None, None)


def test_resolution_cannot_be_set_on_an_open_bug(app, make_bug, make_user):
    bug = make_bug()
    with pytest.raises(ServiceError) as info:
        edit(make_user(role="Employee"), bug, {"resolution": "FIXED"})
    assert info.value.field == "resolution"


def test_employee_may_change_resolution_of_a_resolved_bug(app, make_bug, make_user):
    bug = make_bug(status="RESOLVED", resolution="FIXED")
    edit(make_user(role="Employee"), bug, {"resolution": "WORKSFORME"})
    assert bug.resolution == "WORKSFORME"
    with pytest.raises(ServiceError):
        edit(bug.reporter, bug, {"resolution": "INVALID"})


@pytest.mark.parametrize("allows_unconfirmed,role,expected", [
    (False, "Reporter", "NEW"), (True, "Reporter", "UNCONFIRMED"), (True, "Employee", "NEW"),
])
def test_initial_status(app, make_product, make_user, make_bug, allows_unconfirmed, role, expected):
    product = make_product(allows_unconfirmed=allows_unconfirmed)
    bug = make_bug(product=product, reporter=make_user(role=role))
    assert bug.status == expected


# -- through the web page ---------------------------------------------------------------
def _status_options(html: str) -> list[str]:
    select_html = re.search(r'<select id="bug_status" name="bug_status">(.*?)</select>', html, re.S)
    return re.findall(r'value="([A-Z]+)"', select_html.group(1)) if select_html else []


@pytest.mark.parametrize("actor", ACTORS)
def test_page_offers_only_allowed_transitions(app, client, auth, make_bug, make_user, actor):
    reporter = make_user(role="Reporter")
    bug = make_bug(reporter=reporter, status="NEW")
    user = _actor(actor, reporter, make_user)
    auth.login(user.username)
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    offered = [s for s in _status_options(html) if s != "NEW"]
    assert offered == [t.new for t in TRANSITIONS if t.old == "NEW" and _expected(actor, t)]


def test_crafted_post_of_a_forbidden_transition_is_refused(app, client, auth, make_bug, make_user):
    bug = make_bug(status="NEW")
    other = make_user(role="Reporter")
    auth.login(other.username)
    response = post_form(client, f"/bugs/{bug.id}", {
        "revision": bug.revision, "bug_status": "RESOLVED", "resolution": "INVALID",
        "comment": "I say it is invalid."})
    assert response.status_code == 403
    assert "You may not change the status from NEW to RESOLVED." in response.get_data(as_text=True)
    db.session.refresh(bug)
    assert bug.status == "NEW"
    assert not db.session.scalars(select(BugChange).where(BugChange.bug_id == bug.id)).all()
    assert [c.number for c in read.comments_of(other, [bug.id])[bug.id]] == [0]  # comment not saved


def test_reporter_closes_own_bug_through_the_page(app, client, auth, make_bug, make_user):
    reporter = make_user(role="Reporter")
    bug = make_bug(reporter=reporter)
    auth.login(reporter.username)
    response = post_form(client, f"/bugs/{bug.id}", {
        "revision": bug.revision, "bug_status": "RESOLVED", "resolution": "WORKSFORME",
        "comment": "Works now."})
    assert response.status_code == 302
    db.session.refresh(bug)
    assert (bug.status, bug.resolution) == ("RESOLVED", "WORKSFORME")
