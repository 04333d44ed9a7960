"""Data-migration helpers for permission grants.

A new permission that built-in roles should hold reaches existing installations
through a migration whose upgrade is one line::

    def upgrade():
        grant("bug.confirm", "Employee", "Supervisor", "Admin")

    def downgrade():
        revoke("bug.confirm", "Employee", "Supervisor", "Admin")

Only built-in roles are touched (an admin's custom roles are theirs), and a grant an
admin already gave is kept as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_ROLES = sa.table("roles", sa.column("id"), sa.column("name"), sa.column("is_builtin"))
_GRANTS = sa.table("role_permissions", sa.column("role_id"), sa.column("permission"))


def grant(permission: str, *roles: str) -> None:
    """Give ``permission`` to the built-in ``roles`` that do not hold it yet."""
    bind = op.get_bind()
    for name in roles:
        role_id = bind.scalar(sa.select(_ROLES.c.id).where(_ROLES.c.name == name,
                                                           _ROLES.c.is_builtin.is_(True)))
        if role_id is None:
            continue  # a database whose roles are not created yet: the defaults will be
        held = bind.scalar(sa.select(sa.func.count()).select_from(_GRANTS).where(
            _GRANTS.c.role_id == role_id, _GRANTS.c.permission == permission))
        if not held:
            bind.execute(_GRANTS.insert().values(role_id=role_id, permission=permission))


def revoke(permission: str, *roles: str) -> None:
    """Take ``permission`` back from the built-in ``roles`` (a downgrade)."""
    bind = op.get_bind()
    ids = sa.select(_ROLES.c.id).where(_ROLES.c.name.in_(roles), _ROLES.c.is_builtin.is_(True))
    bind.execute(_GRANTS.delete().where(_GRANTS.c.permission == permission,
                                        _GRANTS.c.role_id.in_(ids)))
