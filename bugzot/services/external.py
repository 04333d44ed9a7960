"""Accounts another system vouches for: the company directory and Apache's single sign-on.

- ``directory_login(login, password)``: the second step of ``accounts.authenticate``,
  for logins BugZot holds no password for; the directory checks the password.
- ``sso_login(username)``: Apache has authenticated ``username`` (services/sso.py
  decided it counts); the account is found, or created from the directory (or with
  REMOTE_USER_EMAIL_DOMAIN).

On every such login the account follows the directory: real name, mail and, when
DIRECTORY_GROUP_ROLES is set, role. A local account with the same username is taken
over only when the directory gives it the same mail address (the same person);
otherwise the login is refused with a message, never merged.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bugzot import permissions
from bugzot.exceptions import NotFound, ServiceError
from bugzot.extensions import db
from bugzot.models import Role, User, utcnow
from bugzot.services import unit_of_work
from bugzot.services.directory import Directory, DirectoryError, DirectoryUnavailable, Entry, enabled
from bugzot.services.identity import EMAIL_RE, USERNAME_RE
from bugzot.services.roles import role_by_name

# Not an argon2 hash, so no password ever matches it: the directory checks passwords.
NO_LOCAL_PASSWORD = "!external"
LOCAL_LOGIN_MODES = ("all", "admins", "none")
DIRECTORY_DOWN = ("The company directory cannot be reached right now, so directory accounts "
                  "cannot log in; try again in a few minutes. Accounts with a BugZot password "
                  "still can.")


def config_problem(cfg) -> str | None:
    """Why the sign-in settings cannot work (the factory refuses to start), or None."""
    if cfg["LOCAL_LOGIN"] not in LOCAL_LOGIN_MODES:
        return f"LOCAL_LOGIN must be one of {', '.join(LOCAL_LOGIN_MODES)}, not {cfg['LOCAL_LOGIN']!r}."
    if cfg["LOCAL_LOGIN"] != "all":
        cfg["ALLOW_REGISTRATION"] = False  # self-registered accounts could not log in
    try:
        if enabled(cfg):
            Directory.from_config(cfg)
    except DirectoryError as exc:
        return str(exc)
    return None


def may_log_in_locally(user: User | None) -> bool:
    """LOCAL_LOGIN: may ``user`` (None: an unknown login) use a BugZot password?"""
    mode = current_app.config["LOCAL_LOGIN"]
    if mode == "none":
        return False
    return mode == "all" or user is None or permissions.can(user, permissions.ADMIN_USERS)


def _directory() -> Directory | None:
    return Directory.from_config(current_app.config) if enabled(current_app.config) else None


def _unavailable(exc: DirectoryUnavailable) -> ServiceError:
    current_app.logger.error("company directory unavailable: %s", exc)
    return ServiceError(DIRECTORY_DOWN, "login", status=503)


def directory_login(login: str, password: str) -> User | None:
    """The account of the directory user ``login`` if ``password`` is theirs, else None.

    None too when no directory is configured. ServiceError when the directory is down
    or the entry cannot become an account (no mail, no allowed group, a clash).
    """
    directory = _directory()
    if directory is None:
        return None
    try:
        entry = directory.authenticate(login, password)
    except DirectoryUnavailable as exc:
        raise _unavailable(exc) from None
    if entry is None:
        return None
    user = _account_for(entry, directory, "directory")
    if not user.is_active:
        return None  # disabled in BugZot by an admin: the directory does not overrule that
    return user


def sso_login(username: str) -> User:
    """The account Apache's ``username`` maps to; ServiceError with the reason if none."""
    user = db.session.scalar(select(User).where(User.username == username))
    directory = _directory()
    if directory is not None and (user is None or user.account_source != "local"):
        try:
            entry = directory.lookup(username)
        except DirectoryUnavailable as exc:
            if user is None:
                raise _unavailable(exc) from None
            entry = None  # a known account still signs in; its details follow next time
            current_app.logger.warning("SSO login of %s without a directory update: %s", username, exc)
        else:
            if entry is None:
                raise ServiceError(f"You are signed in to the intranet as {username!r}, but the "
                                   "company directory has no such (enabled) user.", status=403)
        if entry is not None:
            user = _account_for(entry, directory, "sso")
    if user is None:
        user = _create_from_name(username)
    if not user.is_active:
        raise ServiceError(f"The BugZot account {username!r} is disabled.", status=403)
    with unit_of_work():
        user.last_login_at = utcnow()
    return user


def _create_from_name(username: str) -> User:
    """A new SSO account with the mail <username>@REMOTE_USER_EMAIL_DOMAIN, if configured."""
    domain = current_app.config["REMOTE_USER_EMAIL_DOMAIN"]
    if not domain:
        raise ServiceError(f"You are signed in to the intranet as {username!r}, but BugZot has no "
                           "account by that name. Ask a BugZot administrator to create it.", status=403)
    email = f"{username}@{domain}".lower()
    _check_free(None, username, email)
    with unit_of_work():
        user = User(username=username, email=email, password_hash=NO_LOCAL_PASSWORD,
                    role=role_by_name(permissions.DEFAULT_ROLE), is_active=True,
                    account_source="sso")
        db.session.add(user)
    return user


def _check_free(user: User | None, username: str, email: str) -> None:
    """Refuse a mail address that another account than ``user`` already has."""
    owner = db.session.scalar(select(User).where(User.email == email))
    if owner is not None and owner is not user:
        raise ServiceError(f"The address {email} of {username!r} already belongs to the BugZot "
                           f"account {owner.username!r}; ask an administrator to sort it out.",
                           "login", status=409)


def _account_for(entry: Entry, directory: Directory, source: str) -> User:
    """Create or update the account of ``entry`` (one unit of work)."""
    if not USERNAME_RE.match(entry.username):
        raise ServiceError(f"The directory username {entry.username!r} cannot be a BugZot "
                           "username (2-64 letters, digits, '.', '_' or '-').", "login")
    if not entry.email or not EMAIL_RE.match(entry.email):
        raise ServiceError("Your directory entry has no valid email address, which BugZot needs; "
                           "ask your IT department to add one.", "login")
    role_name = directory.role_for(entry)
    if role_name is None:
        raise ServiceError("Your directory account is not in a group that may use BugZot.",
                           "login", status=403)
    try:
        role = role_by_name(role_name)
    except NotFound:
        current_app.logger.error("DIRECTORY_GROUP_ROLES/DIRECTORY_DEFAULT_ROLE name the missing "
                                 "role %r", role_name)
        raise ServiceError(f"BugZot's directory settings name the role {role_name!r}, which does "
                           "not exist; tell a BugZot administrator.", "login") from None
    user = db.session.scalar(select(User).where(User.username == entry.username))
    if user is not None and user.account_source == "local" and user.email != entry.email:
        raise ServiceError(f"BugZot already has a local account {entry.username!r} with another "
                           "address than the directory's; ask an administrator to sort it out.",
                           "login", status=409)
    _check_free(user, entry.username, entry.email)
    try:
        return _save(user, entry, role, source, update_role=bool(directory.group_roles))
    except IntegrityError:  # the same person's first login, twice at once
        raise ServiceError("Your account is being set up by another login; try again.", "login",
                           status=409) from None


def _save(user: User | None, entry: Entry, role: Role, source: str, update_role: bool) -> User:
    with unit_of_work():
        if user is None:
            user = User(username=entry.username, role=role, is_active=True, account_source=source)
            db.session.add(user)
        elif update_role:
            user.role = role  # the directory's groups decide, at every login
        if user.account_source == "local":  # same name, same address: the same person
            user.account_source = source
        user.password_hash = NO_LOCAL_PASSWORD
        user.email, user.real_name = entry.email, entry.real_name[:128]
        user.last_login_at = utcnow()
    return user
