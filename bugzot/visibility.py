"""What a user may see of a bug, a comment or an attachment.

Every output (page, list, search, export, API, mail) asks these functions; no
other code decides visibility.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from bugzot import permissions
from bugzot.models import Bug


def sees_private(user: Any) -> bool:
    """True when ``user`` may see private bugs, comments and attachments."""
    return permissions.can(user, permissions.BUG_PRIVATE)


def visible_bugs_clause(user: Any) -> ColumnElement[bool]:
    """A WHERE clause on ``Bug`` selecting the bugs ``user`` may see."""
    if not permissions.can(user, permissions.BUG_VIEW):
        return false()
    if sees_private(user):
        return true()
    if getattr(user, "is_authenticated", False):
        return or_(Bug.is_private.is_(False), Bug.reporter_id == user.id)
    return Bug.is_private.is_(False)
