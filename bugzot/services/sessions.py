"""Login sessions kept on the server (``models.sessions.LoginSession``).

A login creates a row and hands back a random token; the session cookie and the
remember-me cookie carry the token (Flask-Login's identity), the database only its
SHA-256. Each request finds its user through the token in one query, so a row
deleted at logout, by "log out everywhere" or by a password change (which bumps
``users.session_version``) ends that session in every copy of its cookies.

A remember-me cookie that brings a browser back (its session cookie gone) is spent
at once: ``rotate`` replaces the token. The next token is an HMAC of the previous
one under the app's secret key, so two requests racing with the same old cookie
agree on its successor; the replaced token is honoured for ``ROTATION_GRACE`` (those
races), and coming back later means a copy of it is in someone else's hands, so
the session is ended.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import joinedload

from bugzot.exceptions import NotFound
from bugzot.extensions import db
from bugzot.models import Role, User, utcnow
from bugzot.models.sessions import LoginSession
from bugzot.services import unit_of_work
from bugzot.services.read import freshness

ROTATION_GRACE = timedelta(seconds=60)
LAST_SEEN_EVERY = timedelta(minutes=15)  # how stale "last active" may get (one UPDATE per)
MAX_TOKEN = 100

# The user of a session token, with their role and its grants, in one query built once.
_BY_TOKEN = (select(User, LoginSession).join(LoginSession, LoginSession.user_id == User.id)
             .where(LoginSession.token_hash == bindparam("token_hash"))
             .options(joinedload(User.role).undefer(Role.permission_names)))
# On PostgreSQL the same query also reads the freshness token's snapshot (one round trip
# less for a kept page: services/read/freshness.py).
_BY_TOKEN_PG = _BY_TOKEN.add_columns(freshness.SNAPSHOT)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _successor(token: str) -> str:
    """The token that replaces ``token`` when it is rotated (see the module docstring)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"bugzot-remember:" + token.encode("utf-8", "surrogateescape"),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _lifetime(remember: bool) -> timedelta:
    cfg = current_app.config
    value = cfg["REMEMBER_COOKIE_DURATION"] if remember else cfg["PERMANENT_SESSION_LIFETIME"]
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def _bind(user: User, login: LoginSession, token: str, replaced: bool = False) -> User:
    """Note on ``user`` the session it was loaded with; ``replaced``: through the token
    that its current ``token`` replaced (a request racing a rotation)."""
    user.login_token, user.login_session, user.login_replaced = token, login, replaced
    return user


def _valid(user: User, login: LoginSession, now: datetime) -> bool:
    return user.is_active and login.user_version == user.session_version and login.expires_at > now


def start(user: User, remember: bool = False, user_agent: str = "", address: str = "") -> str:
    """Start a login session for ``user``; returns its token (also ``user.login_token``)."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    login = LoginSession(user_id=user.id, token_hash=_hash(token), user_version=user.session_version,
                         remember=remember, created_at=now, last_seen_at=now,
                         expires_at=now + _lifetime(remember), user_agent=user_agent[:200],
                         address=address[:64])
    with unit_of_work():
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                                      LoginSession.expires_at <= now))
        db.session.add(login)
    _bind(user, login, token)
    return token


def load(token: str) -> User | None:
    """The active user whose live session has ``token``, or None."""
    if not token or len(token) > MAX_TOKEN:
        return None
    now = utcnow()
    postgres = (db.session.get_bind().dialect.name == "postgresql"
                and freshness.wants_snapshot(db.session))
    row = db.session.execute(_BY_TOKEN_PG if postgres else _BY_TOKEN,
                             {"token_hash": _hash(token)}).first()
    if row is None:
        return _replaced(token, now)
    user, login = row[0], row[1]
    if postgres:
        freshness.note_snapshot(db.session, row[2])
    if not _valid(user, login, now):
        return None
    if now - login.last_seen_at > LAST_SEEN_EVERY:
        with unit_of_work():
            db.session.execute(update(LoginSession).where(LoginSession.id == login.id)
                               .values(last_seen_at=now))
    return _bind(user, login, token)


def _replaced(token: str, now: datetime) -> User | None:
    """A rotated-away token: within the grace period its session (under the successor
    token); after it, a sign of a stolen cookie, so that session ends."""
    login = db.session.scalar(select(LoginSession).where(LoginSession.previous_hash == _hash(token)))
    if login is None:
        return None
    if login.rotated_at is not None and now - login.rotated_at <= ROTATION_GRACE:
        user = db.session.scalar(_BY_TOKEN, {"token_hash": login.token_hash})
        if user is None or not _valid(user, login, now):
            return None
        return _bind(user, login, _successor(token), replaced=True)
    current_app.logger.warning("replaced remember-me token of user %s used again: session ended",
                               login.user_id)
    with unit_of_work():
        db.session.delete(login)
    return None


def rotate(user: User) -> str:
    """Replace the token of the session ``user`` was loaded with (remember-me use)."""
    login, old = user.login_session, user.login_token
    new = _successor(old)
    with unit_of_work():
        db.session.execute(update(LoginSession).where(LoginSession.id == login.id).values(
            previous_hash=_hash(old), token_hash=_hash(new), rotated_at=utcnow()))
    user.login_token = new
    return new


def end(token: str | None) -> None:
    """End the session with ``token`` (logout)."""
    if token:
        with unit_of_work():
            db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _hash(token)))


def end_one(user: User, session_id: int) -> None:
    """End one of ``user``'s own sessions (the preferences page)."""
    with unit_of_work():
        done = db.session.execute(delete(LoginSession).where(
            LoginSession.id == session_id, LoginSession.user_id == user.id)).rowcount
        if not done:
            raise NotFound("There is no such session.")


def end_all(user: User) -> None:
    """End every session of ``user`` (log out everywhere; password change; disabling).
    Runs inside the caller's unit of work when there is one."""
    user.session_version += 1
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def log_out_everywhere(user: User) -> None:
    """End every session of ``user``, this one included."""
    with unit_of_work():
        end_all(user)


def live_sessions(user: User) -> list[LoginSession]:
    """``user``'s sessions that still work, most recently active first."""
    now = utcnow()
    return list(db.session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at > now,
                                   LoginSession.user_version == user.session_version)
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())))
