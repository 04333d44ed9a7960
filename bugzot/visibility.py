"""What a user may see of a bug, a comment, an attachment or a history row.

Every output (bug page, lists, search, exports, the REST API, mail, the mid-air
page) asks these functions; no other code decides visibility. Two kinds of helper:

* ``*_clause(user)`` return SQL WHERE clauses, for queries over many rows
  (search, counts, lists): ``visible_bugs_clause``, ``visible_comments_clause``,
  ``readable_comments_clause``, ``visible_attachments_clause``,
  ``visible_history_clause``.
* ``can_see_*`` / ``visible_bug`` answer for one object or one bug.

The read side of the services (``services.read``) builds its statements from these.

For users without ``bug.private`` a private comment, attachment or history row
does not exist: it is left out, never shown as a placeholder, never counted ("Comments
(N)" counts what the viewer sees). Comment *numbers* are the comment's own, the same for
every viewer, so that "comment 4" in a text, a link (``#c4``) or a mail means one comment
for everybody: where a private comment sits, a viewer who may not see it sees a gap
(0, 1, 3). Renumbering per viewer would make the same number name different comments
for different people, and the size of the gap tells nothing the count would not.
Hidden comments (``Comment.is_hidden``) do exist for everyone who may see them,
but only holders of ``comment.hide`` may read their text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from bugzot import permissions
from bugzot.extensions import db
from bugzot.models import Attachment, Bug, BugChange, Comment


def sees_private(user: Any) -> bool:
    """True when ``user`` may see private bugs, comments and attachments."""
    return permissions.can(user, permissions.BUG_PRIVATE)


# -- bugs -------------------------------------------------------------------------
# How much of the bugs a user sees: nothing, all, the public ones plus those they
# reported ("own"), or the public ones (visitors when anonymous browsing is on).
NONE, ALL, OWN, PUBLIC = "none", "all", "own", "public"
VIEWERS = (NONE, ALL, OWN, PUBLIC)


def bug_viewer(user: Any) -> str:
    """Which of NONE, ALL, OWN, PUBLIC applies to ``user``."""
    if not permissions.can(user, permissions.BUG_VIEW):
        return NONE
    if sees_private(user):
        return ALL
    return OWN if getattr(user, "is_authenticated", False) else PUBLIC


def bugs_rule(viewer: str, viewer_id: Any) -> ColumnElement[bool]:
    """The WHERE clause on ``Bug`` for a ``bug_viewer`` answer; ``viewer_id`` is the
    user's id or a bound parameter (statements built once use ``bindparam``)."""
    if viewer == ALL:
        return true()
    if viewer == OWN:
        return or_(Bug.is_private.is_(False), Bug.reporter_id == viewer_id)
    if viewer == PUBLIC:
        return Bug.is_private.is_(False)
    return false()


def visible_bugs_clause(user: Any) -> ColumnElement[bool]:
    """A WHERE clause on ``Bug`` selecting the bugs ``user`` may see."""
    return bugs_rule(bug_viewer(user), getattr(user, "id", None))


def can_see_bug(user: Any, bug: Bug | None) -> bool:
    """True when ``user`` may see ``bug`` at all (same rule as ``visible_bugs_clause``)."""
    if bug is None or not permissions.can(user, permissions.BUG_VIEW):
        return False
    if not bug.is_private or sees_private(user):
        return True
    return getattr(user, "is_authenticated", False) and bug.reporter_id == user.id


def visible_bug(user: Any, bug_id: int) -> Bug | None:
    """The bug ``bug_id`` if it exists and ``user`` may see it, else None (treat as 404)."""
    return db.session.scalar(_BUG_BY_ID[bug_viewer(user)],
                             {"bug_id": bug_id, "viewer_id": getattr(user, "id", None)})


# -- comments ---------------------------------------------------------------------
def visible_comments_clause(user: Any) -> ColumnElement[bool]:
    """WHERE clause on ``Comment``: comments that exist for ``user`` (counts, numbering).

    Combine with ``visible_bugs_clause`` when the query is not already limited to
    visible bugs.
    """
    return public_unless(Comment.is_private, sees_private(user))


def readable_comments_clause(user: Any) -> ColumnElement[bool]:
    """WHERE clause on ``Comment``: comments whose *text* ``user`` may read (full-text search)."""
    clause = visible_comments_clause(user)
    if permissions.can(user, permissions.COMMENT_HIDE):
        return clause
    return clause & Comment.is_hidden.is_(False)


def can_see_comment(user: Any, comment: Comment) -> bool:
    """True when ``comment`` exists for ``user`` (its bug must be checked separately)."""
    return not comment.is_private or sees_private(user)


def can_read_comment(user: Any, comment: Comment) -> bool:
    """True when ``user`` may read ``comment``'s text (hidden ones: only comment.hide)."""
    return can_see_comment(user, comment) and (
        not comment.is_hidden or permissions.can(user, permissions.COMMENT_HIDE))


# -- attachments ------------------------------------------------------------------
def visible_attachments_clause(user: Any) -> ColumnElement[bool]:
    """WHERE clause on ``Attachment``: the attachments that exist for ``user``."""
    return public_unless(Attachment.is_private, sees_private(user))


def can_see_attachment(user: Any, attachment: Attachment | None) -> bool:
    """True when ``user`` may see (and download) ``attachment``, its bug included."""
    if attachment is None:
        return False
    if attachment.is_private and not sees_private(user):
        return False
    return can_see_bug(user, db.session.get(Bug, attachment.bug_id))


# -- history ----------------------------------------------------------------------
def visible_history_clause(user: Any) -> ColumnElement[bool]:
    """WHERE clause on ``BugChange``: history rows ``user`` may see.

    Rows about private comments or attachments carry ``is_private``.
    """
    return public_unless(BugChange.is_private, sees_private(user))


# -- the one rule for private rows, and the bug lookup built once per kind of viewer ---
def public_unless(is_private: Any, sees_private_rows: bool) -> ColumnElement[bool]:
    """The one rule for private comments, attachments and history rows: the WHERE
    clause on their ``is_private`` column for a viewer who does (not) see private rows."""
    return true() if sees_private_rows else is_private.is_(False)


_BUG_BY_ID = {viewer: select(Bug).where(Bug.id == bindparam("bug_id"),
                                        bugs_rule(viewer, bindparam("viewer_id")))
              for viewer in VIEWERS}
