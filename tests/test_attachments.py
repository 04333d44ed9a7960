"""Attachments: upload, content sniffing, download headers, privacy, the size limit,
the patch view, and file+row atomicity when storage or the database fails."""

from __future__ import annotations

import io
import os
import re

import pytest
import sqlalchemy as sa
from conftest import post_form
from sqlalchemy import func, select

from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import Attachment, BugChange, Comment
from bugzot.services import attachments
from bugzot.services.commands import Upload
from bugzot.services.read import bugs as read

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 40
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"\x00" * 40
PATCH = b"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-old <b>\n+new <script>\n"


def stored_files(app) -> list[str]:
    """Every file under the attachment folder (temporary ones included)."""
    found = []
    for root, _dirs, files in os.walk(app.config["ATTACHMENT_FOLDER"]):
        found += [os.path.join(root, f) for f in files]
    return found


def upload(client, bug, content: bytes, filename="file.bin", mimetype="application/octet-stream",
           **fields):
    data = {"file": (io.BytesIO(content), filename, mimetype), "description": "", **fields}
    return post_form(client, f"/bugs/{bug.id}/attachments", data,
                     content_type="multipart/form-data")


def storage(content: bytes, filename="f.bin", **flags) -> Upload:
    """A file to attach, as the typed command the attachments service takes."""
    return Upload(filename, io.BytesIO(content), **flags)


# -- upload and storage ------------------------------------------------------------------------
def test_upload_stores_by_sha256_with_a_comment(app, client, login_as, make_bug):
    bug = make_bug()
    user = login_as("Reporter")
    response = upload(client, bug, PNG, "../../screen shot.png", "image/png",
                      description="Screenshot", comment="See the red box.")
    assert response.status_code == 302
    att = db.session.scalars(select(Attachment)).one()
    assert (att.filename, att.description, att.content_type, att.size, att.uploader_id) == \
        ("screen shot.png", "Screenshot", "image/png", len(PNG), user.id)
    path = attachments.storage_path(att.sha256)
    assert stored_files(app) == [path] and open(path, "rb").read() == PNG
    assert os.path.dirname(path) == os.path.join(app.config["ATTACHMENT_FOLDER"], att.sha256[:2])
    comment = db.session.scalars(select(Comment).where(Comment.number == 1)).one()
    assert comment.attachment_id == att.id
    assert comment.body == f"Created attachment {att.id}\nScreenshot\n\nSee the red box."
    db.session.refresh(bug)
    assert bug.revision == 2


def test_same_content_is_stored_once(app, make_bug, make_user):
    bug, user = make_bug(), make_user()
    a = attachments.add_attachment(user, bug, storage(PATCH, "a.diff"))
    b = attachments.add_attachment(user, bug, storage(PATCH, "b.diff"))
    assert a.sha256 == b.sha256 and a.id != b.id
    assert stored_files(app) == [attachments.storage_path(a.sha256)]


@pytest.mark.parametrize("content,claimed,expected", [
    (PNG, "text/html", "image/png"),
    (JPEG, "image/png", "image/jpeg"),
    (GIF, "image/png", "image/gif"),
    (WEBP, "application/octet-stream", "image/webp"),
    (SVG, "image/png", "image/svg+xml"),
    (HTML, "image/png", "text/html"),
    (PDF, "image/png", "application/pdf"),
    (b"just some notes\n", "application/x-evil", "text/plain"),
    (b"\x00\x01\x02binary junk", "image/png", "application/octet-stream"),
])
def test_content_type_is_sniffed_not_trusted(app, client, login_as, make_bug, content, claimed,
                                             expected):
    bug = make_bug()
    login_as("Reporter")
    assert upload(client, bug, content, "upload.png", claimed).status_code == 302
    assert db.session.scalars(select(Attachment)).one().content_type == expected


@pytest.mark.parametrize("content,filename,fields,message", [
    (b"", "empty.txt", {}, "The file is empty."),
    (PNG, "x.png", {"is_patch": "y"}, "A patch must be a text file."),
    (PNG, "x.png", {"description": "d" * 256}, "Field cannot be longer than 255 characters."),
])
def test_bad_uploads_show_errors_and_store_nothing(app, client, login_as, make_bug, content,
                                                   filename, fields, message):
    bug = make_bug()
    login_as("Reporter")
    response = upload(client, bug, content, filename, **fields)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalars(select(Attachment)).all() == [] and stored_files(app) == []


def test_upload_without_a_file(app, client, login_as, make_bug):
    bug = make_bug()
    login_as("Reporter")
    response = post_form(client, f"/bugs/{bug.id}/attachments", {"description": "nothing"})
    assert response.status_code == 400 and "Choose a file to upload." in response.get_data(as_text=True)


@pytest.mark.parametrize("role, private", [("Reporter", False), ("Employee", True)])
def test_bug_page_upload_form_matches_the_upload_form_class(client, login_as, make_bug, role,
                                                           private):
    """The bug page writes the upload form as plain HTML: its fields must be UploadForm's,
    with ids that do not clash with the edit form's comment and is_private fields."""
    from bugzot.forms.bugs import UploadForm

    bug = make_bug()
    login_as(role)
    page = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    form = re.search(rf'<form[^>]*action="/bugs/{bug.id}/attachments".*?</form>', page, re.S).group(0)
    names = set(re.findall(r'name="([^"]+)"', form))
    expected = {"csrf_token", "file", "description", "is_patch", "comment"} | (
        {"is_private"} if private else set())
    with client.application.test_request_context():
        assert expected <= {f.name for f in UploadForm(formdata=None)}
    assert names == expected
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "duplicate ids on the bug page"
    assert upload(client, bug, PNG, "a.png", "image/png",
                  description="from the page").status_code == 302


def test_filing_with_a_first_attachment(app, client, login_as, make_product):
    make_product("Widget")
    login_as("Reporter")
    response = post_form(client, "/bugs/new", {
        "product": "Widget", "component": "General", "version": "1.0", "severity": "normal",
        "priority": "P3", "platform": "All", "op_sys": "All", "summary": "With a log",
        "file": (io.BytesIO(b"log line\n"), "app.log"), "attachment_description": "The log"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    att = db.session.scalars(select(Attachment)).one()
    assert (att.description, att.content_type) == ("The log", "text/plain")
    assert [c.number for c in db.session.scalars(select(Comment).order_by(Comment.number))] == [0, 1]


# -- size limit ------------------------------------------------------------------------------------
@pytest.fixture
def small_limit(app_config):
    app_config["MAX_CONTENT_LENGTH"] = 8 * 1024


def test_upload_size_limit(small_limit, app, client, login_as, make_bug):
    bug = make_bug()
    login_as("Reporter")
    response = upload(client, bug, b"a" * 9 * 1024, "big.txt")
    assert response.status_code == 413
    assert "The upload is too large: the limit is 0.0078125 MB." in response.get_data(as_text=True)
    assert db.session.scalars(select(Attachment)).all() == [] and stored_files(app) == []
    assert upload(client, bug, b"a" * 4 * 1024, "small.txt").status_code == 302


def test_service_enforces_the_limit_while_streaming(small_limit, app, make_bug, make_user):
    bug = make_bug()
    with pytest.raises(ServiceError, match="too large"):
        attachments.add_attachment(make_user(), bug, storage(b"x" * 9000))
    assert stored_files(app) == []


# -- atomicity ---------------------------------------------------------------------------------------
def _nothing_saved(app, bug, revision):
    db.session.expire_all()
    assert db.session.scalars(select(Attachment)).all() == []
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1
    assert bug.revision == revision
    assert stored_files(app) == []


def test_failed_rename_leaves_no_row_and_no_file(app, client, login_as, make_bug, monkeypatch):
    bug = make_bug()
    login_as("Reporter")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    response = upload(client, bug, PNG, "x.png")
    assert response.status_code == 400
    assert "The file could not be stored, so nothing was saved." in response.get_data(as_text=True)
    _nothing_saved(app, bug, 1)


def test_unwritable_storage_leaves_no_row(app_config, tmp_path, app, client, login_as, make_bug):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    app.config["ATTACHMENT_FOLDER"] = str(blocker)
    bug = make_bug()
    login_as("Reporter")
    response = upload(client, bug, PNG, "x.png")
    assert response.status_code == 400 and "could not be stored" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(Attachment)).all() == []
    assert blocker.read_text() == "a file where the folder should be"


def test_failed_commit_removes_the_new_file(app, make_bug, make_user, monkeypatch):
    bug, user = make_bug(), make_user()
    kept = attachments.add_attachment(user, bug, storage(b"shared content\n", "one.txt"))

    def db_down():
        raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "commit", db_down)
    with pytest.raises(sa.exc.OperationalError):
        attachments.add_attachment(user, bug, storage(PNG, "new.png"))
    with pytest.raises(sa.exc.OperationalError):  # same content as a kept file: that file stays
        attachments.add_attachment(user, bug, storage(b"shared content\n", "two.txt"))
    monkeypatch.undo()
    db.session.expire_all()
    assert [a.id for a in db.session.scalars(select(Attachment))] == [kept.id]
    assert stored_files(app) == [attachments.storage_path(kept.sha256)]


# -- downloads ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("content,filename,is_patch,mimetype,inline", [
    (PNG, "shot.png", False, "image/png", True),
    (JPEG, "photo.jpg", False, "image/jpeg", True),
    (GIF, "anim.gif", False, "image/gif", True),
    (WEBP, "pic.webp", False, "image/webp", True),
    (SVG, "logo.svg", False, "image/svg+xml; charset=utf-8", False),
    (HTML, "page.html", False, "text/html; charset=utf-8", False),
    (PDF, "doc.pdf", False, "application/pdf", False),
    (PATCH, "fix.patch", True, "text/plain; charset=utf-8", True),
    (b"12:00 started\n12:01 crashed \xe2\x9c\x97\n", "server.log", False, "text/plain; charset=utf-8", True),
    (b"<b>not html</b> in a log\n", "odd.log", False, "text/plain; charset=utf-8", True),
])
def test_download_headers(app, client, login_as, make_bug, content, filename, is_patch, mimetype,
                          inline):
    bug = make_bug()
    login_as("Reporter")
    assert upload(client, bug, content, filename, "image/png",
                  **({"is_patch": "y"} if is_patch else {})).status_code == 302
    att = db.session.scalars(select(Attachment)).one()
    response = client.get(f"/attachments/{att.id}")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Type"] == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"].startswith("private")
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"{'inline' if inline else 'attachment'}; filename={filename}"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    # the download link: always a download, same safe headers
    download = client.get(f"/attachments/{att.id}?download=1")
    assert download.data == content and download.headers["Content-Type"] == mimetype
    assert download.headers["Content-Disposition"] == f"attachment; filename={filename}"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_download_filename_is_made_safe(app, client, login_as, make_bug, make_user):
    bug = make_bug()
    att = attachments.add_attachment(make_user(), bug, storage(b"text\n", 'C:\\x\\..\\a"b\r\nc.txt'))
    login_as("Reporter")
    disposition = client.get(f"/attachments/{att.id}?download=1").headers["Content-Disposition"]
    assert disposition == "attachment; filename=abc.txt"


def test_patch_view_is_escaped(app, client, login_as, make_bug):
    bug = make_bug()
    login_as("Reporter")
    upload(client, bug, PATCH, "fix.patch", is_patch="y")
    att = db.session.scalars(select(Attachment)).one()
    html = client.get(f"/attachments/{att.id}/diff").get_data(as_text=True)
    assert '<span class="diff-add">+new &lt;script&gt;</span>' in html
    assert '<span class="diff-del">-old &lt;b&gt;</span>' in html
    assert "<script>" not in html.split("<pre", 1)[1]
    db.session.refresh(bug)
    png = attachments.add_attachment(bug.reporter, bug, storage(PNG, "x.png"))
    assert client.get(f"/attachments/{png.id}/diff").status_code == 404


# -- privacy ------------------------------------------------------------------------------------------
def test_private_attachment_is_invisible_to_reporters(app, client, auth, make_bug, make_user):
    bug = make_bug()
    employee, reporter = make_user(role="Employee"), make_user(role="Reporter")
    att = attachments.add_attachment(employee, bug, storage(
        b"internal notes\n", "secret-notes.txt", description="Secret notes", is_private=True))
    attachments.update_attachment(employee, att, description="Secret notes v2", is_patch=False,
                                  is_obsolete=True, is_private=True)
    auth.login(reporter.username)
    html = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert "secret-notes" not in html and "Secret notes" not in html
    assert f"attachment {att.id}" not in html.lower()
    assert "1 comment" in html  # the "Created attachment" comment is private too
    assert client.get(f"/attachments/{att.id}").status_code == 404
    assert client.get(f"/attachments/{att.id}/diff").status_code == 404
    assert client.get(f"/attachments/{att.id}/edit").status_code == 404
    assert read.attachments_of(reporter, [bug.id])[bug.id] == []
    assert all(r.attachment_id is None for r in read.history_of(reporter, [bug.id])[bug.id])
    auth.logout()
    auth.login(employee.username)
    assert client.get(f"/attachments/{att.id}").status_code == 200
    assert "Secret notes v2" in client.get(f"/bugs/{bug.id}").get_data(as_text=True)


def test_attachments_of_private_bugs(app, client, auth, make_bug, make_user):
    owner = make_user(role="Employee")
    bug = make_bug(reporter=owner, is_private=True)
    att = attachments.add_attachment(owner, bug, storage(PNG, "x.png"))
    auth.login(make_user(role="Reporter").username)
    assert client.get(f"/attachments/{att.id}").status_code == 404
    assert upload(client, bug, PNG).status_code == 404
    auth.logout()
    auth.login(owner.username)
    assert client.get(f"/attachments/{att.id}").status_code == 200


def test_reporter_cannot_upload_private(app, client, login_as, make_bug):
    bug = make_bug()
    login_as("Reporter")
    response = upload(client, bug, PNG, is_private="y")
    assert response.status_code == 400 and "You may not add private attachments." in \
        response.get_data(as_text=True)
    assert db.session.scalars(select(Attachment)).all() == []


def test_edit_flags_records_history(app, client, login_as, make_bug):
    bug = make_bug()
    user = login_as("Reporter")
    upload(client, bug, PATCH, "fix.patch", is_patch="y", description="Fix")
    att = db.session.scalars(select(Attachment)).one()
    response = post_form(client, f"/attachments/{att.id}/edit",
                         {"description": "Fix v1", "is_patch": "y", "is_obsolete": "y"})
    assert response.status_code == 302
    rows = db.session.scalars(select(BugChange).order_by(BugChange.id)).all()
    assert [(r.field, r.old_value, r.new_value, r.user_id) for r in rows] == [
        ("attachment.description", "Fix", "Fix v1", user.id),
        ("attachment.is_obsolete", "0", "1", user.id)]
    refused = post_form(client, f"/attachments/{att.id}/edit",
                        {"description": "Fix v1", "is_patch": "y", "is_private": "y"})
    assert "You may not change whether attachments are private." in refused.get_data(as_text=True)
