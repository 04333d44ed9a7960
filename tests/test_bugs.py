"""Filing bugs (every bad input), the bug page, and one-transaction edits with a
history row for every changed field."""

from __future__ import annotations

import re
from html import unescape

import pytest
from conftest import cc_of, edit, post_form, users_named
from sqlalchemy import select

from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.fields import form_values, snapshot
from bugzot.models import Bug, BugCC, BugChange, Comment
from bugzot.services import bugs
from bugzot.services.commands import NewBug


@pytest.fixture
def widget(make_product, make_user):
    """A product whose components have default assignee and QA contact."""
    product = make_product("Widget", components=("Core", "UI"), versions=("1.0", "2.0"),
                           milestones=("M1",))
    assignee, qa = make_user("dora", role="Employee"), make_user("quinn", role="Employee")
    for component in product.components:
        component.default_assignee, component.default_qa_contact = assignee, qa
    db.session.commit()
    return product


GOOD = {"product": "Widget", "component": "Core", "version": "1.0", "severity": "major",
        "priority": "P2", "platform": "PC", "op_sys": "Linux", "summary": "Crash on save",
        "description": "Press *save*, it crashes."}


def test_filing_applies_defaults_and_stores_the_description(app, client, login_as, widget):
    user = login_as("Reporter")
    response = post_form(client, "/bugs/new", GOOD)
    assert response.status_code == 302
    bug = db.session.scalars(select(Bug)).one()
    assert response.headers["Location"].endswith(f"/bugs/{bug.id}")
    assert (bug.status, bug.resolution, bug.severity, bug.priority, bug.platform, bug.op_sys) == \
        ("NEW", None, "major", "P2", "PC", "Linux")
    assert (bug.assignee.username, bug.qa_contact.username, bug.reporter_id) == ("dora", "quinn", user.id)
    description = db.session.scalars(select(Comment).where(Comment.bug_id == bug.id)).one()
    assert (description.number, description.body) == (0, "Press *save*, it crashes.")
    page = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert "<em>save</em>" in page and "Crash on save" in page and "dora" in page
    assert 'data-draft-clear="bug-new:Widget"' in page  # the browser drops its draft now


def test_product_is_chosen_first(app, client, login_as, widget, make_product):
    make_product("Closed", is_active=False)
    login_as("Reporter")
    chooser = client.get("/bugs/new").get_data(as_text=True)
    assert "/bugs/new?product=Widget" in chooser and "product=Closed" not in chooser
    form = client.get("/bugs/new?product=Widget").get_data(as_text=True)
    assert '<option value="Core">Core</option>' in form and 'name="summary"' in form
    assert "There is no open product" in client.get("/bugs/new?product=Nope",
                                                     follow_redirects=True).get_data(as_text=True)


@pytest.mark.parametrize("change,field,message", [
    ({"product": "Nope"}, "product", "Choose a product from the list."),
    ({"product": ""}, "product", "Choose a product."),
    ({"component": "Nope"}, "component", "Choose a component of Widget."),
    ({"component": ""}, "component", "Choose a component of Widget."),
    ({"version": "9.9"}, "version", "Choose a version of Widget."),
    ({"version": ""}, "version", "Choose a version of Widget."),
    ({"severity": "apocalyptic"}, "severity", "Choose a valid severity."),
    ({"priority": "P0"}, "priority", "Choose a valid priority."),
    ({"op_sys": "BeOS"}, "op_sys", "Choose a valid os."),
    ({"summary": ""}, "summary", "Please enter a summary."),
    ({"summary": "   "}, "summary", "Please enter a summary."),
    ({"summary": "x" * 256}, "summary", "The summary is at most 255 characters."),
    ({"cc": "nosuchuser"}, "cc", "There is no active user 'nosuchuser'."),
])
def test_filing_bad_input_shows_errors_and_keeps_the_text(app, client, login_as, widget, change,
                                                          field, message):
    login_as("Reporter")
    data = {**GOOD, "description": "My long & careful <description>", **change}
    response = post_form(client, "/bugs/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 403)
    assert message in unescape(html)
    assert "My long &amp; careful &lt;description&gt;" in html  # nothing the user typed is lost
    if field != "summary":
        assert 'value="Crash on save"' in html
    assert db.session.scalar(select(db.func.count()).select_from(Bug)) == 0


def test_filing_refuses_a_closed_product(app, make_product, make_user):
    make_product("Old", is_active=False)
    with pytest.raises(ServiceError) as info:
        bugs.file_bug(make_user(), NewBug(product="Old", component="General", version="1.0",
                                          summary="x"))
    assert info.value.field == "product"


def test_reporter_may_cc_only_themselves_when_filing(app, client, login_as, widget, make_user):
    make_user("olga")
    me = login_as("Reporter")
    refused = post_form(client, "/bugs/new", {**GOOD, "cc": "olga"})
    assert "You may only add yourself to the CC list." in refused.get_data(as_text=True)
    assert post_form(client, "/bugs/new", {**GOOD, "cc": me.username}).status_code == 302
    bug = db.session.scalars(select(Bug)).one()
    assert [u.username for u in cc_of(bug)] == [me.username]


def test_employee_files_with_cc_of_others(app, client, login_as, widget, make_user):
    make_user("olga")
    make_user("pete")
    login_as("Employee")
    assert post_form(client, "/bugs/new", {**GOOD, "cc": "olga, pete"}).status_code == 302
    bug = db.session.scalars(select(Bug)).one()
    assert [u.username for u in cc_of(bug)] == ["olga", "pete"]


def test_filing_needs_login_and_csrf(app, client, login_as, widget):
    assert client.get("/bugs/new").status_code == 302  # to the login page
    login_as("Reporter")
    assert client.post("/bugs/new", data=GOOD).status_code == 400  # no CSRF token


# -- the bug page ---------------------------------------------------------------------------
def test_bug_page_shows_everything(app, client, login_as, widget, make_bug, make_user):
    reporter = make_user("rita", real_name="Rita Reporter")
    blocker = make_bug(product=widget, summary="The blocker")
    bug = make_bug(product=widget, reporter=reporter, summary="Main bug")
    employee = login_as("Employee")
    edit(employee, bug, {"dependson": frozenset({blocker.id})},
         comment=f"Depends on bug {blocker.id}.", cc_add=users_named("quinn"))
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    for text in ("Main bug", "Rita Reporter", "dora", "quinn", "Widget", "Core", "1.0", "NEW",
                 "Steps to reproduce", f'href="/bugs/{blocker.id}"', "Depends on",
                 f"Depends on <a href=\"/bugs/{blocker.id}\"", "Activity", "Reported", "Modified"):
        assert text in html, text
    timeline = html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    assert timeline.index('id="c1"') < timeline.index('class="timeline-item change"')
    assert "Depends on" in timeline.split('class="timeline-item change"', 1)[1]
    blocker_page = client.get(f"/bugs/{blocker.id}").get_data(as_text=True)
    assert f'<a href="/bugs/{bug.id}"' in blocker_page  # "blocks" side


def test_missing_and_invisible_bugs_are_404(app, client, login_as, make_bug, make_user):
    secret = make_bug(is_private=True, reporter=make_user(role="Employee"))
    login_as("Reporter")
    assert client.get("/bugs/999").status_code == 404
    assert client.get(f"/bugs/{secret.id}").status_code == 404
    assert post_form(client, f"/bugs/{secret.id}", {"revision": 1, "comment": "hi"}).status_code == 404


def test_page_needs_login(app, client, make_bug):
    bug = make_bug()
    assert client.get(f"/bugs/{bug.id}").status_code == 302


# -- editing: history and atomicity ---------------------------------------------------------
def test_history_row_for_every_changed_field(app, make_bug, make_product, make_user, widget):
    other = make_product("Gadget", components=("Motor",), versions=("3.0",), milestones=("G1",))
    blocker, blocked = make_bug(product=widget), make_bug(product=widget)
    bug = make_bug(product=widget)
    admin = make_user("ada", role="Admin")
    zed = make_user("zed")
    values = {"product": "Gadget", "component": "Motor", "version": "3.0", "target_milestone": "G1",
              "summary": "New summary", "severity": "critical", "priority": "P1",
              "platform": "Macintosh", "op_sys": "macOS", "bug_status": "ASSIGNED",
              "assigned_to": zed, "qa_contact": None, "dependson": frozenset({blocker.id}),
              "blocked": frozenset({blocked.id})}
    result = edit(admin, bug, values, comment="Big triage.", cc_add=[zed])
    rows = {c.field: (c.old_value, c.new_value) for c in result.changes}
    assert rows == {
        "product": ("Widget", "Gadget"), "component": ("Core", "Motor"), "version": ("1.0", "3.0"),
        "target_milestone": ("", "G1"), "summary": ("Something is broken", "New summary"),
        "severity": ("normal", "critical"), "priority": ("P3", "P1"),
        "platform": ("All", "Macintosh"), "op_sys": ("All", "macOS"),
        "bug_status": ("NEW", "ASSIGNED"), "assigned_to": ("dora", "zed"),
        "qa_contact": ("quinn", ""), "dependson": ("", str(blocker.id)),
        "blocked": ("", str(blocked.id)), "cc": ("", "zed"),
    }
    stored = db.session.scalars(select(BugChange).where(BugChange.bug_id == bug.id)).all()
    assert {r.field for r in stored} == set(rows) and {r.user_id for r in stored} == {admin.id}
    assert {r.revision for r in stored} == {bug.revision}
    assert result.comment.body == "Big triage." and result.comment.number == 1
    assert other.id == bug.product_id
    # the other ends of the dependencies got their own history rows
    assert [(r.field, r.new_value) for r in db.session.scalars(
        select(BugChange).where(BugChange.bug_id == blocker.id))] == [("blocked", str(bug.id))]


def test_one_bad_value_saves_nothing(app, make_bug, make_user):
    bug = make_bug()
    employee = make_user(role="Employee")
    before = (bug.summary, bug.priority, bug.revision)
    ghost = make_user("ghost", active=False)
    with pytest.raises(ServiceError) as info:
        edit(employee, bug, {"summary": "Changed", "priority": "P1", "assigned_to": ghost},
             comment="Should vanish.", cc_add=[employee])
    assert info.value.field == "assigned_to"
    db.session.expire_all()
    assert (bug.summary, bug.priority, bug.revision) == before
    assert not db.session.scalars(select(BugChange)).all()
    assert db.session.scalar(select(db.func.count()).select_from(Comment)) == 1
    assert not db.session.scalars(select(BugCC)).all()


def test_page_post_with_error_keeps_comment_and_saves_nothing(app, client, login_as, make_bug):
    bug = make_bug()
    login_as("Employee")
    response = post_form(client, f"/bugs/{bug.id}", {
        "revision": bug.revision, "summary": "", "comment": "My precious comment"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Please enter a summary." in html
    assert "My precious comment" in html
    db.session.expire_all()
    assert bug.summary == "Something is broken" and bug.revision == 1


def test_moving_product_rechecks_component_and_version(app, make_bug, make_product, make_user):
    make_product("Gadget", components=("Motor",), versions=("3.0",))
    bug = make_bug()
    employee = make_user(role="Employee")
    with pytest.raises(ServiceError) as info:
        edit(employee, bug, {"product": "Gadget", "component": "General", "version": "3.0"})
    assert info.value.field == "component"
    with pytest.raises(ServiceError) as info:
        edit(employee, bug, {"product": "Gadget", "component": "Motor", "version": "1.0"})
    assert info.value.field == "version"
    edit(employee, bug, {"product": "Gadget", "component": "Motor", "version": "3.0"})
    assert (bug.product.name, bug.component.name, bug.version.value) == ("Gadget", "Motor", "3.0")


def test_reporter_edits_basic_fields_of_own_bug_only(app, make_bug, make_user):
    reporter = make_user(role="Reporter")
    bug = make_bug(reporter=reporter)
    edit(reporter, bug, {"summary": "Better summary", "severity": "minor"})
    assert bug.summary == "Better summary"
    for field, value in (("priority", "P1"), ("assigned_to", reporter)):
        with pytest.raises(ServiceError) as info:
            edit(reporter, bug, {field: value})
        assert info.value.status == 403 and info.value.field == field
    with pytest.raises(ServiceError) as info:
        edit(make_user(role="Reporter"), bug, {"summary": "Mine now"})
    assert info.value.status == 403


def test_nothing_changed_writes_nothing_and_the_page_says_so(app, client, auth, make_bug,
                                                             make_user):
    bug = make_bug()
    employee = make_user(role="Employee")
    result = edit(employee, bug, {"summary": bug.summary}, comment="  ")
    assert not result.saved and not result.changes and result.comment is None
    assert bug.revision == 1
    auth.login(employee.username)
    page = post_form(client, f"/bugs/{bug.id}", {"revision": bug.revision, "summary": bug.summary})
    assert page.status_code == 400 and "Nothing was changed" in page.get_data(as_text=True)
    db.session.expire_all()
    assert bug.revision == 1


# -- duplicates -------------------------------------------------------------------------------
def _dup(user, bug, dup_id):
    return edit(user, bug, {"bug_status": "RESOLVED", "resolution": "DUPLICATE", "dup_id": dup_id},
                comment="Dup.")


def test_duplicate_links_both_ways(app, client, auth, make_bug, make_user):
    original, bug = make_bug(summary="Original"), make_bug(summary="Copy")
    employee = make_user(role="Employee")
    _dup(employee, bug, original.id)
    assert (bug.resolution, bug.dup_of_id) == ("DUPLICATE", original.id)
    note = db.session.scalars(select(Comment).where(Comment.bug_id == original.id,
                                                    Comment.number == 1)).one()
    assert note.body == f"Bug {bug.id} has been marked as a duplicate of this bug."
    auth.login(employee.username)
    html = client.get(f"/bugs/{original.id}").get_data(as_text=True)
    assert f'<dt>Duplicates</dt><dd><a href="/bugs/{bug.id}" class="closed"' in html
    copy_page = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert f'Duplicate of <a href="/bugs/{original.id}">' in copy_page


@pytest.mark.parametrize("dup_id,message", [
    (None, "Give the number of the bug this one duplicates."),
    (99999, "Bug 99999 does not exist or you may not see it."),
    ("self", "A bug cannot refer to itself."),
    ("private", "does not exist or you may not see it."),
    ("loop", "is itself a duplicate of this bug."),
])
def test_duplicate_needs_a_valid_original(app, make_bug, make_user, dup_id, message):
    reporter = make_user(role="Reporter")
    bug = make_bug(reporter=reporter)
    if dup_id == "self":
        dup_id = bug.id
    elif dup_id == "private":
        dup_id = make_bug(is_private=True, reporter=make_user(role="Employee")).id
    elif dup_id == "loop":
        # bug B (duplicate of bug) is resolved, then bug is marked duplicate of B
        other = make_bug()
        _dup(make_user(role="Employee"), other, bug.id)
        dup_id = other.id
    with pytest.raises(ServiceError) as info:
        _dup(reporter, bug, dup_id)  # the reporter may resolve their own bug
    assert message in info.value.message and info.value.field == "dup_id"
    db.session.refresh(bug)
    assert bug.status == "NEW" and bug.dup_of_id is None


# -- dependencies ------------------------------------------------------------------------------
def test_dependency_cycles_are_refused(app, make_bug, make_user):
    a, b, c = make_bug(), make_bug(), make_bug()
    employee = make_user(role="Employee")
    edit(employee, a, {"dependson": frozenset({b.id})})
    edit(employee, b, {"dependson": frozenset({c.id})})
    cases = [(c, {"dependson": {a.id}}), (b, {"dependson": {c.id, a.id}}),
             (a, {"blocked": {c.id}}), (a, {"dependson": {b.id}, "blocked": {b.id}}),
             (a, {"dependson": {a.id}})]
    for bug, values in cases:
        db.session.refresh(bug)
        with pytest.raises(ServiceError) as info:
            edit(employee, bug, {k: frozenset(v) for k, v in values.items()})
        assert info.value.field in ("dependson", "blocked"), values
    # a chain that is not a cycle is fine: c blocks a directly as well
    db.session.refresh(a)
    edit(employee, a, {"dependson": frozenset({b.id, c.id})})
    assert form_values(snapshot(a))["dependson"] == f"{b.id}, {c.id}"


@pytest.mark.parametrize("text", ["12x", "1;2", "-3", "99999999999"])
def test_dependency_lists_must_be_numbers(app, client, auth, make_bug, make_user, text):
    bug = make_bug()
    auth.login(make_user(role="Employee").username)
    page = post_form(client, f"/bugs/{bug.id}", {"revision": bug.revision, "dependson": text})
    assert page.status_code == 400
    assert "List bug numbers separated by commas." in page.get_data(as_text=True)
    db.session.expire_all()
    assert bug.revision == 1
    # the service refuses what is not a bug number, whoever calls it
    with pytest.raises(ServiceError) as info:
        edit(make_user(role="Employee"), bug, {"dependson": frozenset({-3})})
    assert info.value.field == "dependson"


# -- CC ------------------------------------------------------------------------------------------
def test_cc_self_and_others(app, client, auth, make_bug, make_user):
    bug = make_bug()
    reporter, employee = make_user(role="Reporter"), make_user(role="Employee")
    make_user("olga")
    auth.login(reporter.username)
    assert post_form(client, f"/bugs/{bug.id}", {"revision": bug.revision,
                                                 "addselfcc": "y"}).status_code == 302
    assert [u.id for u in cc_of(bug)] == [reporter.id]
    db.session.refresh(bug)
    refused = post_form(client, f"/bugs/{bug.id}", {"revision": bug.revision, "newcc": "olga"})
    assert refused.status_code == 403 and "only add or remove yourself" in refused.get_data(as_text=True)
    assert post_form(client, f"/bugs/{bug.id}", {"revision": bug.revision,
                                                 "removecc": reporter.username}).status_code == 302
    assert cc_of(bug) == []
    db.session.refresh(bug)
    edit(employee, bug, cc_add=users_named("olga"))
    assert [u.username for u in cc_of(bug)] == ["olga"]
    cc_rows = db.session.scalars(select(BugChange).where(BugChange.field == "cc")
                                 .order_by(BugChange.id)).all()
    assert [(r.old_value, r.new_value) for r in cc_rows] == [
        ("", reporter.username), (reporter.username, ""), ("", "olga")]


# -- home page counts, caching, timing -------------------------------------------------------------
def test_home_page_counts_open_visible_bugs(app, client, login_as, make_bug, make_user, widget):
    make_bug(product=widget)
    make_bug(product=widget, status="ASSIGNED")
    make_bug(product=widget, status="RESOLVED")
    make_bug(product=widget, is_private=True, reporter=make_user(role="Employee"))
    login_as("Reporter")
    html = client.get("/").get_data(as_text=True)
    assert ">Widget</a></td>" in html
    row = html.split(">Widget</a></td>", 1)[1].split("</tr>", 1)[0]
    # two open public bugs (a link to their list); closed and private ones not counted
    assert re.search(r'data-label="Open bugs"><a href="/bugs\?product=Widget">2</a></td>', row), row
    client.post("/logout")


def test_bug_pages_are_private_no_cache_and_assets_long_lived(app, client, login_as, make_bug):
    bug = make_bug()
    login_as("Reporter")
    page = client.get(f"/bugs/{bug.id}")
    assert page.headers["Cache-Control"] == "private, no-store"  # logged in: may be private
    assert client.get("/bugs/new").headers["Cache-Control"] == "private, no-store"
    asset = page.get_data(as_text=True).split('src="', 1)[1].split('"', 1)[0]
    assert "?v=" in asset
    assert "max-age=31536000" in client.get(asset).headers["Cache-Control"]


@pytest.fixture
def anonymous_browse(app_config):
    app_config["ALLOW_ANONYMOUS_BROWSE"] = True


def test_anonymous_visitors_may_read_but_not_change(anonymous_browse, app, client, make_bug,
                                                    make_user):
    bug = make_bug(description="Public description")
    secret = make_bug(is_private=True, reporter=make_user(role="Employee"))
    page = client.get(f"/bugs/{bug.id}")
    assert page.status_code == 200 and "Public description" in page.get_data(as_text=True)
    assert "Save changes" not in page.get_data(as_text=True)
    assert client.get(f"/bugs/{secret.id}").status_code == 404
    response = post_form(client, f"/bugs/{bug.id}", {"revision": bug.revision, "comment": "spam",
                                                     "summary": "defaced"})
    assert response.status_code == 403 and "Log in to change bugs." in response.get_data(as_text=True)
    assert client.get("/bugs/new").status_code == 302  # filing needs an account
    db.session.expire_all()
    assert bug.summary == "Something is broken"


def test_bug_page_queries_do_not_grow_with_authors(app, client, auth, make_bug, make_user):
    from search_support import recorded_sql

    bug = make_bug()
    viewer = make_user(role="Employee")
    auth.login(viewer.username)
    client.get("/")  # (the login's flash: both pages below are then asked for alike)

    def queries() -> int:
        with recorded_sql() as statements:
            assert client.get(f"/bugs/{bug.id}").status_code == 200
        return len(statements)

    def edit_as_new_author(i: int) -> None:
        author = make_user(role="Employee")
        db.session.refresh(bug)
        edit(author, bug, {"priority": "P1" if i % 2 else "P2"}, comment=f"Comment by author {i}")

    edit_as_new_author(0)
    few = queries()
    for i in range(1, 9):  # eight more authors of comments and history rows
        edit_as_new_author(i)
    assert queries() == few


def test_reporter_cannot_repoint_a_duplicate_without_status_permission(app, make_bug, make_user):
    reporter = make_user(role="Reporter")
    first, second = make_bug(), make_bug()
    bug = make_bug(reporter=reporter)
    _dup(reporter, bug, first.id)  # resolving their own bug is allowed
    with pytest.raises(ServiceError) as info:
        edit(reporter, bug, {"dup_id": second.id})
    assert info.value.status == 403 and info.value.field == "dup_id"
    edit(make_user(role="Employee"), bug, {"dup_id": second.id})
    assert bug.dup_of_id == second.id


def test_moving_product_on_the_page_asks_for_a_new_component(app, client, login_as, make_bug,
                                                             make_product):
    make_product("Gadget", components=("Motor", "Wheel"), versions=("3.0",))
    bug = make_bug()
    login_as("Employee")
    response = post_form(client, f"/bugs/{bug.id}", {
        "revision": bug.revision, "product": "Gadget", "component": "General", "version": "1.0",
        "comment": "Wrong product."})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Choose a component of Gadget." in html
    assert '<option value="Motor">Motor</option><option value="Wheel">Wheel</option>' in html
    assert "Wrong product." in html
    again = post_form(client, f"/bugs/{bug.id}", {
        "revision": bug.revision, "product": "Gadget", "component": "Wheel", "version": "3.0",
        "comment": "Wrong product."})
    assert again.status_code == 302
    db.session.expire_all()
    assert (bug.product.name, bug.component.name, bug.version.value) == ("Gadget", "Wheel", "3.0")


def test_a_bug_made_private_takes_its_duplicate_note_along(app, client, auth, make_bug,
                                                          make_user):
    """Issue 14, defect 7 (bugs): the "Bug N has been marked as a duplicate" note on the
    original becomes private with N, so N's number does not stay on a public page."""
    employee, reporter = make_user(role="Employee"), make_user(role="Reporter")
    original, dup = make_bug(summary="Original"), make_bug(summary="Copy", reporter=employee)
    _dup(employee, dup, original.id)
    auth.login(reporter.username)
    page = client.get(f"/bugs/{original.id}").get_data(as_text=True)
    assert "has been marked as a duplicate" in page and f'href="/bugs/{dup.id}"' in page
    edit(employee, dup, {"is_private": True})
    page = client.get(f"/bugs/{original.id}").get_data(as_text=True)
    assert "has been marked as a duplicate" not in page and f"/bugs/{dup.id}" not in page


def test_private_bug_numbers_never_show_through_public_bugs(app, client, auth, make_bug,
                                                           make_user):
    """Issue 14, defect 6: "Depends on"/"Blocks", their history rows and "Duplicate of" of
    a public bug name only the bugs the viewer may see (the read side leaves the others
    out), and saving the form keeps the hidden links."""
    employee, reporter = make_user(role="Employee"), make_user(role="Reporter")
    secret = make_bug(reporter=employee, is_private=True, summary="Hidden")
    public = make_bug(reporter=reporter, summary="Open to all")
    other = make_bug(reporter=reporter, summary="Also public")
    edit(employee, public, {"dependson": frozenset({secret.id, other.id}),
                            "blocked": frozenset()})
    edit(employee, other, {"bug_status": "RESOLVED", "resolution": "DUPLICATE",
                           "dup_id": secret.id}, comment="dup")
    auth.login(reporter.username)
    for bug in (public, other):
        page = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
        assert f'href="/bugs/{secret.id}"' not in page
        history = page.split('<ol class="timeline">', 1)[1]
        assert f">{secret.id}<" not in history and f" {secret.id}," not in history
    # saving what the form shows (the visible dependency only) keeps the hidden one
    edit(reporter, public, {"dependson": frozenset({other.id}), "summary": "Open to all!"})
    db.session.expire_all()
    assert form_values(snapshot(db.session.get(Bug, public.id)))["dependson"] == \
        ", ".join(str(i) for i in sorted({secret.id, other.id}))
