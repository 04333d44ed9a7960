"""Attachment downloads, the read-only patch view, and editing an attachment's flags.

Permission is checked on every request: a private attachment or an attachment of
a private bug answers 404 to those who may not see it, exactly like a missing one.
"""

from __future__ import annotations

import os

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from bugzot import permissions, visibility
from bugzot.deploy.handoff import apache_handoff
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.forms import apply_error
from bugzot.forms.bugs import AttachmentEditForm
from bugzot.models import Attachment, Bug
from bugzot.permissions import require
from bugzot.services.attachments import INLINE_TYPES, read_text, safe_filename, storage_path

bp = Blueprint("attachments", __name__)


def _visible_attachment_or_404(attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if not visibility.can_see_attachment(current_user, attachment):
        abort(404, f"Attachment {attachment_id} does not exist or you may not see it.")
    return attachment


def send_attachment(attachment: Attachment, download: bool = False):
    """The response for ``attachment`` (the caller has checked permission).

    Only raster images (PNG, JPEG, GIF, WebP) and plain text (logs, patches: served as
    ``text/plain; charset=utf-8``) may display inline, and only when ``download`` is
    not asked for; everything else, SVG, HTML, XML and PDF included, is a download.
    ``nosniff`` stops browsers from second-guessing the type, and the sandbox CSP
    neuters anything that still renders.
    """
    path = storage_path(attachment.sha256)
    if not os.path.isfile(path):
        abort(404, f"The file of attachment {attachment.id} is missing from the storage.")
    inline = attachment.content_type in INLINE_TYPES and not download
    # Werkzeug appends "; charset=utf-8" to text/* and XML types.
    response = send_file(path, mimetype=attachment.content_type, as_attachment=not inline,
                         download_name=safe_filename(attachment.filename, f"attachment-{attachment.id}"),
                         conditional=True, etag=attachment.sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    if current_app.config["ATTACHMENT_INTERNAL_REDIRECT"]:
        return apache_handoff(response, path)  # Apache sends the file (docs/DEPLOY-LINUX.md)
    return response


@bp.get("/attachments/<int:attachment_id>")
@require(permissions.BUG_VIEW)
def download(attachment_id: int):
    """Show (raster images, plain text) or download an attachment; ``?download=1``
    always downloads."""
    return send_attachment(_visible_attachment_or_404(attachment_id),
                           download=request.args.get("download") == "1")


@bp.get("/attachments/<int:attachment_id>/diff")
@require(permissions.BUG_VIEW)
def diff(attachment_id: int):
    """A read-only, escaped view of a patch with added/removed lines marked."""
    attachment = _visible_attachment_or_404(attachment_id)
    if not attachment.is_patch:
        abort(404, f"Attachment {attachment_id} is not a patch.")
    try:
        text = read_text(attachment)
    except OSError:
        abort(404, f"The file of attachment {attachment.id} is missing from the storage.")
    lines = [(_line_kind(line), line) for line in text.splitlines()]
    return render_template("attachments/diff.html", attachment=attachment, lines=lines,
                           bug=db.session.get(Bug, attachment.bug_id))


def _line_kind(line: str) -> str:
    if line.startswith(("+++", "---", "diff ", "index ")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return "ctx"


@bp.route("/attachments/<int:attachment_id>/edit", methods=["GET", "POST"])
@require(permissions.BUG_VIEW)
def edit(attachment_id: int):
    """Change an attachment's description and its patch/obsolete/private flags."""
    from bugzot.services.attachments import update_attachment

    attachment = _visible_attachment_or_404(attachment_id)
    form = AttachmentEditForm(obj=attachment)
    if form.validate_on_submit():
        try:
            update_attachment(current_user, attachment, description=form.description.data,
                              is_patch=form.is_patch.data, is_obsolete=form.is_obsolete.data,
                              is_private=form.is_private.data)
        except ServiceError as exc:
            apply_error(form, exc)
        else:
            flash(f"Attachment {attachment.id} was updated.", "success")
            return redirect(url_for("bugs.show", bug_id=attachment.bug_id,
                                    _anchor=f"a{attachment.id}"))
    return render_template("attachments/edit.html", attachment=attachment, form=form,
                           bug=db.session.get(Bug, attachment.bug_id))
