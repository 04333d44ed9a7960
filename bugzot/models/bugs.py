"""Bugs and what hangs off them: comments, attachments, CC, dependencies, history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import Grouping  # CREATE INDEX needs an expression in brackets

from bugzot.extensions import db
from bugzot.models.base import UTCDateTime, utcnow
from bugzot.models.products import Component, Milestone, Product, Version
from bugzot.models.users import User
from bugzot.workflow import PRIORITIES, SEVERITIES, STATUSES


class Bug(db.Model):
    """One bug report. ``revision`` grows by one with every saved change (mid-air check)."""

    __tablename__ = "bugs"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"), index=True)
    summary: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), index=True)
    resolution: Mapped[str | None] = mapped_column(String(20), index=True)
    severity: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[str] = mapped_column(String(8), index=True)
    platform: Mapped[str] = mapped_column(String(32), default="All")
    op_sys: Mapped[str] = mapped_column(String(32), default="All")
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    qa_contact_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    dup_of_id: Mapped[int | None] = mapped_column(ForeignKey("bugs.id"), index=True)
    # A private bug is seen only by its reporter and holders of bug.private.
    is_private: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    revision: Mapped[int] = mapped_column(default=1)

    product: Mapped[Product] = relationship()
    component: Mapped[Component] = relationship()
    version: Mapped[Version | None] = relationship()
    milestone: Mapped[Milestone | None] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    qa_contact: Mapped[User | None] = relationship(foreign_keys=[qa_contact_id])
    dup_of: Mapped[Bug | None] = relationship(remote_side=[id])

    __table_args__ = (
        # List pages sort by these with the id as tie-breaker (keyset pagination).
        Index("ix_bugs_product_status", "product_id", "status"),
        Index("ix_bugs_updated_id", "updated_at", "id"),
        # Lists sorted by product, component or assignee read each one's bugs in id order.
        Index("ix_bugs_product_id_id", "product_id", "id"),
        Index("ix_bugs_component_id_id", "component_id", "id"),
        Index("ix_bugs_assignee_id_id", "assignee_id", "id"),
    )
    # Optimistic locking: every UPDATE checks ``revision``, so two saves
    # racing from the same page cannot both win (the loser gets the mid-air page).
    # Services bump it explicitly (services.bugs.fields.bump), once per save.
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}


def workflow_order(column: Any, values: Sequence[str]) -> Any:
    """``column``'s position in ``values`` (workflow order, not alphabetical; unknown values
    last), with the values written into the SQL: an index on an expression serves only a
    query that writes the same expression, and a bound parameter never matches one (SQLite).
    The values are the workflow's constants, quoted here."""
    def quoted(value: str) -> Any:
        return literal_column("'" + value.replace("'", "''") + "'")
    return case(*((quoted(v), literal_column(str(i))) for i, v in enumerate(values)),
                value=column, else_=literal_column(str(len(values))))


# Sorting a list by status, severity or priority walks one of these in order (with the id as
# tie-breaker, for keyset pages) instead of sorting every matching bug: ~1 s at 1M bugs.
# Migration 0005 writes the same expressions; tests/test_lists.py checks that plans use them.
ORDERED_FIELDS = {"status": STATUSES, "severity": SEVERITIES, "priority": PRIORITIES}
# Open bugs have no resolution: they sort as "" (the '' inline, for the same reason).
RESOLUTION_ORDER = func.coalesce(Bug.resolution, literal_column("''"))
ORDER_INDEXES = (
    *(Index(f"ix_bugs_{field}_order", Grouping(workflow_order(getattr(Bug, field), values)), Bug.id)
      for field, values in ORDERED_FIELDS.items()),
    Index("ix_bugs_resolution_order", Grouping(RESOLUTION_ORDER), Bug.id),
)
Index("ix_bugs_summary_id", Bug.summary, Bug.id)


class Comment(db.Model):
    """A comment; number 0 is the bug's description. Never edited after posting."""

    __tablename__ = "comments"
    __table_args__ = (UniqueConstraint("bug_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bug_id: Mapped[int] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # The body as HTML, rendered when it was written by ``markup.stored_html`` version
    # ``body_html_version`` (NULL: rendered when shown; bulk seeds write none).
    body_html: Mapped[str | None] = mapped_column(Text)
    body_html_version: Mapped[int | None] = mapped_column()
    is_private: Mapped[bool] = mapped_column(default=False)
    # Hidden by an admin: shown as "hidden" to everyone but admins.
    is_hidden: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The bug's revision this comment was saved with (mid-air page: "new since you loaded").
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    # Set on the comment written when an attachment is added ("Created attachment 3").
    attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachments.id", ondelete="SET NULL"), index=True)

    author: Mapped[User] = relationship()
    attachment: Mapped[Attachment | None] = relationship(foreign_keys=[attachment_id])


class Attachment(db.Model):
    """File metadata; the bytes live in the attachment folder under ``storage_name``."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    bug_id: Mapped[int] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))  # for display and downloads only
    description: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # the stored file's name
    is_patch: Mapped[bool] = mapped_column(default=False)
    is_private: Mapped[bool] = mapped_column(default=False)
    is_obsolete: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploader: Mapped[User] = relationship()


class BugCC(db.Model):
    """A user on a bug's CC list (they will be notified of changes)."""

    __tablename__ = "bug_cc"

    bug_id: Mapped[int] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    user: Mapped[User] = relationship()


class Dependency(db.Model):
    """``blocked_id`` depends on ``dependson_id`` (the latter blocks the former)."""

    __tablename__ = "dependencies"

    blocked_id: Mapped[int] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"), primary_key=True)
    dependson_id: Mapped[int] = mapped_column(
        ForeignKey("bugs.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class BugChange(db.Model):
    """One changed field of one bug (Trac's ticket_change, Bugzilla's bugs_activity).

    ``is_private`` marks rows about private comments/attachments so history shows
    them only to users who may see those.
    """

    __tablename__ = "bug_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    bug_id: Mapped[int] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    is_private: Mapped[bool] = mapped_column(default=False)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"))
    # The bug's revision this change produced (mid-air page: "changed since you loaded").
    revision: Mapped[int] = mapped_column(default=1, server_default="1")

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_bug_changes_bug_revision", "bug_id", "revision"),)
