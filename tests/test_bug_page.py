"""The bug page's markup contract and behaviour without a browser: one timeline of
comments and grouped changes, the edit and comment forms, errors listed once at the
top, the Markdown preview endpoint, thumbnails, the private toggles."""

from __future__ import annotations

import io
import re

from conftest import csrf_token, edit, post_form
from sqlalchemy import select

from bugzot.extensions import db
from bugzot.markup import render_comment
from bugzot.models import Bug, Comment
from bugzot.services import attachments
from bugzot.services.commands import Upload
from bugzot.services.read import bug_page

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def _items(html: str) -> list[str]:
    """The class attribute of each timeline item, in page order."""
    timeline = html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<li class="(timeline-item [^"]+)"', timeline)


def test_timeline_merges_comments_and_changes_in_save_order(app, client, auth, make_bug, make_user):
    employee = make_user("emma", role="Employee")
    bug = make_bug(summary="Order matters")
    edit(employee, bug, {"priority": "P1", "severity": "critical"}, comment="Raising it")
    edit(employee, bug, {"bug_status": "ASSIGNED"})
    edit(employee, bug, comment="Working on it")
    page = bug_page.bug_page(employee, bug.id)
    kinds = [(i.kind, i.comment.number if i.comment else sorted(r.field for r in i.changes))
             for i in page.timeline]
    assert kinds == [("comment", 0), ("comment", 1), ("change", ["priority", "severity"]),
                     ("change", ["bug_status"]), ("comment", 2)]
    auth.login("emma")
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert _items(html) == ["timeline-item comment", "timeline-item comment", "timeline-item change",
                            "timeline-item change", "timeline-item comment"]
    change = html.split('class="timeline-item change"', 2)[2].split("</li>", 1)[0]
    assert "Status" in change and "NEW" in change and "ASSIGNED" in change
    # the comment box comes after the timeline, the edit form before it
    assert html.index('id="edit-form"') < html.index('<ol class="timeline">') \
        < html.index('id="comment-form"')
    for control in ('id="bug_status"', 'id="resolution"', 'id="assigned_to"', 'id="save-changes"',
                    'id="edit-fields"', 'id="comment"', 'id="comment-private"'):
        assert control in html, control


def test_private_comment_is_a_private_item_and_absent_for_reporters(app, client, auth, make_bug,
                                                                    make_user):
    employee, reporter = make_user("emma", role="Employee"), make_user("rita")
    bug = make_bug(reporter=reporter)
    edit(employee, bug, comment="internal only", private=True)
    auth.login("emma")
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert "timeline-item comment private" in _items(html)
    auth.logout()
    auth.login("rita")
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert _items(html) == ["timeline-item comment"] and "internal only" not in html
    assert 'id="comment-private"' not in html and 'id="edit-comment-private"' not in html


def test_new_comment_is_not_private_by_default(app, client, auth, make_bug, make_user):
    """The bug's own privacy ("is_private" in its values, "0") once ticked the box."""
    make_user("emma", role="Employee")
    bug = make_bug()
    auth.login("emma")
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    box = re.search(r'<input type="checkbox" id="comment-private"[^>]*>', html).group(0)
    assert "checked" not in box


def test_comment_form_posts_only_a_comment(app, client, auth, make_bug, make_user):
    make_user("emma", role="Employee")
    bug = make_bug()
    auth.login("emma")
    response = post_form(client, f"/bugs/{bug.id}", {"revision": bug.revision, "form": "comment",
                                                     "comment": "Just a note"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#c1")
    db.session.expire_all()
    assert db.session.get(Bug, bug.id).status == "NEW"
    with client.session_transaction() as session:
        assert session["bugzot_draft_clear"] == f"bug-{bug.id}"


def test_refused_save_lists_each_error_once_at_the_top(app, client, auth, make_bug, make_user):
    make_user("emma", role="Employee")
    bug = make_bug()
    auth.login("emma")
    response = post_form(client, f"/bugs/{bug.id}", {
        "revision": bug.revision, "form": "edit", "bug_status": "RESOLVED", "resolution": "FIXED",
        "summary": bug.summary, "dependson": "12x", "comment": "my careful words"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count("List bug numbers separated by commas.") == 1
    summary = html.split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    assert '<div class="flash flash-error error-summary" id="form-errors" role="alert" tabindex="-1"' in html
    assert '<a href="#dependson">Depends on</a>' in summary
    assert 'data-editing="1"' in html  # the page opens in edit mode
    assert re.search(r'id="dependson"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="dependson"', html)
    # what was typed stays in the form that was posted, not in the other one
    edit_box = html.split('id="edit-comment"', 1)[1].split("</textarea>", 1)[0]
    comment_box = html.split('id="comment" name="comment"', 1)[1].split("</textarea>", 1)[0]
    assert "my careful words" in edit_box and "my careful words" not in comment_box


def test_preview_renders_like_a_stored_comment(app, client, auth, make_bug, make_user):
    make_user("emma")
    bug = make_bug()
    text = "**bold** <script>alert(1)</script> see comment 2 and bug 7"
    anonymous = client.post("/markup/preview", data={"text": text},
                            headers={"X-CSRFToken": csrf_token(client)})
    assert anonymous.status_code in (302, 401) and "html" not in (anonymous.get_json() or {})
    auth.login("emma")
    token = csrf_token(client, f"/bugs/{bug.id}")
    assert client.post("/markup/preview", data={"text": text}).status_code == 400  # no CSRF token
    response = client.post("/markup/preview", data={"text": text, "bug_id": bug.id},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert html == str(render_comment(text, bug.id))
    assert "<strong>bold</strong>" in html and "<script>" not in html
    assert f'href="/bugs/{bug.id}#c2"' in html and 'href="/bugs/7"' in html
    too_long = client.post("/markup/preview", data={"text": "x" * 70000},
                           headers={"X-CSRFToken": token})
    assert too_long.status_code == 400 and "at most" in too_long.get_json()["error"]


def test_image_attachments_show_as_thumbnails_private_ones_only_to_staff(app, client, auth,
                                                                         make_bug, make_user):
    employee, reporter = make_user("emma", role="Employee"), make_user("rita")
    bug = make_bug(reporter=reporter)
    shot = attachments.add_attachment(reporter, bug, Upload("shot.png", io.BytesIO(PNG)))
    secret = attachments.add_attachment(employee, bug, Upload("inside.png", io.BytesIO(PNG + b"1"),
                                                              is_private=True))
    log = attachments.add_attachment(reporter, bug, Upload("run.log", io.BytesIO(b"line\n")))
    auth.login("rita")
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    thumbs = re.findall(r'<img class="thumbnail" src="([^"]+)"', html)
    assert thumbs == [f"/attachments/{shot.id}"]
    assert f'/attachments/{log.id}?download=1' in html
    assert client.get(thumbs[0]).headers["Content-Type"] == "image/png"
    auth.logout()
    auth.login("emma")
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert re.findall(r'<img class="thumbnail" src="([^"]+)"', html) == [
        f"/attachments/{shot.id}", f"/attachments/{secret.id}"]


def test_xhr_upload_answers_json(app, client, auth, make_bug, make_user):
    make_user("rita")
    bug = make_bug()
    auth.login("rita")
    token = csrf_token(client, f"/bugs/{bug.id}")
    xhr = {"X-Requested-With": "XMLHttpRequest"}
    ok = client.post(f"/bugs/{bug.id}/attachments", headers=xhr, content_type="multipart/form-data",
                     data={"csrf_token": token, "form": "comment", "comment": "See this",
                           "file": (io.BytesIO(PNG), "image.png", "image/png")})
    assert ok.status_code == 200 and ok.get_json()["location"].startswith(f"/bugs/{bug.id}#a")
    body = db.session.scalars(select(Comment.body).where(Comment.number == 1)).one()
    assert body.endswith("See this")
    refused = client.post(f"/bugs/{bug.id}/attachments", headers=xhr,
                          content_type="multipart/form-data",
                          data={"csrf_token": token, "file": (io.BytesIO(b""), "empty.png")})
    assert refused.status_code == 400
    assert refused.get_json()["errors"] == ["File: The file is empty."]


def test_private_bug_toggle_on_filing_only_for_those_allowed(app, client, auth, make_user,
                                                            make_product):
    make_product("Widget", components=("Core",), versions=("1.0",))
    make_user("rita"), make_user("emma", role="Employee")
    auth.login("rita")
    assert 'name="is_private"' not in client.get("/bugs/new?product=Widget").get_data(as_text=True)
    fields = {"product": "Widget", "component": "Core", "version": "1.0", "summary": "Secret",
              "severity": "normal", "priority": "P3", "platform": "PC", "op_sys": "Linux",
              "is_private": "y"}
    refused = post_form(client, "/bugs/new", fields)
    assert refused.status_code == 400 and "You may not file private bugs." in refused.get_data(as_text=True)
    auth.logout()
    auth.login("emma")
    assert 'name="is_private"' in client.get("/bugs/new?product=Widget").get_data(as_text=True)
    assert post_form(client, "/bugs/new", fields).status_code == 302
    filed = db.session.scalars(select(Bug)).one()
    assert filed.is_private is True
    html = client.get(f"/bugs/{filed.id}").get_data(as_text=True)
    assert re.search(r'<input type="checkbox" id="is_private_bug" name="is_private_bug" value="y" checked>',
                     html)
