"""Accounts: creating users, logging in, activation, password reset, email change.

Answers that reach an anonymous visitor never reveal whether an account exists:
registration, resend and reset behave the same for known and unknown addresses,
and the mail (not the page) tells the owner what happened. They also cost the same:
registration hashes the password on every path, and reset and resend make a key on
every path (timing must not tell either).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app, url_for
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from bugzot import permissions
from bugzot.exceptions import Forbidden, ServiceError
from bugzot.extensions import db
from bugzot.models import ActivationKey, Role, User, utcnow
from bugzot.services import external, sessions, unit_of_work
from bugzot.services.account_state import account_disabled, account_enabled, is_disabled
from bugzot.services.identity import EMAIL_RE, USERNAME_RE
from bugzot.services.outbox import link, queue_mail
from bugzot.services.passwords import hash_password, needs_rehash, password_problem, verify_password
from bugzot.services.roles import role_by_name


# -- lookups ------------------------------------------------------------------
def find_by_login(login: str) -> User | None:
    """The user whose username or email is ``login`` (case-insensitive)."""
    login = login.strip().lower()
    if not login:
        return None
    return db.session.scalar(select(User).where(or_(User.username == login, User.email == login)))


def _check_new_identity(username: str, email: str) -> None:
    if not USERNAME_RE.match(username):
        raise ServiceError(
            "Usernames are 2-64 characters: letters, digits, '.', '_' or '-', starting "
            "with a letter or digit.", "username")
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ServiceError("Enter a valid email address.", "email")


# -- creating accounts ----------------------------------------------------------
def create_user(
    acting: Any,
    username: str,
    email: str,
    password: str,
    real_name: str = "",
    role_name: str = permissions.DEFAULT_ROLE,
    active: bool = True,
) -> User:
    """Create an account as ``acting`` (an admin page, or ``permissions.SYSTEM`` for the
    CLI): needs admin.users, and no role beyond the acting user's own rights.
    Duplicate names, and a concurrent duplicate, are a ServiceError."""
    permissions.check(acting, permissions.ADMIN_USERS, "You may not create accounts.")
    username, email, real_name = username.strip().lower(), email.strip().lower(), real_name.strip()
    _check_new_identity(username, email)
    problem = password_problem(password, username, email, real_name)
    if problem:
        raise ServiceError(problem, "password")
    if len(real_name) > 128:
        raise ServiceError("Real names are at most 128 characters.", "real_name")
    role = role_by_name(role_name)
    _check_may_assign(role, acting)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise ServiceError(f"The username {username!r} is taken.", "username")
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise ServiceError(f"The email address {email!r} already has an account.", "email")
    try:
        with unit_of_work():
            user = User(username=username, email=email, password_hash=hash_password(password),
                        real_name=real_name, role=role, is_active=active,
                        disabled_at=None if active else utcnow())  # created disabled
            db.session.add(user)
    except IntegrityError as exc:
        raise ServiceError("That username or email address was just taken; try another.",
                           "username") from exc
    return user


def register(username: str, email: str, password: str, real_name: str = "") -> None:
    """Self-registration: an inactive account plus an emailed activation link.

    If the username or address is taken, nothing is created and the *address*
    gets a mail saying so; the page answers the same either way.
    """
    username, email = username.strip().lower(), email.strip().lower()
    _check_new_identity(username, email)
    problem = password_problem(password, username, email, real_name)
    if problem:
        raise ServiceError(problem, "password")
    password_hash = hash_password(password)  # on every path: the ~200 ms must not tell
    site = current_app.config["BASE_URL"]
    owner = db.session.scalar(select(User).where(User.email == email))
    if owner is not None:
        with unit_of_work():
            queue_mail(email, "BugZot: someone tried to register with your address",
                       f"Somebody tried to create a BugZot account at {site} with this address,\n"
                       f"which already has the account {owner.username!r}.\n\n"
                       f"If that was you, log in at {link(url_for('accounts.login'))}\n"
                       f"or reset your password at {link(url_for('accounts.reset_request'))}.\n")
        return
    if db.session.scalar(select(User.id).where(User.username == username)):
        with unit_of_work():
            queue_mail(email, "BugZot: that username is taken",
                       f"Somebody tried to create a BugZot account at {site} with this address\n"
                       f"and the username {username!r}, which is already taken. Register again\n"
                       f"with another username: {link(url_for('accounts.register'))}\n")
        return
    role = role_by_name(permissions.DEFAULT_ROLE)
    with unit_of_work():
        user = User(username=username, email=email, password_hash=password_hash,
                    real_name=real_name.strip()[:128], role=role, is_active=False)
        db.session.add(user)
        key = _new_key(user, ActivationKey.KIND_ACTIVATE, current_app.config["ACTIVATION_KEY_HOURS"])
        _mail_activation(user, key)


def _mail_activation(user: User, key: str) -> None:
    """Queue the activation mail (inside the caller's unit of work)."""
    hours = current_app.config["ACTIVATION_KEY_HOURS"]
    queue_mail(user.email, "BugZot: activate your account",
              f"Hello {user.display_name},\n\nopen this link within {hours} hours to activate "
              f"your BugZot account {user.username!r}:\n\n"
              f"{link(url_for('accounts.activate', key=key))}\n\n"
              "If you did not register, ignore this message.\n")


def resend_activation(login: str) -> None:
    """Mail a fresh activation link to an account waiting for activation; silent for
    anything else (unknown, active, or disabled by an admin)."""
    user = find_by_login(login)
    waiting = (user is not None and not user.is_active and not is_disabled(user)
               and user.last_login_at is None)
    with unit_of_work():
        # The same work whether or not there is an account to mail (timing tells nothing).
        key = _new_key(user if waiting else None, ActivationKey.KIND_ACTIVATE,
                       current_app.config["ACTIVATION_KEY_HOURS"])
        if waiting:
            _mail_activation(user, key)


def activate(key: str) -> User:
    """Activate the account the key belongs to; the key is then spent. An account an
    admin disabled stays disabled."""
    with unit_of_work():
        record = _take_key(key, ActivationKey.KIND_ACTIVATE)
        if is_disabled(record.user):
            raise ServiceError("This account was disabled by an administrator; ask them to "
                               "enable it.", "key")
        record.user.is_active = True
    return record.user


# -- keys ---------------------------------------------------------------------
def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def _new_key(user: User | None, kind: str, hours: float, new_email: str | None = None) -> str:
    """Add a key row for ``user`` (inside the caller's unit of work); return the secret.
    With no user (an unknown or ineligible account), the same work without the rows."""
    # Older unused keys of the same kind stop working: only the newest link counts.
    for old in db.session.scalars(
        select(ActivationKey).where(ActivationKey.user_id == (user.id if user else -1),
                                    ActivationKey.kind == kind, ActivationKey.used_at.is_(None))
    ):
        old.used_at = utcnow()
    key = secrets.token_urlsafe(32)
    record = ActivationKey(user=user, kind=kind, key_hash=_hash_key(key), new_email=new_email,
                           expires_at=utcnow() + timedelta(hours=hours))
    if user is not None:
        db.session.add(record)
    return key


def find_key(key: str, kind: str) -> ActivationKey | None:
    """The unused, unexpired key row for ``key`` of ``kind``, or None."""
    if not key or len(key) > 128:
        return None
    digest = _hash_key(key)
    record = db.session.scalar(select(ActivationKey).where(ActivationKey.key_hash == digest))
    if record is None or not hmac.compare_digest(record.key_hash, digest):
        return None
    if record.kind != kind or record.used_at is not None or record.expires_at <= utcnow():
        return None
    return record


def _take_key(key: str, kind: str) -> ActivationKey:
    """Mark the key used (inside the caller's unit of work) or refuse it."""
    record = find_key(key, kind)
    if record is None:
        raise ServiceError("This link is invalid, was already used, or has expired.", "key")
    record.used_at = utcnow()
    return record


# -- login --------------------------------------------------------------------
def authenticate(login: str, password: str) -> User | None:
    """The active user with this username/email and password, else None.

    Unknown logins cost as much time as wrong passwords. ServiceError when the
    company directory that would check the password cannot be asked.
    """
    user = find_by_login(login)
    # Step 1: BugZot's own password, for local accounts that LOCAL_LOGIN lets in.
    if (user is None or user.account_source == "local") and external.may_log_in_locally(user):
        ok = verify_password(user.password_hash if user else None, password)
        if user is not None:
            return _local_login(user, password) if ok else None
    # Step 2: the company directory (services/external.py), when DIRECTORY_URL is set.
    return external.directory_login(login, password)


def _local_login(user: User, password: str) -> User | None:
    if not user.is_active:
        return None
    with unit_of_work():
        user.last_login_at = utcnow()
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
    return user


# -- password reset -------------------------------------------------------------
def request_password_reset(login: str) -> None:
    """Mail a reset link to an active account; silent for unknown ones."""
    user = find_by_login(login)
    eligible = user is not None and user.is_active and user.account_source == "local"
    hours = current_app.config["RESET_KEY_HOURS"]
    with unit_of_work():
        # A key is made on every path, written and mailed only for a real local account.
        key = _new_key(user if eligible else None, ActivationKey.KIND_RESET, hours)
        if user is not None and user.is_active and user.account_source != "local":
            queue_mail(user.email, "BugZot: your password is your company account's",
                       f"Somebody asked to reset the password of the BugZot account {user.username!r}.\n"
                       "You log in to BugZot with your company (directory) account, so BugZot has no\n"
                       "password of its own to reset: change it the way your company changes "
                       "passwords.\n")
        if eligible:
            queue_mail(user.email, "BugZot: reset your password",
                       f"Hello {user.display_name},\n\nsomebody asked to reset the password of the "
                       f"BugZot account {user.username!r}. Open this link within {hours:g} hours to "
                       "choose a new one:\n\n"
                       f"{link(url_for('accounts.reset_password', key=key))}\n\n"
                       "If it was not you, ignore this message; your password stays as it is.\n")


def reset_password(key: str, new_password: str) -> User:
    """Set a new password with a reset key; logs out every other session."""
    record = find_key(key, ActivationKey.KIND_RESET)
    owner = record.user if record is not None else None
    problem = password_problem(new_password, *((owner.username, owner.email) if owner else ()))
    if problem:
        raise ServiceError(problem, "password")
    with unit_of_work():
        record = _take_key(key, ActivationKey.KIND_RESET)
        user = record.user
        user.password_hash = hash_password(new_password)
        sessions.end_all(user)
    return user


# -- preferences ----------------------------------------------------------------
def update_profile(user: User, real_name: str) -> None:
    """Change the user's real name."""
    real_name = real_name.strip()
    if len(real_name) > 128:
        raise ServiceError("Real names are at most 128 characters.", "real_name")
    with unit_of_work():
        user.real_name = real_name


def change_password(user: User, current: str, new: str) -> None:
    """Change the password after checking the current one; other sessions end."""
    _local_only(user, "current_password")
    if not verify_password(user.password_hash, current):
        raise ServiceError("The current password is wrong.", "current_password")
    problem = password_problem(new, user.username, user.email, user.real_name)
    if problem:
        raise ServiceError(problem, "new_password")
    with unit_of_work():
        user.password_hash = hash_password(new)
        sessions.end_all(user)


def _local_only(user: User, field: str) -> None:
    """Password and address of directory and SSO accounts belong to the directory."""
    if user.account_source != "local":
        raise ServiceError("Your password and address come from your company account: change "
                           "them there; BugZot follows at your next login.", field)


def request_email_change(user: User, new_email: str, password: str) -> None:
    """Mail a confirmation link to the new address; the change waits for it."""
    new_email = new_email.strip().lower()
    _local_only(user, "email")
    if not verify_password(user.password_hash, password):
        raise ServiceError("The password is wrong.", "password")
    if len(new_email) > 254 or not EMAIL_RE.match(new_email):
        raise ServiceError("Enter a valid email address.", "email")
    if new_email == user.email:
        raise ServiceError("That is already your address.", "email")
    if db.session.scalar(select(User.id).where(User.email == new_email)):
        with unit_of_work():
            queue_mail(new_email, "BugZot: address already in use",
                       "Somebody asked to move a BugZot account to this address, which already "
                       "belongs to another account. Nothing was changed.\n")
        return
    with unit_of_work():
        key = _new_key(user, ActivationKey.KIND_EMAIL, current_app.config["ACTIVATION_KEY_HOURS"],
                       new_email=new_email)
        queue_mail(new_email, "BugZot: confirm your new address",
                   f"Hello {user.display_name},\n\nopen this link to make {new_email} the address of the "
                   f"BugZot account {user.username!r}:\n\n"
                   f"{link(url_for('accounts.confirm_email', key=key))}\n")
        queue_mail(user.email, "BugZot: address change requested",
                   f"Somebody asked to change the address of your account to {new_email}. If it was "
                   "not you, change your password now.\n")


def confirm_email_change(key: str) -> User:
    """Apply a pending email change."""
    with unit_of_work():
        record = _take_key(key, ActivationKey.KIND_EMAIL)
        taken = db.session.scalar(select(User.id).where(User.email == record.new_email))
        if taken:
            raise ServiceError("That address now belongs to another account.", "email")
        record.user.email = record.new_email
    return record.user


# -- administration -------------------------------------------------------------
def admin_update_user(acting: Any, user: User, *, role: Role, is_active: bool,
                      real_name: str) -> None:
    """Change a user's role, active flag and real name (the admin users page). Needs
    admin.users; nobody may change an account holding rights they lack, or hand out
    such a role, or change their own role or flag."""
    permissions.check(acting, permissions.ADMIN_USERS, "You may not manage user accounts.")
    if user.id == acting.id and (not is_active or role.id != user.role_id):
        raise ServiceError("You cannot disable yourself or change your own role.", "role")
    beyond = user.role.permissions - permissions.granted(acting)
    if beyond:
        raise Forbidden(f"You cannot change {user.username}: the account holds permissions "
                        f"you do not have ({', '.join(sorted(beyond))}).", "role")
    if role.id != user.role_id:
        _check_may_assign(role, acting)
    if len(real_name.strip()) > 128:
        raise ServiceError("Real names are at most 128 characters.", "real_name")
    with unit_of_work():
        if user.is_active and not is_active:
            account_disabled(user)  # logs out everywhere, spends its emailed keys
        elif is_active and not user.is_active:
            account_enabled(user)
        user.role = role
        user.is_active = is_active
        user.real_name = real_name.strip()


def _check_may_assign(role: Role, acting: Any) -> None:
    """Refuse handing out a role with permissions ``acting`` lacks: managing users
    must not be a back door to more rights than one has."""
    beyond = role.permissions - permissions.granted(acting)
    if beyond:
        raise Forbidden(f"You cannot give the role {role.name!r}: it holds permissions you "
                        f"do not have ({', '.join(sorted(beyond))}).", "role")
