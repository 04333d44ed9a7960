"""REST API credentials: API keys (created, named and revoked by their owner) and the
login tokens of ``GET /rest/login``.

A key or token is a random secret shown once; only its SHA-256 is stored. It stands for
its user exactly: it stops working the moment the user is disabled (or the key is
revoked, the token logged out or expired), and it carries the user's role as it is now.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from bugzot.exceptions import Forbidden, NotFound, ServiceError
from bugzot.extensions import db
from bugzot.models import ApiKey, ApiToken, Role, User, utcnow
from bugzot.services import unit_of_work

NAME_MAX = 64
MAX_KEYS = 50  # per user
SECRET_MAX = 128  # longer credentials are not ours: refused without a lookup
# Writing last_used_at on every call would make each API read a write: once a minute is
# precise enough for "when was this key last used".
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def _active(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.id)


# -- keys -------------------------------------------------------------------------------
def create_key(user: User, name: str) -> tuple[ApiKey, str]:
    """A new key for ``user`` (only for themselves); returns the row and the secret,
    which is shown once and never again."""
    if not _active(user):
        raise Forbidden("Log in to create API keys.")
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Give the key a name (what will use it?).", "name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"Key names are at most {NAME_MAX} characters.", "name")
    live = db.session.scalar(select(db.func.count()).select_from(ApiKey).where(
        ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))) or 0
    if live >= MAX_KEYS:
        raise ServiceError(f"You can keep at most {MAX_KEYS} API keys; revoke one first.", "name")
    secret = secrets.token_urlsafe(30)
    with unit_of_work():
        key = ApiKey(user_id=user.id, name=name, key_hash=_digest(secret), prefix=secret[:6])
        db.session.add(key)
    return key, secret


def keys_of(user: User) -> list[ApiKey]:
    """``user``'s keys, newest first (revoked ones too, marked)."""
    return list(db.session.scalars(select(ApiKey).where(ApiKey.user_id == user.id)
                                   .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))


def revoke_key(user: User, key_id: int) -> ApiKey:
    """Revoke one of ``user``'s own keys; it stops working at once."""
    if not _active(user):
        raise Forbidden("Log in to revoke API keys.")
    key = db.session.get(ApiKey, key_id)
    if key is None or key.user_id != user.id:
        raise NotFound("There is no such API key.")
    if key.revoked_at is None:
        with unit_of_work():
            key.revoked_at = utcnow()
    return key


_KEY_USER = (select(ApiKey).where(ApiKey.key_hash == bindparam("digest"))
             .options(joinedload(ApiKey.user).joinedload(User.role).undefer(Role.permission_names)))


def user_for_key(secret: str | None) -> User | None:
    """The active user of a valid, unrevoked key (None otherwise); notes its use."""
    if not secret or len(secret) > SECRET_MAX:
        return None
    digest = _digest(secret)
    key = db.session.scalar(_KEY_USER, {"digest": digest})
    if key is None or not hmac.compare_digest(key.key_hash, digest) or key.revoked_at is not None:
        return None
    if not key.user.is_active:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
        with unit_of_work():
            key.last_used_at = now
    return key.user


# -- login tokens -----------------------------------------------------------------------
def new_token(user: User) -> str:
    """A login token for ``user`` (who just proved their password)."""
    if not _active(user):
        raise Forbidden("The account is disabled.")
    secret = f"{user.id}-{secrets.token_urlsafe(24)}"  # Bugzilla's tokens start with the id
    hours = current_app.config["API_TOKEN_HOURS"]
    with unit_of_work():
        db.session.add(ApiToken(user_id=user.id, token_hash=_digest(secret),
                                expires_at=utcnow() + timedelta(hours=hours)))
    return secret


_TOKEN_USER = (select(ApiToken).where(ApiToken.token_hash == bindparam("digest"))
               .options(joinedload(ApiToken.user).joinedload(User.role)
                        .undefer(Role.permission_names)))


def user_for_token(secret: str | None) -> User | None:
    """The active user of a valid, unexpired token, else None."""
    if not secret or len(secret) > SECRET_MAX:
        return None
    digest = _digest(secret)
    token = db.session.scalar(_TOKEN_USER, {"digest": digest})
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.expires_at <= utcnow() or not token.user.is_active:
        return None
    return token.user


def end_token(secret: str | None) -> None:
    """Log a token out (unknown tokens: nothing to do)."""
    if not secret or len(secret) > SECRET_MAX:
        return
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is not None:
        with unit_of_work():
            db.session.delete(token)
