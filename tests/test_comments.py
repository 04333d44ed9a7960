"""Comments: safe rendering with autolinks, private comments that do not exist for
those without the private permission, and hiding by admins."""

from __future__ import annotations

import re

import pytest
from conftest import edit, post_form
from sqlalchemy import func, select

from bugzot import visibility
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.markup import render_comment
from bugzot.models import Bug, Comment
from bugzot.services import bugs
from bugzot.services.read import bugs as read

SECRET = "The customer is ACME, password hunter2"


# -- rendering ----------------------------------------------------------------------------
@pytest.mark.parametrize("source,bad", [
    ("<script>alert(1)</script>", "<script"),
    ("<img src=x onerror=alert(1)>", "<img"),
    ("[click](javascript:alert(1))", 'href="javascript:'),
    ('<a href="http://evil" onclick="x()">a</a>', '<a href="http://evil"'),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", 'href="data:'),
    ("<iframe src=//evil></iframe>", "<iframe"),
    ("<style>body{}</style>", "<style"),
])
def test_rendering_never_lets_html_through(app, source, bad):
    html = str(render_comment(source))
    assert bad not in html


def test_rendering_keeps_markdown_and_links_references(app):
    html = str(render_comment("See bug 12 and comment 3, or **attachment 7**.\n\n"
                              "```\nbug 5 <b>\n```\n\n* one\n* [docs](https://example.com/x)",
                              bug_id=4))
    assert '<a href="/bugs/12" class="ref"' in html
    assert '<a href="/bugs/4#c3" class="ref"' in html
    assert '<a href="/attachments/7" class="ref"' in html
    assert "<pre><code>bug 5 &lt;b&gt;\n</code></pre>" in html  # no links inside code
    assert "<li>one</li>" in html
    assert '<a href="https://example.com/x" rel="nofollow noopener noreferrer">docs</a>' in html


def test_comment_on_page_is_rendered_safely(app, client, login_as, make_bug):
    bug = make_bug(description="Hello <script>alert('x')</script> see bug 1")
    login_as("Reporter")
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert '<a href="/bugs/1" class="ref"' in html


# -- private comments ----------------------------------------------------------------------
@pytest.fixture
def private_setup(make_bug, make_user):
    """A public bug with one public and one private comment by an Employee."""
    employee = make_user("emma", role="Employee")
    bug = make_bug(summary="Login fails")
    edit(employee, bug, comment="Public note")
    edit(employee, bug, {"priority": "P1"}, comment=SECRET, private=True)
    return bug, employee


def test_private_comment_absent_for_reporter_everywhere(app, client, login_as, private_setup):
    bug, employee = private_setup
    reporter = login_as("Reporter")
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert "Public note" in html and SECRET not in html
    assert "2 comments" in html  # description + public comment; the private one is not counted
    assert 'id="c2"' not in html and "private" not in html.split('id="comments"', 1)[1]
    assert [c.number for c in read.comments_of(reporter, [bug.id])[bug.id]] == [0, 1]
    assert read.comment_counts(reporter, [bug.id]) == {bug.id: 2}
    # the clauses search and lists use
    query = select(func.count()).select_from(Comment).join(Bug).where(
        Comment.body.contains("hunter2"), visibility.visible_bugs_clause(reporter),
        visibility.readable_comments_clause(reporter))
    assert db.session.scalar(query) == 0


def test_private_comment_visible_to_employee(app, client, auth, private_setup):
    bug, employee = private_setup
    auth.login(employee.username)
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert SECRET in html and "3 comments" in html and 'class="badge private"' in html
    assert read.comment_counts(employee, [bug.id]) == {bug.id: 3}


def test_reporter_cannot_write_private_comments(app, client, login_as, make_bug):
    bug = make_bug()
    login_as("Reporter")
    page = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert 'name="is_private"' not in page.split('id="attachments"')[0]
    response = post_form(client, f"/bugs/{bug.id}", {"revision": bug.revision, "comment": "psst",
                                                     "is_private": "y"})
    assert response.status_code == 403
    assert "You may not write private comments." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


def test_comment_numbers_and_authors(app, client, login_as, make_bug):
    bug = make_bug()
    user = login_as("Reporter")
    assert post_form(client, f"/bugs/{bug.id}", {"revision": bug.revision,
                                                 "comment": "First!"}).status_code == 302
    comment = db.session.scalars(select(Comment).where(Comment.number == 1)).one()
    assert (comment.author_id, comment.body, comment.is_private) == (user.id, "First!", False)


def test_comments_cannot_be_edited(app, client, login_as, make_bug):
    bug = make_bug()
    login_as("Admin")
    for url in (f"/bugs/{bug.id}/comments/0", f"/bugs/{bug.id}/comments/0/edit"):
        assert post_form(client, url, {"body": "rewritten"}).status_code in (404, 405)
    assert db.session.scalars(select(Comment)).one().body == "Steps to reproduce: ..."


# -- hiding ---------------------------------------------------------------------------------
def test_admin_hides_a_comment_and_history_records_it(app, client, auth, make_bug, make_user):
    bug = make_bug(description="Offensive words")
    admin, reporter = make_user(role="Admin"), make_user(role="Reporter")
    auth.login(admin.username)
    response = post_form(client, f"/bugs/{bug.id}/comments/0/hide", {"hidden": "1"})
    assert response.status_code == 302
    admin_page = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert "Offensive words" in admin_page and "Unhide" in admin_page
    auth.logout()
    auth.login(reporter.username)
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert "Offensive words" not in html and "hidden by an administrator" in html
    history = html.split('<ol class="timeline">', 1)[1]
    change = history.split('class="timeline-item change"', 1)[1].split("</li>", 1)[0]
    assert "Comment hidden" in change and "yes" in change
    query = select(func.count()).select_from(Comment).where(
        Comment.body.contains("Offensive"), visibility.readable_comments_clause(reporter))
    assert db.session.scalar(query) == 0


def test_hide_forms_on_the_page_post_and_repeat_no_ids(app, client, auth, make_bug, make_user):
    """The page's hide forms (one per comment) carry the CSRF token without an id, so that
    an admin's page has no duplicate ids, and a form's own fields are enough to post it."""
    bug = make_bug(description="First words")
    admin = make_user(role="Admin")
    edit(admin, bug, comment="Second words")
    auth.login(admin.username)
    page = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    forms = re.findall(r'<form class="inline" method="post" action="([^"]+/hide)">(.*?)</form>',
                       page, re.S)
    assert len(forms) == 2
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "duplicate ids on the bug page"
    action, body = forms[1]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
    assert set(fields) == {"csrf_token", "hidden"}
    assert client.post(action, data=fields).status_code == 302
    assert db.session.scalars(select(Comment).where(Comment.number == 1)).one().is_hidden


def test_hiding_a_private_comment_leaves_no_trace_for_reporters(app, client, auth, private_setup,
                                                                 make_user):
    bug, _ = private_setup
    admin = make_user(role="Admin")
    private = db.session.scalars(select(Comment).where(Comment.is_private)).one()
    bugs.set_comment_hidden(admin, private, True)
    reporter = make_user(role="Reporter")
    assert all(r.field != "comment_hidden" for r in read.history_of(reporter, [bug.id])[bug.id])
    assert any(r.field == "comment_hidden" for r in read.history_of(admin, [bug.id])[bug.id])
    auth.login(reporter.username)
    assert "Comment hidden" not in client.get(f"/bugs/{bug.id}").get_data(as_text=True)


def test_only_comment_hide_permission_may_hide(app, client, login_as, make_bug, make_user):
    bug = make_bug()
    login_as("Employee")
    assert post_form(client, f"/bugs/{bug.id}/comments/0/hide", {"hidden": "1"}).status_code == 403
    with pytest.raises(ServiceError):
        bugs.set_comment_hidden(make_user(role="Supervisor"),
                                db.session.scalars(select(Comment)).one(), True)
    assert not db.session.scalars(select(Comment)).one().is_hidden


def test_comment_numbers_are_the_same_for_everyone_with_gaps_for_private_ones(
        app, client, login_as, private_setup, make_user):
    """visibility.py's decision: numbers are stable identifiers, so a Reporter sees a gap
    where a private comment is, and "comment 3" names the same comment for everybody."""
    bug, employee = private_setup
    edit(employee, bug, comment="Third, public: see comment 1.")
    reporter = login_as("Reporter")
    assert [c.number for c in read.comments_of(reporter, [bug.id])[bug.id]] == [0, 1, 3]
    assert [c.number for c in read.comments_of(employee, [bug.id])[bug.id]] == [0, 1, 2, 3]
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert 'id="c3"' in html and 'id="c2"' not in html and "3 comments" in html
