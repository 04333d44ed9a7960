"""Flask-Login wired to the server-side sessions of ``bugzot.services.sessions``.

``log_in`` starts a session row and hands its token to Flask-Login, which keeps it
in the session cookie (and, with "keep me logged in", in its signed remember-me
cookie). ``load_user`` finds the user by that token on every request. When the
remember-me cookie brings a browser back, ``_rotate_remember_token`` replaces the
token and re-sets both cookies. ``log_out`` deletes the row, so copies of either
cookie die with it. Every way of logging in (password, directory, SSO) should
call ``log_in``.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_login import current_user, login_user, logout_user, user_loaded_from_cookie

from bugzot.models import User, utcnow
from bugzot.services import sessions


def log_in(user: User, remember: bool = False) -> None:
    """Start a fresh session for ``user`` (nothing from before the login survives)."""
    sessions.start(user, remember, user_agent=request.user_agent.string or "",
                   address=request.remote_addr or "")
    session.clear()
    login_user(user, remember=remember)


def log_out() -> None:
    """End the current session on the server, then forget it in this browser."""
    if current_user.is_authenticated:
        sessions.end(current_user.login_token)
    logout_user()
    session.clear()
    session["_remember"] = "clear"  # Flask-Login deletes its remember-me cookie


def keep_logged_in(user: User) -> None:
    """After a change that ended all of ``user``'s sessions (password change): a new one
    for this browser, remembered if the old one was."""
    log_in(user, remember=bool(getattr(user, "login_session", None) and user.login_session.remember))


def load_user(identity: str) -> User | None:
    """Flask-Login's user loader: the user of the session token ``identity``."""
    user = sessions.load(identity)
    if user is not None and user.login_token != identity:
        session["_user_id"] = user.login_token  # a request that raced a token rotation
    return user


def _rotate_remember_token(app: Flask, user: User, **_: object) -> None:
    """The remember-me cookie logged ``user`` in: spend its token, set the successor."""
    if not user.login_session.remember:
        return
    if not user.login_replaced:  # (else a race with a request that already rotated it)
        session["_user_id"] = sessions.rotate(user)
    session["_remember"] = "set"
    # What login_user records, so "strong" session protection accepts the next request
    # (Flask-Login's cookie path leaves it out, which logged such browsers out again).
    session["_id"] = app.login_manager._session_identifier_generator()
    remaining = (user.login_session.expires_at - utcnow()).total_seconds()
    session["_remember_seconds"] = max(remaining, 0)


def init_app(app: Flask) -> None:
    """Rotate remember-me tokens of ``app`` on use."""
    user_loaded_from_cookie.connect(_rotate_remember_token, app)
