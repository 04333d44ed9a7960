"""Permissions: their names, the default grants per role, and the checks.

``can(user, permission, obj=None)`` and the ``@require`` view decorator are the
only way code asks "may this user do that?". Grants are rows in
``role_permissions`` (admins edit them in the UI); ``DEFAULT_GRANTS`` seeds them in a new
database, and a data migration (``bugzot.migrations.grants.grant``, one line) gives a new
permission to the built-in roles of existing ones.
Object-level rules (e.g. "reporters may edit their own bugs") are registered with
``object_rule`` by the module that owns the object.

What a user's role grants is worked out once per request (a page asks ``can`` dozens of
times): the memo lives in the request's WSGI environ, so a grant or role change counts
from the next request on, and nothing outlives the request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, has_request_context, request
from flask_login import current_user

from bugzot.exceptions import Forbidden

# -- Permission names -------------------------------------------------------
BUG_VIEW = "bug.view"  # browse bugs at all (anonymous only via ALLOW_ANONYMOUS_BROWSE)
BUG_CREATE = "bug.create"  # file bugs
BUG_COMMENT = "bug.comment"  # add comments
BUG_ATTACH = "bug.attach"  # add attachments
BUG_EDIT_OWN = "bug.edit_own"  # edit basic fields of bugs one reported
BUG_EDIT = "bug.edit"  # edit any bug's fields
BUG_STATUS = "bug.status"  # change status of any bug
BUG_CONFIRM = "bug.confirm"  # confirm bugs (UNCONFIRMED -> NEW); filed bugs start confirmed
BUG_ASSIGN = "bug.assign"  # change assignee / QA contact
BUG_CC_OTHERS = "bug.cc_others"  # add other people to CC
BUG_PRIVATE = "bug.private"  # see and write private comments and attachments
COMMENT_HIDE = "comment.hide"  # hide a comment (recorded in history)
PRODUCT_MANAGE = "product.manage"  # components, versions, milestones of products
ADMIN_PRODUCTS = "admin.products"  # classifications and products
ADMIN_USERS = "admin.users"  # activate, disable, change role
ADMIN_ROLES = "admin.roles"  # edit roles and their grants
ADMIN_NOTIFICATIONS = "admin.notifications"  # failed mail (retry, discard) and webhooks

DESCRIPTIONS: dict[str, str] = {
    BUG_VIEW: "Browse and read bugs",
    BUG_CREATE: "File new bugs",
    BUG_COMMENT: "Comment on bugs",
    BUG_ATTACH: "Attach files to bugs",
    BUG_EDIT_OWN: "Edit basic fields of bugs they reported",
    BUG_EDIT: "Edit the fields of any bug",
    BUG_STATUS: "Change the status of any bug",
    BUG_CONFIRM: "Confirm new bugs (UNCONFIRMED to NEW)",
    BUG_ASSIGN: "Assign bugs and set QA contacts",
    BUG_CC_OTHERS: "Add other users to a bug's CC list",
    BUG_PRIVATE: "See and write private comments and attachments",
    COMMENT_HIDE: "Hide comments",
    PRODUCT_MANAGE: "Manage components, versions and milestones",
    ADMIN_PRODUCTS: "Manage classifications and products",
    ADMIN_USERS: "Manage user accounts",
    ADMIN_ROLES: "Manage roles and permission grants",
    ADMIN_NOTIFICATIONS: "Manage failed mail and webhooks",
}
ALL_PERMISSIONS: tuple[str, ...] = tuple(DESCRIPTIONS)

REPORTER, EMPLOYEE, SUPERVISOR, ADMIN = "Reporter", "Employee", "Supervisor", "Admin"

_REPORTER = (BUG_VIEW, BUG_CREATE, BUG_COMMENT, BUG_ATTACH, BUG_EDIT_OWN)
_EMPLOYEE = _REPORTER + (BUG_EDIT, BUG_STATUS, BUG_CONFIRM, BUG_ASSIGN, BUG_CC_OTHERS, BUG_PRIVATE)
_SUPERVISOR = _EMPLOYEE + (PRODUCT_MANAGE,)

# role name -> (description, granted permissions), in display order.
DEFAULT_GRANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    REPORTER: ("Files bugs, comments, attaches, edits own bugs' basic fields", _REPORTER),
    EMPLOYEE: ("Reporter, plus private comments, status changes and assigning", _EMPLOYEE),
    SUPERVISOR: ("Employee, plus components, versions and milestones", _SUPERVISOR),
    ADMIN: ("Everything, including users, roles and products", ALL_PERMISSIONS),
}
DEFAULT_ROLE = REPORTER  # what self-registered accounts get

# Object rules: permission -> callable(user, obj) -> bool | None. None means "no
# opinion, fall back to the role grant"; True/False decide.
ObjectRule = Callable[[Any, Any], "bool | None"]


def object_rule(permission: str) -> Callable[[ObjectRule], ObjectRule]:
    """Register an object-level rule for ``permission`` (done at import time only)."""

    def decorator(func: ObjectRule) -> ObjectRule:
        _OBJECT_RULES.setdefault(permission, []).append(func)
        return func

    return decorator


# Filled at import time by the modules that own objects, never at request time.
_OBJECT_RULES: dict[str, list[ObjectRule]] = {}


class SystemActor:
    """The operator at the command line (``flask`` commands, seeds): holds every
    permission. Services take it where no person acts; it never authors bug changes."""

    is_authenticated = True
    is_active = True
    id = None
    username = "system"

    def __repr__(self) -> str:
        return "<SystemActor>"


SYSTEM = SystemActor()


_MEMO = "bugzot.granted"  # request.environ key: {id(user): (user, permissions)}


def _actual(user: Any) -> Any:
    """The user behind Flask-Login's ``current_user`` proxy (or ``user`` itself)."""
    get = getattr(user, "_get_current_object", None)
    return get() if get is not None else user


def granted(user: Any) -> frozenset[str]:
    """The permission names ``user`` holds through their role (anonymous: maybe BUG_VIEW)."""
    user = _actual(user)
    if isinstance(user, SystemActor):
        return frozenset(ALL_PERMISSIONS)
    if not has_request_context():
        return _granted(user)
    memo = request.environ.setdefault(_MEMO, {})
    hit = memo.get(id(user))
    if hit is None or hit[0] is not user:  # (the user kept in the memo: ids stay unique)
        hit = memo[id(user)] = (user, _granted(user))
    return hit[1]


def _granted(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        if current_app.config.get("ALLOW_ANONYMOUS_BROWSE"):
            return frozenset({BUG_VIEW})
        return frozenset()
    if not user.is_active or user.role is None:
        return frozenset()
    return user.role.permissions


def can(user: Any, permission: str, obj: Any = None) -> bool:
    """True when ``user`` may use ``permission`` (on ``obj`` when one is given)."""
    if permission not in DESCRIPTIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if obj is not None:
        for rule in _OBJECT_RULES.get(permission, ()):
            verdict = rule(user, obj)
            if verdict is not None:
                return verdict
    return permission in granted(user)


def check(user: Any, permission: str, message: str, obj: Any = None, field: str | None = None
          ) -> None:
    """Raise ``Forbidden(message)`` unless ``user`` may use ``permission`` (services call
    this: they enforce every permission themselves)."""
    if not can(user, permission, obj):
        raise Forbidden(message, field)


def require(*permissions_any: str) -> Callable:
    """View decorator: the user needs one of ``permissions_any``.

    Visitors who are not logged in go to the login page; others get 403. This only
    renders a friendly answer early: the services check every permission again.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not any(can(current_user, p) for p in permissions_any):
                if not current_user.is_authenticated:
                    return current_app.login_manager.unauthorized()
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# -- Object rules owned by the bug code -----------------------------------------
@object_rule(BUG_EDIT)
def _reporter_edits_own_bug(user: Any, bug: Any) -> bool | None:
    """Reporters with BUG_EDIT_OWN may edit the basic fields of bugs they reported."""
    if (getattr(user, "is_authenticated", False) and getattr(bug, "reporter_id", None) == user.id
            and BUG_EDIT_OWN in granted(user)):
        return True
    return None
