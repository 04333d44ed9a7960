"""Moderating comments: hiding and showing them again (recorded in the bug's history);
storing the HTML of comments written without it (``render_stored_html``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bugzot import markup, permissions, visibility
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


# The columns by name (not the model), so that migration 0015 can run this on the
# schema of its own time.
_TABLE = sa.table("comments", sa.column("id"), sa.column("bug_id"), sa.column("body"),
                  sa.column("body_html"), sa.column("body_html_version"))


def render_stored_html(conn: Connection, batch: int = 2000) -> int:
    """Store ``markup.stored_html`` for every comment whose stored HTML is missing or
    from another renderer version, in batches on ``conn`` (the caller's transaction:
    migration 0015, one that bumps ``markup.RENDER_VERSION``, or after a bulk seed).
    Returns how many comments it rendered."""
    t = _TABLE.c
    stale = sa.or_(t.body_html_version.is_(None), t.body_html_version != markup.RENDER_VERSION)
    update = (sa.update(_TABLE).where(t.id == sa.bindparam("cid"))
              .values(body_html=sa.bindparam("html"), body_html_version=markup.RENDER_VERSION))
    done, after = 0, 0
    while True:
        rows = conn.execute(sa.select(t.id, t.bug_id, t.body).where(stale, t.id > after)
                            .order_by(t.id).limit(batch)).all()
        if not rows:
            return done
        conn.execute(update, [{"cid": cid, "html": markup.stored_html(body, bug_id)}
                              for cid, bug_id, body in rows])
        done, after = done + len(rows), rows[-1][0]
