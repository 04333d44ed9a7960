"""Roles and their permission grants (``admin.roles``).

``save_role`` and ``delete_role`` take the acting user and check ``admin.roles``;
``ensure_default_roles`` is the bootstrap the CLI and migrations run.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bugzot import permissions
from bugzot.exceptions import NotFound, ServiceError
from bugzot.extensions import db
from bugzot.models import Role, RolePermission, User
from bugzot.services import unit_of_work


def ensure_default_roles() -> None:
    """Create the built-in roles with their default grants if they are missing."""
    with unit_of_work():
        existing = {r.name for r in db.session.scalars(select(Role))}
        for name, (description, perms) in permissions.DEFAULT_GRANTS.items():
            if name in existing:
                continue
            role = Role(name=name, description=description, is_builtin=True)
            role.grants = [RolePermission(permission=p) for p in perms]
            db.session.add(role)


def role_by_name(name: str) -> Role:
    """The role called ``name`` (case-insensitive), or NotFound."""
    role = db.session.scalar(select(Role).where(db.func.lower(Role.name) == name.lower()))
    if role is None:
        known = ", ".join(db.session.scalars(select(Role.name).order_by(Role.id)))
        raise NotFound(f"No role named {name!r}. Known roles: {known}.", field="role")
    return role


def _name_taken(name: str, role: Role | None) -> bool:
    """True when a role other than ``role`` is called ``name`` (any case)."""
    clash = db.session.scalar(select(Role).where(db.func.lower(Role.name) == name.lower()))
    return clash is not None and clash is not role


# The Admin role always keeps these, so somebody can always repair users and roles.
LOCKOUT_GUARD = (permissions.ADMIN_ROLES, permissions.ADMIN_USERS)
NAME_MAX = 64
DESCRIPTION_MAX = 4000


def _may_manage_roles(acting: Any) -> None:
    permissions.check(acting, permissions.ADMIN_ROLES, "You may not manage roles.")


def save_role(acting: Any, role: Role | None, name: str, description: str,
              granted: list[str]) -> Role:
    """Create (``role`` None) or update a role and set exactly the ``granted`` permissions."""
    _may_manage_roles(acting)
    name = name.strip()
    description = (description or "").strip()
    unknown = set(granted) - set(permissions.ALL_PERMISSIONS)
    if unknown:
        raise ServiceError(f"Unknown permission(s): {', '.join(sorted(unknown))}.", "permissions")
    if not name:
        raise ServiceError("A role needs a name.", "name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"Role names are at most {NAME_MAX} characters.", "name")
    if len(description) > DESCRIPTION_MAX:
        raise ServiceError(f"The description is at most {DESCRIPTION_MAX} characters.", "description")
    if _name_taken(name, role):
        raise ServiceError(f"A role named {name!r} already exists.", "name")
    if role is not None and role.is_builtin and role.name != name:
        raise ServiceError("Built-in roles cannot be renamed.", "name")
    if role is not None and role.is_builtin and role.name == permissions.ADMIN:
        missing = [p for p in LOCKOUT_GUARD if p not in granted]
        if missing:
            raise ServiceError(
                f"The {permissions.ADMIN} role must keep {' and '.join(missing)}, or nobody "
                "could manage users and roles any more.", "permissions")
    try:
        with unit_of_work():
            if role is None:
                role = Role(name=name, description=description)
                db.session.add(role)
            role.name = name
            role.description = description
            role.grants = [RolePermission(permission=p) for p in sorted(set(granted))]
            db.session.flush()
    except IntegrityError as exc:  # a concurrent save took the name first
        raise ServiceError(f"A role named {name!r} already exists.", "name") from exc
    return role


def delete_role(acting: Any, role: Role) -> None:
    """Delete a role nobody holds; built-in roles cannot be deleted."""
    _may_manage_roles(acting)
    if role.is_builtin:
        raise ServiceError("Built-in roles cannot be deleted.")
    holders = db.session.scalar(select(db.func.count()).where(User.role_id == role.id))
    if holders:
        raise ServiceError(f"{holders} user(s) still hold this role; move them first.")
    with unit_of_work():
        db.session.delete(role)
