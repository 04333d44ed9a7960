"""Login sessions: one row per browser a user logged in with.

The session cookie (and the remember-me cookie) carries a random token; only its
SHA-256 is stored here. Logging out deletes the row, so a copied cookie stops
working at once; "log out everywhere" deletes them all. A remember-me token is
replaced each time it brings a browser back (``previous_hash`` recognises the
replaced one for a short grace period, then treats it as stolen).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bugzot.extensions import db
from bugzot.models.base import UTCDateTime, utcnow
from bugzot.models.users import User


class LoginSession(db.Model):
    """A logged-in browser of ``user`` (see the module docstring)."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token this one replaced (remember-me rotation) and when.
    previous_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # users.session_version when the session started: bumping it ends every session.
    user_version: Mapped[int] = mapped_column()
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship()
