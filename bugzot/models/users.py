"""Accounts: users, roles with their permission grants, and emailed keys."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from bugzot.extensions import db
from bugzot.models.base import UTCDateTime, utcnow


class Role(db.Model):
    """A named set of permissions (Reporter, Employee, Supervisor, Admin, ...)."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Built-in roles cannot be deleted (the code relies on them existing).
    is_builtin: Mapped[bool] = mapped_column(default=False)

    grants: Mapped[list[RolePermission]] = relationship(
        back_populates="role", cascade="all, delete-orphan"
    )
    # Role.permission_names (set below RolePermission): the grants as one
    # space-separated string, loaded with the logged-in user's role, so that the user
    # costs one query per request.

    @property
    def permissions(self) -> frozenset[str]:
        """The names of the permissions this role holds."""
        if "grants" in self.__dict__:  # loaded, maybe edited and not yet flushed
            return frozenset(g.permission for g in self.grants)
        return frozenset((self.permission_names or "").split())

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


class RolePermission(db.Model):
    """One permission granted to one role (grants are data an admin can edit)."""

    __tablename__ = "role_permissions"

    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    permission: Mapped[str] = mapped_column(String(64), primary_key=True)

    role: Mapped[Role] = relationship(back_populates="grants")


Role.permission_names = column_property(
    select(func.aggregate_strings(RolePermission.permission, " "))
    .where(RolePermission.role_id == Role.id)
    .correlate_except(RolePermission)
    .scalar_subquery(),
    deferred=True,  # users shown on a page need no grants; load_user undefers it
)


class User(UserMixin, db.Model):
    """A person who logs in. Username and email are stored lower-case."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    real_name: Mapped[str] = mapped_column(String(128), default="")
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=False, index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change / logout-everywhere: old session cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    # Who vouches for the login: BugZot's own password ("local"), the company
    # directory ("directory", services/directory.py) or Apache's single sign-on ("sso").
    account_source: Mapped[str] = mapped_column(String(16), default="local", server_default="local")
    # Set when an admin disables the account (or creates it disabled); cleared when one
    # enables it. An inactive account without it is waiting for its activation link.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Browser preferences (bugzot.timefmt, the list's column chooser): "" = not chosen.
    time_zone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    list_columns: Mapped[str] = mapped_column(String(255), default="", server_default="")

    # Loaded on access (a few roles, found in the identity map after the first);
    # the logged-in user's comes with it (views.accounts.load_user).
    role: Mapped[Role] = relationship()

    # The login session this object was loaded with or started (services.sessions);
    # not columns.
    login_token = None
    login_session = None
    login_replaced = False

    def get_id(self) -> str:
        """Flask-Login's session identifier: the token of this user's login session."""
        if self.login_token is None:
            raise RuntimeError("Start a login session first: bugzot.security.logins.log_in(user).")
        return self.login_token

    def __eq__(self, other: object) -> bool:
        """The same account (Flask-Login's mixin compares ``get_id()``, a session token)."""
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    __hash__ = UserMixin.__hash__  # object's: one object per account in a session

    @property
    def display_name(self) -> str:
        """Real name when given, else the username."""
        return self.real_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ActivationKey(db.Model):
    """A single-use emailed key: account activation, password reset or email change.

    Only the SHA-256 of the key is stored, so a database dump cannot be used to
    take over accounts.
    """

    __tablename__ = "activation_keys"

    KIND_ACTIVATE = "activate"
    KIND_RESET = "reset"
    KIND_EMAIL = "email"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_activation_keys_user_kind", "user_id", "kind"),)
