"""Reading accounts and roles: user lookups for forms, the admin users and roles lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from bugzot import permissions
from bugzot.exceptions import Forbidden
from bugzot.extensions import db
from bugzot.models import Role, User

USER_STATUSES = ("all", "active", "disabled")


# The logged-in user with their role and its grants, in one query built once.
_LOGGED_IN = select(User).where(User.id == bindparam("user_id")).options(
    joinedload(User.role).undefer(Role.permission_names))


def logged_in_user(user_id: int) -> User | None:
    """The user of a session with their role's grants loaded (one statement)."""
    return db.session.scalar(_LOGGED_IN, {"user_id": user_id})


def users_by_username(names: Iterable[str]) -> dict[str, User]:
    """The users called ``names`` (case-insensitive), keyed by lower-case username."""
    names = sorted({n.strip().lower() for n in names if n and n.strip()})
    if not names:
        return {}
    return {u.username: u for u in db.session.scalars(
        select(User).where(func.lower(User.username).in_(names)))}


def users_by_login(names: Iterable[str]) -> dict[str, User]:
    """The users whose username or email is among ``names`` (any case), keyed by the
    lower-cased name they were found by (the REST API names people by email)."""
    names = sorted({n.strip().lower() for n in names if n and n.strip()})
    if not names:
        return {}
    found = {}
    for user in db.session.scalars(select(User).where(
            or_(func.lower(User.username).in_(names), User.email.in_(names)))):
        for key in (user.username.lower(), user.email.lower()):
            if key in names:
                found[key] = user
    return found


def users_by_id(ids: Iterable[int]) -> dict[int, User]:
    """The users with these ids."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


PEOPLE_LIMIT = 10
_MAX_PREFIX = 64


def visible_people(viewer: Any, prefix: str, limit: int = PEOPLE_LIMIT) -> list[User]:
    """People ``viewer`` may pick for a bug's roles: active accounts whose username, or a
    word of whose real name, starts with ``prefix`` (any case), by username; at most
    ``limit`` (``PEOPLE_LIMIT``). Nobody for visitors, who cannot pick people, nor for
    an empty prefix. Email addresses are neither matched nor shown: the suggestions name
    people, they do not make a directory of addresses."""
    prefix = (prefix or "").strip().lower()[:_MAX_PREFIX]
    if not prefix or not getattr(viewer, "is_authenticated", False) \
            or not permissions.can(viewer, permissions.BUG_VIEW):
        return []
    start = _like(prefix)[1:]  # "abc%": starts with
    name = func.lower(User.real_name)
    return list(db.session.scalars(select(User).where(User.is_active, or_(
        User.username.like(start, escape="\\"), name.like(start, escape="\\"),
        name.like("% " + start, escape="\\"))).order_by(User.username)
        .limit(max(1, min(limit, PEOPLE_LIMIT)))))


def match_users(text: str, limit: int = 20) -> list[User]:
    """Active users whose username, email or real name contains ``text`` (any case)."""
    pattern = _like(text.strip().lower())
    return list(db.session.scalars(select(User).where(User.is_active, or_(
        User.username.like(pattern, escape="\\"), User.email.like(pattern, escape="\\"),
        func.lower(User.real_name).like(pattern, escape="\\"))).order_by(User.username)
        .limit(limit)))


def find_users(acting: Any, text: str = "", role_id: int | None = None, status: str = "all",
               page: int = 1, per_page: int = 50) -> tuple[list[User], int]:
    """Users matching ``text`` (username, email or real name), role and status, by
    username; one page and the total number of matches. Needs admin.users."""
    if not permissions.can(acting, permissions.ADMIN_USERS):
        raise Forbidden("You may not list user accounts.")
    query = select(User)
    text = text.strip().lower()
    if text:
        pattern = _like(text)
        query = query.where(or_(User.username.like(pattern, escape="\\"),
                                User.email.like(pattern, escape="\\"),
                                func.lower(User.real_name).like(pattern, escape="\\")))
    if role_id:
        query = query.where(User.role_id == role_id)
    if status in ("active", "disabled"):
        query = query.where(User.is_active == (status == "active"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(page, 1)
    users = db.session.scalars(
        query.order_by(User.username).limit(per_page).offset((page - 1) * per_page)).all()
    return list(users), total


def roles() -> list[Role]:
    """Every role, oldest first (the built-in ones lead)."""
    return list(db.session.scalars(select(Role).order_by(Role.id)))


def role_holders() -> dict[int, int]:
    """How many users hold each role, by role id."""
    return dict(db.session.execute(select(User.role_id, func.count()).group_by(User.role_id)).all())
