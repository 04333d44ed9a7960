"""Admin pages for roles: creating and editing grants, deleting, the Admin-lockout
guard, and that edited grants change what users can do at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bugzot import permissions as P
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import Role
from bugzot.permissions import SYSTEM
from bugzot.services import catalogue
from bugzot.services import roles as role_service
from bugzot.services.roles import role_by_name
from tests.conftest import post_form


@pytest.fixture
def admin(login_as):
    return login_as(P.ADMIN, username="boss")


def text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def grants(name: str) -> set[str]:
    db.session.expire_all()
    return set(role_by_name(name).permissions)


def role_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Role))


def edit_role(client, name: str, perms, new_name: str | None = None, description: str = ""):
    role = role_by_name(name)
    return post_form(client, f"/admin/roles/{role.id}",
                     {"name": new_name or role.name, "description": description,
                      "permissions": sorted(perms)})


# -- create and edit ----------------------------------------------------------------------
def test_create_role_with_grants_and_list_it(client, admin):
    r = post_form(client, "/admin/roles/new", {"name": "Auditor", "description": "Reads everything",
                                               "permissions": [P.BUG_VIEW, P.BUG_PRIVATE]})
    assert r.status_code == 302
    assert grants("Auditor") == {P.BUG_VIEW, P.BUG_PRIVATE}
    page = text(client.get("/admin/roles"))
    assert "Auditor" in page and "Reads everything" in page and P.BUG_PRIVATE in page


def test_edit_form_ticks_current_grants(client, admin):
    page = text(client.get(f"/admin/roles/{role_by_name(P.SUPERVISOR).id}"))
    boxes = {m.group(2): "checked" in m.group(1)
             for m in re.finditer(r'<input([^>]*)type="checkbox" value="([^"]+)"', page)}
    assert boxes == {p: p in P.DEFAULT_GRANTS[P.SUPERVISOR][1] for p in P.ALL_PERMISSIONS}
    for name, description in P.DESCRIPTIONS.items():
        assert description in page, name


def test_edit_grants_of_builtin_role(client, admin):
    r = edit_role(client, P.REPORTER, [P.BUG_VIEW, P.BUG_COMMENT], description="Read and talk")
    assert r.status_code == 302
    assert grants(P.REPORTER) == {P.BUG_VIEW, P.BUG_COMMENT}
    assert role_by_name(P.REPORTER).description == "Read and talk"


@pytest.mark.parametrize("name", ["employee", "ADMIN", "Auditor"])
def test_duplicate_role_name_is_a_form_error(client, admin, name):
    role_service.save_role(SYSTEM, None, "Auditor", "", [])
    before = role_count()
    r = post_form(client, "/admin/roles/new", {"name": name, "permissions": [P.BUG_VIEW]})
    assert r.status_code == 200 and "already exists" in text(r)
    assert role_count() == before


def test_renaming_onto_another_role_is_a_form_error(client, admin):
    role_service.save_role(SYSTEM, None, "Auditor", "", [])
    r = edit_role(client, "Auditor", [], new_name="supervisor")
    assert r.status_code == 200 and "already exists" in text(r)
    assert db.session.scalar(select(Role).where(Role.name == "Auditor")) is not None


@pytest.mark.parametrize("data,message", [
    ({"name": ""}, "This field is required."),
    ({"name": "  "}, "This field is required."),
    ({"name": "r" * 65}, "64 characters"),
    ({"name": "Ok", "description": "d" * 4001}, "4000 characters"),
    ({"name": "Ok", "permissions": ["bug.view", "root.everything"]}, "not a valid choice"),
])
def test_bad_role_input_is_a_form_error(client, admin, data, message):
    before = role_count()
    r = post_form(client, "/admin/roles/new", data)
    assert r.status_code == 200 and message.lower() in text(r).lower(), text(r)
    assert role_count() == before


def test_builtin_role_cannot_be_renamed(client, admin):
    r = edit_role(client, P.EMPLOYEE, P.DEFAULT_GRANTS[P.EMPLOYEE][1], new_name="Staff")
    assert r.status_code == 200 and "cannot be renamed" in text(r)
    assert db.session.scalar(select(Role).where(Role.name == P.EMPLOYEE)) is not None


def test_custom_role_can_be_renamed(client, admin):
    role_service.save_role(SYSTEM, None, "Auditor", "", [])
    assert edit_role(client, "Auditor", [], new_name="Inspector").status_code == 302
    assert grants("Inspector") == set()


def test_role_name_race_is_a_form_error(client, admin, monkeypatch):
    role_service.save_role(SYSTEM, None, "Auditor", "", [])
    monkeypatch.setattr(role_service, "_name_taken", lambda name, role: False)
    before = role_count()
    r = post_form(client, "/admin/roles/new", {"name": "Auditor"})
    assert r.status_code == 200 and "already exists" in text(r)
    assert role_count() == before


# -- the lockout guard -----------------------------------------------------------------------------
@pytest.mark.parametrize("dropped", [(P.ADMIN_ROLES,), (P.ADMIN_USERS,), (P.ADMIN_ROLES, P.ADMIN_USERS)])
def test_admin_role_keeps_roles_and_users_permissions(client, admin, dropped):
    kept = set(P.ALL_PERMISSIONS) - set(dropped)
    r = edit_role(client, P.ADMIN, kept)
    assert r.status_code == 200
    page = text(r)
    assert "must keep" in page and all(p in page for p in dropped)
    assert grants(P.ADMIN) == set(P.ALL_PERMISSIONS)
    assert client.get("/admin/roles").status_code == 200  # still in charge


def test_admin_role_may_lose_other_permissions(client, admin):
    r = edit_role(client, P.ADMIN, [P.ADMIN_ROLES, P.ADMIN_USERS])
    assert r.status_code == 302
    assert grants(P.ADMIN) == {P.ADMIN_ROLES, P.ADMIN_USERS}
    assert client.get("/admin/classifications").status_code == 403
    # ... and can give them back, because admin.roles stayed
    assert edit_role(client, P.ADMIN, P.ALL_PERMISSIONS).status_code == 302
    assert client.get("/admin/classifications").status_code == 200


def test_lockout_guard_in_the_service(app):
    admin_role = role_by_name(P.ADMIN)
    with pytest.raises(ServiceError) as info:
        role_service.save_role(SYSTEM, admin_role, P.ADMIN, "", [P.ADMIN_USERS])
    assert info.value.field == "permissions" and P.ADMIN_ROLES in info.value.message
    assert grants(P.ADMIN) == set(P.ALL_PERMISSIONS)
    # other roles may drop them freely
    custom = role_service.save_role(SYSTEM, None, "Deputy", "", [P.ADMIN_ROLES, P.ADMIN_USERS])
    role_service.save_role(SYSTEM, custom, "Deputy", "", [])
    assert grants("Deputy") == set()


# -- delete -------------------------------------------------------------------------------------------
def test_delete_unused_custom_role(client, admin):
    custom = role_service.save_role(SYSTEM, None, "Temp", "", [P.BUG_VIEW])
    assert "Delete" in text(client.get("/admin/roles"))
    r = post_form(client, f"/admin/roles/{custom.id}/delete", {})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Role).where(Role.name == "Temp")) is None


def test_builtin_and_used_roles_cannot_be_deleted(client, admin, make_user):
    used = role_service.save_role(SYSTEM, None, "Used", "", [P.BUG_VIEW])
    make_user("holder", role="Used")
    for role, message in ((role_by_name(P.REPORTER), "Built-in roles cannot be deleted."),
                          (used, "1 user(s) still hold this role")):
        r = post_form(client, f"/admin/roles/{role.id}/delete", {}, follow_redirects=True)
        assert r.status_code == 200 and message in text(r)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Role)) == 5


def test_delete_without_csrf_token_is_refused(client, admin):
    custom = role_service.save_role(SYSTEM, None, "Temp", "", [])
    r = client.post(f"/admin/roles/{custom.id}/delete", data={})
    assert r.status_code == 400
    assert db.session.get(Role, custom.id) is not None


# -- grants take effect ----------------------------------------------------------------------------------
def test_granting_product_manage_to_employee_makes_components_editable(
        app, client, admin, auth, make_user):
    cls = catalogue.save_classification(SYSTEM, None, name="Tools")
    product = catalogue.save_product(SYSTEM, None, name="Widget", classification_id=cls.id)
    make_user("emp", role=P.EMPLOYEE)
    url = f"/admin/products/{product.id}/components/new"
    employee_client = app.test_client()
    assert post_form(employee_client, "/login", {"login": "emp", "password": "correct-horse-battery"}
                     ).status_code == 302
    assert post_form(employee_client, url, {"name": "Engine"}).status_code == 403

    assert edit_role(client, P.EMPLOYEE, set(P.DEFAULT_GRANTS[P.EMPLOYEE][1]) | {P.PRODUCT_MANAGE}
                     ).status_code == 302

    assert post_form(employee_client, url, {"name": "Engine", "is_active": "y"}).status_code == 302
    assert [c.name for c in product.components] == ["Engine"]


def test_revoking_bug_create_from_reporter(client, admin, make_user):
    reporter = make_user("rep", role=P.REPORTER)
    assert P.can(reporter, P.BUG_CREATE)
    perms = set(P.DEFAULT_GRANTS[P.REPORTER][1]) - {P.BUG_CREATE}
    assert edit_role(client, P.REPORTER, perms).status_code == 302
    db.session.expire_all()
    assert not P.can(reporter, P.BUG_CREATE)
    assert P.can(reporter, P.BUG_COMMENT)


def test_custom_role_with_only_user_admin(app, client, admin, make_user):
    role_service.save_role(SYSTEM, None, "Helpdesk", "Manages accounts", [P.BUG_VIEW, P.ADMIN_USERS])
    make_user("desk", role="Helpdesk")
    desk = app.test_client()
    assert post_form(desk, "/login", {"login": "desk", "password": "correct-horse-battery"}
                     ).status_code == 302
    assert desk.get("/admin/").status_code == 200
    assert desk.get("/admin/users").status_code == 200
    for url in ("/admin/roles", "/admin/classifications", "/admin/products"):
        assert desk.get(url).status_code == 403, url
    index = text(desk.get("/admin/"))
    assert "/admin/users" in index and "/admin/roles" not in index
