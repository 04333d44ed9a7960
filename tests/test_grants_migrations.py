"""New permissions reach existing installations: built-in roles created by an older
BugZot get each later default grant from a data migration (``migrations/grants.py``).

``GRANTS_AT_0007`` is the record of what the built-in roles held when migration 0007 was
the newest. An installation made then, upgraded, must hold exactly today's defaults: a
permission added to ``permissions.DEFAULT_GRANTS`` without its migration fails here.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from databases import base_config
from flask_migrate import downgrade, upgrade

from bugzot import create_app
from bugzot import permissions as P
from bugzot.extensions import db
from bugzot.models import Role, RolePermission
from tests.test_migrations import fresh_db_url  # noqa: F401  (a fixture)

_REPORTER_0007 = ("bug.view", "bug.create", "bug.comment", "bug.attach", "bug.edit_own")
_EMPLOYEE_0007 = _REPORTER_0007 + ("bug.edit", "bug.status", "bug.assign", "bug.cc_others",
                                   "bug.private")
GRANTS_AT_0007 = {
    "Reporter": set(_REPORTER_0007),
    "Employee": set(_EMPLOYEE_0007),
    "Supervisor": set(_EMPLOYEE_0007) | {"product.manage"},
    "Admin": set(_EMPLOYEE_0007) | {"product.manage", "comment.hide", "admin.products",
                                    "admin.users", "admin.roles"},
}


def _grants() -> dict[str, set[str]]:
    rows = db.session.execute(sa.select(Role.name, RolePermission.permission)
                              .join(RolePermission, RolePermission.role_id == Role.id))
    found: dict[str, set[str]] = {}
    for role, permission in rows:
        found.setdefault(role, set()).add(permission)
    return found


@pytest.fixture
def installed_at_0007(fresh_db_url, tmp_path):  # noqa: F811
    """An app on a database migrated to 0007 whose roles hold the 0007 defaults, plus a
    custom role an admin made (which no migration may touch)."""
    app = create_app(base_config(tmp_path, fresh_db_url))
    with app.app_context():
        upgrade(revision="0007")
        for name, granted in GRANTS_AT_0007.items():
            role = Role(name=name, description="", is_builtin=True)
            role.grants = [RolePermission(permission=p) for p in sorted(granted)]
            db.session.add(role)
        custom = Role(name="Triage", description="", is_builtin=False)
        custom.grants = [RolePermission(permission="bug.status")]
        db.session.add(custom)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_upgrading_an_old_installation_gives_todays_default_grants(installed_at_0007):
    upgrade()
    found = _grants()
    for name, (_, granted) in P.DEFAULT_GRANTS.items():
        assert found[name] == set(granted), name
    assert found["Triage"] == {"bug.status"}  # custom roles are the admin's business


def test_bug_confirm_arrives_with_0008_and_leaves_with_its_downgrade(installed_at_0007):
    upgrade(revision="0008")
    assert {name for name, granted in _grants().items() if P.BUG_CONFIRM in granted} == {
        "Employee", "Supervisor", "Admin"}
    upgrade(revision="0008")  # idempotent
    downgrade(revision="0007")
    assert _grants() == {**GRANTS_AT_0007, "Triage": {"bug.status"}}


def test_a_grant_an_admin_already_gave_is_kept(installed_at_0007):
    reporter = db.session.scalar(sa.select(Role).where(Role.name == "Reporter"))
    reporter.grants.append(RolePermission(permission=P.BUG_CONFIRM))
    db.session.commit()
    upgrade(revision="0008")
    assert P.BUG_CONFIRM in _grants()["Reporter"]
