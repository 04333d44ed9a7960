"""Who may do what under /admin: every role (and anonymous) against every admin action.

Allowed actions must succeed and write; denied ones answer 403 (anonymous: a
redirect to the login page) and must leave the database exactly as it was.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bugzot import permissions as P
from bugzot.extensions import db
from bugzot.models import (
    Classification,
    Component,
    Milestone,
    OutboxMessage,
    Product,
    Role,
    User,
    Version,
    Webhook,
)
from bugzot.permissions import SYSTEM
from bugzot.services import catalogue, notifications, outbox, roles, unit_of_work
from tests.conftest import PASSWORD, post_form

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, P.REPORTER, P.EMPLOYEE, P.SUPERVISOR, P.ADMIN)

# What each default role may do in the admin area, written out rather than read from
# DEFAULT_GRANTS so that a wrong default grant fails here.
ALLOWED = {
    ANONYMOUS: set(),
    P.REPORTER: set(),
    P.EMPLOYEE: set(),
    P.SUPERVISOR: {P.PRODUCT_MANAGE},
    P.ADMIN: {P.ADMIN_PRODUCTS, P.PRODUCT_MANAGE, P.ADMIN_USERS, P.ADMIN_ROLES,
              P.ADMIN_NOTIFICATIONS},
}


@pytest.fixture
def world(app, make_user):
    """A small catalogue, a user to edit and an unused custom role; returns their ids."""
    tools = catalogue.save_classification(SYSTEM, None, name="Tools")
    widget = catalogue.save_product(SYSTEM, None, name="Widget", classification_id=tools.id,
                                    description="A widget")
    comp = catalogue.save_component(SYSTEM, widget, None, name="General")
    version = catalogue.save_version(SYSTEM, widget, None, value="1.0")
    milestone = catalogue.save_milestone(SYSTEM, widget, None, value="M1")
    victim = make_user("victim", role=P.REPORTER)
    custom = roles.save_role(SYSTEM, None, "Custom", "", [P.BUG_VIEW])
    with unit_of_work():
        failed = outbox.queue_mail("lost@example.com", "Lost", "x")
        failed.status = "failed"
    hook = notifications.save_webhook(SYSTEM, None, notifications.WebhookEdit(
        name="CI", url="http://127.0.0.1:9/hook", kinds=frozenset({"bug.filed"})))
    return {"failed": failed.id, "hook": hook.id,
            "cls": tools.id, "product": widget.id, "component": comp.id, "version": version.id,
            "milestone": milestone.id, "victim": victim.id, "custom": custom.id,
            "employee_role": roles.role_by_name(P.EMPLOYEE).id,
            "reporter_role": roles.role_by_name(P.REPORTER).id}


def snapshot() -> dict:
    """Everything the admin pages can change, as plain values."""
    db.session.expire_all()

    def rows(model, *cols):
        return sorted(tuple(getattr(o, c) for c in cols) for o in db.session.scalars(select(model)))

    return {
        "classifications": rows(Classification, "id", "name", "description", "sortkey", "is_active"),
        "products": rows(Product, "id", "name", "description", "classification_id", "is_active",
                         "allows_unconfirmed"),
        "components": rows(Component, "id", "product_id", "name", "description",
                           "default_assignee_id", "default_qa_contact_id", "is_active"),
        "versions": rows(Version, "id", "product_id", "value", "is_active"),
        "milestones": rows(Milestone, "id", "product_id", "value", "sortkey", "is_active"),
        # actor rows differ per role; only other users matter here
        "users": rows(User, "id", "username", "role_id", "is_active", "real_name", "session_version"),
        "roles": sorted((r.id, r.name, r.description, tuple(sorted(r.permissions)))
                        for r in db.session.scalars(select(Role))),
        "outbox": rows(OutboxMessage, "id", "status", "attempts"),
        "webhooks": rows(Webhook, "id", "name", "url", "kinds", "is_active"),
    }


def _get(model, **where):
    db.session.expire_all()
    return db.session.scalar(select(model).filter_by(**where))


# name -> (permissions any of which allows it, request builder, check after success).
# A builder returns (method, url, form data).
ACTIONS = {
    "index": ({P.ADMIN_PRODUCTS, P.PRODUCT_MANAGE, P.ADMIN_USERS, P.ADMIN_ROLES,
               P.ADMIN_NOTIFICATIONS},
              lambda w: ("GET", "/admin/", None), None),
    "classification_list": ({P.ADMIN_PRODUCTS}, lambda w: ("GET", "/admin/classifications", None), None),
    "classification_new": (
        {P.ADMIN_PRODUCTS},
        lambda w: ("POST", "/admin/classifications/new", {"name": "Gadgets", "sortkey": "1",
                                                          "is_active": "y"}),
        lambda w: _get(Classification, name="Gadgets") is not None),
    "classification_edit": (
        {P.ADMIN_PRODUCTS},
        lambda w: ("POST", f"/admin/classifications/{w['cls']}", {"name": "Tools", "sortkey": "0"}),
        lambda w: _get(Classification, name="Tools").is_active is False),
    "product_list": ({P.ADMIN_PRODUCTS, P.PRODUCT_MANAGE}, lambda w: ("GET", "/admin/products", None),
                     None),
    "product_page": ({P.ADMIN_PRODUCTS, P.PRODUCT_MANAGE},
                     lambda w: ("GET", f"/admin/products/{w['product']}", None), None),
    "product_new": (
        {P.ADMIN_PRODUCTS},
        lambda w: ("POST", "/admin/products/new", {"name": "Gizmo", "classification_id": w["cls"],
                                                   "is_active": "y"}),
        lambda w: _get(Product, name="Gizmo") is not None),
    "product_edit": (
        {P.ADMIN_PRODUCTS},
        lambda w: ("POST", f"/admin/products/{w['product']}",
                   {"name": "Widget", "classification_id": w["cls"], "description": "changed"}),
        lambda w: (_get(Product, name="Widget").description, _get(Product, name="Widget").is_active)
        == ("changed", False)),
    "component_new": (
        {P.PRODUCT_MANAGE},
        lambda w: ("POST", f"/admin/products/{w['product']}/components/new",
                   {"name": "Engine", "default_assignee": "victim", "is_active": "y"}),
        lambda w: _get(Component, name="Engine").default_assignee_id == w["victim"]),
    "component_edit": (
        {P.PRODUCT_MANAGE},
        lambda w: ("POST", f"/admin/products/{w['product']}/components/{w['component']}",
                   {"name": "General", "description": "all the rest"}),
        lambda w: _get(Component, id=w["component"]).description == "all the rest"),
    "version_new": (
        {P.PRODUCT_MANAGE},
        lambda w: ("POST", f"/admin/products/{w['product']}/versions/new", {"value": "2.0",
                                                                              "is_active": "y"}),
        lambda w: _get(Version, value="2.0") is not None),
    "version_edit": (
        {P.PRODUCT_MANAGE},
        lambda w: ("POST", f"/admin/products/{w['product']}/versions/{w['version']}", {"value": "1.0"}),
        lambda w: _get(Version, id=w["version"]).is_active is False),
    "milestone_new": (
        {P.PRODUCT_MANAGE},
        lambda w: ("POST", f"/admin/products/{w['product']}/milestones/new",
                   {"value": "M2", "sortkey": "5", "is_active": "y"}),
        lambda w: _get(Milestone, value="M2").sortkey == 5),
    "milestone_edit": (
        {P.PRODUCT_MANAGE},
        lambda w: ("POST", f"/admin/products/{w['product']}/milestones/{w['milestone']}",
                   {"value": "M1", "sortkey": "9", "is_active": "y"}),
        lambda w: _get(Milestone, id=w["milestone"]).sortkey == 9),
    "user_list": ({P.ADMIN_USERS}, lambda w: ("GET", "/admin/users?q=vic", None), None),
    "user_new": (
        {P.ADMIN_USERS},
        lambda w: ("POST", "/admin/users/new",
                   {"username": "newbie", "email": "newbie@example.com", "password": PASSWORD,
                    "role_id": w["employee_role"], "is_active": "y"}),
        lambda w: _get(User, username="newbie").role_id == w["employee_role"]),
    "user_edit": (
        {P.ADMIN_USERS},
        lambda w: ("POST", f"/admin/users/{w['victim']}",
                   {"real_name": "Vic Tim", "role_id": w["employee_role"]}),
        lambda w: (_get(User, id=w["victim"]).is_active, _get(User, id=w["victim"]).role_id)
        == (False, w["employee_role"])),
    "role_list": ({P.ADMIN_ROLES}, lambda w: ("GET", "/admin/roles", None), None),
    "role_new": (
        {P.ADMIN_ROLES},
        lambda w: ("POST", "/admin/roles/new", {"name": "Auditor", "permissions": [P.BUG_VIEW]}),
        lambda w: _get(Role, name="Auditor").permissions == {P.BUG_VIEW}),
    "role_edit": (
        {P.ADMIN_ROLES},
        lambda w: ("POST", f"/admin/roles/{w['custom']}",
                   {"name": "Custom", "permissions": [P.BUG_VIEW, P.BUG_COMMENT]}),
        lambda w: _get(Role, id=w["custom"]).permissions == {P.BUG_VIEW, P.BUG_COMMENT}),
    "role_delete": ({P.ADMIN_ROLES}, lambda w: ("POST", f"/admin/roles/{w['custom']}/delete", {}),
                    lambda w: _get(Role, id=w["custom"]) is None),
    "mail": ({P.ADMIN_NOTIFICATIONS}, lambda w: ("GET", "/admin/mail", None), None),
    "mail_retry": ({P.ADMIN_NOTIFICATIONS},
                   lambda w: ("POST", "/admin/mail", {"action": "retry", "ids": [str(w["failed"])]}),
                   lambda w: _get(OutboxMessage, id=w["failed"]).status == "pending"),
    "webhooks": ({P.ADMIN_NOTIFICATIONS}, lambda w: ("GET", "/admin/webhooks", None), None),
    "webhook_new": (
        {P.ADMIN_NOTIFICATIONS},
        lambda w: ("POST", "/admin/webhooks/new", {"name": "Chat", "url": "https://chat.example.com/in",
                                                   "kinds": ["comment.added"], "is_active": "y"}),
        lambda w: _get(Webhook, name="Chat") is not None),
    "webhook_edit": (
        {P.ADMIN_NOTIFICATIONS},
        lambda w: ("POST", f"/admin/webhooks/{w['hook']}", {"name": "CI", "url": "http://127.0.0.1:9/x",
                                                           "kinds": ["bug.filed"]}),
        lambda w: _get(Webhook, id=w["hook"]).is_active is False),
    "webhook_log": ({P.ADMIN_NOTIFICATIONS},
                    lambda w: ("GET", f"/admin/webhooks/{w['hook']}/deliveries", None), None),
    "webhook_delete": ({P.ADMIN_NOTIFICATIONS},
                       lambda w: ("POST", f"/admin/webhooks/{w['hook']}/delete", {}),
                       lambda w: _get(Webhook, id=w["hook"]) is None),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_admin_action_allowed_or_denied(client, auth, make_user, world, role, action):
    needs, build, check = ACTIONS[action]
    if role != ANONYMOUS:
        actor = make_user(f"actor-{role.lower()}", role=role)
        assert auth.login(actor.username).status_code == 302
    method, url, data = build(world)
    before = snapshot()

    if method == "GET":
        response = client.get(url)
    else:
        response = post_form(client, url, data)

    allowed = bool(needs & ALLOWED[role])
    if allowed:
        expected = 200 if method == "GET" else 302
        assert response.status_code == expected, response.get_data(as_text=True)
        if method == "POST":
            assert "/login" not in response.headers["Location"]
            assert check(world), f"{role} was allowed {action} but nothing changed"
            assert snapshot() != before
    else:
        if role == ANONYMOUS:
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/login")
        else:
            assert response.status_code == 403
        assert snapshot() == before, f"{role} was refused {action} but something was written"


def test_matrix_covers_every_admin_route(app):
    """A new admin route must be added to ACTIONS (or this list) to be tested above."""
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")}
    tested = {
        "admin.index", "admin.classifications", "admin.classification_new",
        "admin.classification_edit", "admin.products", "admin.product_new", "admin.product_edit",
        "admin.component_new", "admin.component_edit", "admin.version_new", "admin.version_edit",
        "admin.milestone_new", "admin.milestone_edit", "admin.users", "admin.user_new",
        "admin.user_edit", "admin.roles", "admin.role_new", "admin.role_edit", "admin.role_delete",
        "admin.mail", "admin.webhooks", "admin.webhook_new", "admin.webhook_edit",
        "admin.webhook_delete", "admin.webhook_log",
    }
    assert endpoints == tested


@pytest.mark.parametrize("url", ["/admin/classifications/new", "/admin/products/new", "/admin/users/new",
                                 "/admin/roles/new"])
def test_supervisor_cannot_open_admin_only_forms(client, login_as, world, url):
    login_as(P.SUPERVISOR)
    assert client.get(url).status_code == 403


def test_supervisor_sees_product_page_without_product_form(client, login_as, world):
    login_as(P.SUPERVISOR)
    page = client.get(f"/admin/products/{world['product']}").get_data(as_text=True)
    assert "Add component" in page and "Add version" in page and "Add milestone" in page
    assert "Save product" not in page


def test_disabled_admin_has_no_admin_access(client, auth, make_user, world):
    admin = make_user("formeradmin", role=P.ADMIN)
    assert auth.login(admin.username).status_code == 302
    admin.is_active = False
    db.session.commit()
    response = client.get("/admin/roles")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
