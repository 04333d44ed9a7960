"""``/rest/bug/<id>/comment`` and ``/rest/bug/<id>/attachment``,
``/rest/bug/attachment/<id>``: what the caller may see of a bug's comments and files."""

from __future__ import annotations

import base64

from flask import jsonify

from bugzot import visibility
from bugzot.api import changes, serializers
from bugzot.api.auth import caller
from bugzot.api.blueprint import bp
from bugzot.api.bugs import bug_or_404
from bugzot.api.errors import LOGIN_REQUIRED, NO_SUCH_OBJECT, ApiError
from bugzot.api.params import arg_list, as_id, body
from bugzot.models import Attachment
from bugzot.services import attachments as attachment_service
from bugzot.services.read import bugs as read


@bp.get("/bug/<id_or_alias>/comment")
def comments(id_or_alias: str):
    """The comments of a bug that exist for the caller, oldest first."""
    bug = bug_or_404(id_or_alias)
    user = caller()
    found = read.comments_of(user, [bug.id])[bug.id]
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
