"""Search-related tables: saved searches.

The full-text index (``bug_search``) is not a model: its shape differs per
database (a tsvector table on PostgreSQL, an FTS5 virtual table on SQLite) and
only triggers write it; see migration 0003 and ``bugzot.search.fts``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bugzot.extensions import db
from bugzot.models.base import UTCDateTime, utcnow
from bugzot.models.users import User


class SavedSearch(db.Model):
    """A named bug list query of one user; ``is_shared`` shows it to every user."""

    __tablename__ = "saved_searches"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    # The canonical query string of /bugs (filters and sort, never a page cursor).
    query: Mapped[str] = mapped_column(Text)
    is_shared: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
