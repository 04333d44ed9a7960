"""``/rest/bug/<id>/comment`` and ``/rest/bug/<id>/attachment``,
``/rest/bug/attachment/<id>``: what the caller may see of a bug's comments and files."""

from __future__ import annotations

import base64

from flask import jsonify

from bugzot import visibility
from bugzot.api import changes, serializers
from bugzot.api.auth import caller
from bugzot.api.blueprint import bp
from bugzot.api.bugs import bug_or_404, moment_arg
from bugzot.api.errors import LOGIN_REQUIRED, NO_SUCH_OBJECT, ApiError
from bugzot.api.params import arg, arg_list, as_id, body, flag, text
from bugzot.models import Attachment
from bugzot.services import attachments as attachment_service
from bugzot.services.read import bugs as read


@bp.get("/bug/<id_or_alias>/comment")
def comments(id_or_alias: str):
    """The comments of a bug that exist for the caller, oldest first (``new_since``:
    only those made after that time)."""
    bug = bug_or_404(id_or_alias)
    user = caller()
    found = read.comments_of(user, [bug.id])[bug.id]
    since = arg("new_since")
    if since:
        moment = moment_arg(since)
        found = [c for c in found if c.created_at > moment]
    listed = [serializers.comment(c, visibility.can_read_comment(user, c)) for c in found]
    return jsonify(bugs={str(bug.id): {"comments": listed}}, comments={})


def _data(attachment: Attachment) -> str:
    with open(attachment_service.storage_path(attachment.sha256), "rb") as fh:
        return base64.b64encode(fh.read()).decode("ascii")


@bp.get("/bug/<id_or_alias>/attachment")
def bug_attachments(id_or_alias: str):
    """Every attachment of a bug that exists for the caller, with its data."""
    bug = bug_or_404(id_or_alias)
    found = read.attachments_of(caller(), [bug.id])[bug.id]
    with_data = "data" not in arg_list("exclude_fields")
    listed = [serializers.attachment(a, _data(a) if with_data else None) for a in found]
    return jsonify(bugs={str(bug.id): listed}, attachments={})


@bp.get("/bug/attachment/<attachment_id>")
def attachment(attachment_id: str):
    """One attachment with its data, if the caller may see it (and its bug)."""
    found = read.attachment_by_id(as_id(attachment_id, "attachment_id"))
    if found is None or not visibility.can_see_attachment(caller(), found):
        raise ApiError(NO_SUCH_OBJECT, f"Attachment #{attachment_id} does not exist or you may "
                                       "not see it.", 404)
    with_data = "data" not in arg_list("exclude_fields")
    return jsonify(attachments={str(found.id): serializers.attachment(
        found, _data(found) if with_data else None)}, bugs={})


@bp.post("/bug/<id_or_alias>/attachment")
def add_attachment(id_or_alias: str):
    """Attach a file (base64 ``data``) to the bug in the path (and those in ``ids``)."""
    user = caller()
    if not user.is_authenticated:
        raise ApiError(LOGIN_REQUIRED, "You must log in before attaching files.")
    data = body()
    targets = [bug_or_404(id_or_alias)]
    for value in data.get("ids") or []:
        bug_id = as_id(value, "ids")
        if bug_id not in {b.id for b in targets}:
            targets.append(bug_or_404(str(bug_id)))
    ids = []
    for bug in targets:
        ids.append(attachment_service.add_attachment(user, bug, changes.upload(data)).id)
    return jsonify(ids=ids), 201


@bp.get("/bug/comment/<comment_id>")
def comment(comment_id: str):
    """One comment by its id, if the caller may see it (and its bug)."""
    user = caller()
    found = read.comment_by_id(as_id(comment_id, "comment_id"))
    bug = read.bugs_by_id(user, [found.bug_id]).get(found.bug_id) if found is not None else None
    if bug is None or not visibility.can_see_comment(user, found):
        raise ApiError(NO_SUCH_OBJECT, f"Comment #{comment_id} does not exist or you may not "
                                       "see it.", 404)
    return jsonify(comments={str(found.id): serializers.comment(
        found, visibility.can_read_comment(user, found))}, bugs={})


@bp.put("/bug/attachment/<attachment_id>")
def update_attachment(attachment_id: str):
    """Change an attachment's summary and flags (``is_patch``, ``is_obsolete``,
    ``is_private``); answers Bugzilla's ``attachments`` list of changes."""
    user = caller()
    if not user.is_authenticated:
        raise ApiError(LOGIN_REQUIRED, "You must log in before changing attachments.")
    found = read.attachment_by_id(as_id(attachment_id, "attachment_id"))
    if found is None or not visibility.can_see_attachment(user, found):
        raise ApiError(NO_SUCH_OBJECT, f"Attachment #{attachment_id} does not exist or you may "
                                       "not see it.", 404)
    data = body()
    summary = text(data, "summary", found.description)
    rows = attachment_service.update_attachment(
        user, found, description=summary,
        is_patch=flag(data, "is_patch", found.is_patch),
        is_obsolete=flag(data, "is_obsolete", found.is_obsolete),
        is_private=flag(data, "is_private", found.is_private))
    return jsonify(attachments=[{"id": found.id, "last_change_time": serializers.when(
        rows[0].changed_at) if rows else None, "changes": {
            r.field.split(".", 1)[1].replace("description", "summary"): {
                "removed": r.old_value, "added": r.new_value} for r in rows}}])
