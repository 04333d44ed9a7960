"""Moderating comments: hiding and showing them again (recorded in the bug's history)."""

from __future__ import annotations

from bugzot import permissions, visibility
from bugzot.exceptions import Forbidden, NotFound
from bugzot.extensions import db
from bugzot.models import Bug, Comment, User
from bugzot.services import unit_of_work
from bugzot.services.history import History, one_save


def set_comment_hidden(user: User, comment: Comment, hidden: bool) -> None:
    """Hide or unhide ``comment`` (holders of comment.hide); a no-op when it already is."""
    if not getattr(user, "is_authenticated", False) or not permissions.can(
            user, permissions.COMMENT_HIDE):
        raise Forbidden("You may not hide comments.")
    bug = db.session.get(Bug, comment.bug_id)
    if not visibility.can_see_bug(user, bug) or not visibility.can_see_comment(user, comment):
        raise NotFound("There is no such comment.")
    if comment.is_hidden == hidden:
        return
    with one_save(bug.id), unit_of_work():
        History(user).comment_hidden(bug, comment, hidden)
        comment.is_hidden = hidden
