"""Bug searches of the REST API (``GET /rest/bug?...``), in Bugzilla's vocabulary.

The filters the bug list also has go through the same ``filters.conditions`` (and the
same visibility rule); Bugzilla's extra criteria (bug ids, a summary substring, target
milestones, QA contacts, platforms, changed-since) are added here. Results come in id
order, a page at a time (``limit``/``offset``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.models import Bug, Milestone, User
from bugzot.search import filters, fts
from bugzot.search.params import WORD_RE, BugQuery


@dataclass(frozen=True)
class Criteria:
    """Parsed search criteria (empty tuples: no condition)."""

    ids: tuple[int, ...] = ()
    list_filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # as BugQuery.filters
    milestones: tuple[str, ...] = ()
    qa_contacts: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    op_syses: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()  # every word must appear in the summary (any case)
    comment_words: str = ""  # full-text search of the comments the caller may read
    changed_since: datetime | None = None


def _extra(c: Criteria) -> list[Any]:
    where: list[Any] = []
    if c.ids:
        where.append(Bug.id.in_(c.ids))
    if c.milestones:
        where.append(Bug.milestone_id.in_(sa.select(Milestone.id).where(
            Milestone.value.in_(c.milestones))))
    if c.qa_contacts:
        where.append(Bug.qa_contact_id.in_(sa.select(User.id).where(sa.or_(
            User.username.in_(c.qa_contacts), User.email.in_(c.qa_contacts)))))
    if c.platforms:
        where.append(Bug.platform.in_(c.platforms))
    if c.op_syses:
        where.append(Bug.op_sys.in_(c.op_syses))
    for word in c.summary:
        escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(sa.func.lower(Bug.summary).like(f"%{escaped}%", escape="\\"))
    if c.changed_since is not None:
        where.append(Bug.updated_at >= c.changed_since)
    return where


def find_ids(user: Any, c: Criteria, limit: int, offset: int = 0) -> list[int]:
    """Ids of the bugs ``user`` may see that match ``c``, in id order."""
    q = BugQuery(filters={"status": ("all",), **c.list_filters}, text=c.comment_words)
    stmt = sa.select(Bug.id).where(*filters.conditions(q, user), *_extra(c))
    if q.words:
        match = fts.matches(db.session.get_bind().dialect.name, user, q.words)
        stmt = stmt.join(match, match.c.bug_id == Bug.id)
    return list(db.session.scalars(stmt.order_by(Bug.id).limit(limit).offset(offset)))


def has_words(text: str) -> bool:
    """True when ``text`` has something a full-text search can match."""
    return bool(WORD_RE.search(text or ""))

