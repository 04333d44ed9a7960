"""Admin pages for users: list, search and filter, create, change role, real name and
active flag, and the guard against disabling yourself."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bugzot import permissions as P
from bugzot.extensions import db
from bugzot.models import User
from bugzot.permissions import SYSTEM
from bugzot.services import accounts
from bugzot.services.roles import role_by_name
from tests.conftest import PASSWORD, post_form


@pytest.fixture
def admin(login_as):
    return login_as(P.ADMIN, username="boss")


def text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def listed(response) -> set[str]:
    """Usernames linked from the user list."""
    import re

    return set(re.findall(r'/admin/users/\d+">([^<]+)</a>', text(response)))


def test_list_search_and_filter(client, admin, make_user):
    make_user("alice", role=P.EMPLOYEE, real_name="Alice Liddell")
    make_user("bob", role=P.REPORTER, email="bob@corp.example")
    make_user("carol", role=P.REPORTER, active=False)
    employee = role_by_name(P.EMPLOYEE)
    assert listed(client.get("/admin/users")) == {"boss", "alice", "bob", "carol"}
    assert listed(client.get("/admin/users?q=LIDDELL")) == {"alice"}
    assert listed(client.get("/admin/users?q=corp.example")) == {"bob"}
    assert listed(client.get(f"/admin/users?role_id={employee.id}")) == {"alice"}
    assert listed(client.get("/admin/users?status=disabled")) == {"carol"}
    assert listed(client.get("/admin/users?status=active&q=b")) == {"boss", "bob"}
    # LIKE wildcards are matched literally
    assert listed(client.get("/admin/users?q=%25")) == set()
    # nonsense filters do not break the page
    assert client.get("/admin/users?role_id=abc&status=zzz&page=-3").status_code == 200


def test_disabled_users_are_greyed(client, admin, make_user):
    make_user("carol", active=False)
    page = text(client.get("/admin/users"))
    assert '<tr class="inactive">' in page and "disabled" in page


def test_list_pages(client, admin, make_user):
    for i in range(55):
        db.session.add(User(username=f"bulk{i:02d}", email=f"bulk{i:02d}@example.com",
                            password_hash="x", role=role_by_name(P.REPORTER), is_active=True))
    db.session.commit()
    first = client.get("/admin/users?q=bulk")
    assert len(listed(first)) == 50 and "Page 1 of 2" in text(first)
    second = client.get("/admin/users?q=bulk&page=2")
    assert listed(second) == {f"bulk{i}" for i in range(50, 55)}


def test_admin_creates_user_who_can_log_in(client, admin, auth):
    reporter = role_by_name(P.SUPERVISOR)
    r = post_form(client, "/admin/users/new",
                  {"username": "Newbie", "email": "newbie@example.com", "real_name": "New Bie",
                   "password": PASSWORD, "role_id": reporter.id, "is_active": "y"})
    assert r.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    assert user.is_active and user.role.name == P.SUPERVISOR and user.real_name == "New Bie"
    auth.logout()
    assert auth.login("newbie@example.com").status_code == 302


@pytest.mark.parametrize("data,message", [
    ({"username": "boss"}, "is taken"),
    ({"email": "boss@example.com"}, "already has an account"),
    ({"username": ""}, "This field is required."),
    ({"email": "not-an-email"}, "Invalid email address."),
    ({"username": "u" * 65}, "between 2 and 64 characters"),
    ({"username": "bad name!"}, "Usernames are 2-64 characters"),
    ({"real_name": "r" * 129}, "longer than 128 characters"),
    ({"password": "short"}, "at least 12 characters"),
    ({"role_id": "9999"}, "Not a valid choice"),
])
def test_create_user_errors(client, admin, data, message):
    form = {"username": "fresh", "email": "fresh@example.com", "password": PASSWORD,
            "role_id": role_by_name(P.REPORTER).id, "is_active": "y"}
    form.update(data)
    before = user_count()
    r = post_form(client, "/admin/users/new", form)
    assert r.status_code == 200
    assert message.lower() in text(r).lower(), text(r)
    assert user_count() == before


def test_create_user_race_is_a_form_error(client, admin, monkeypatch):
    """Another request creates the same account between our checks and our insert."""
    from conftest import other_session

    from bugzot.models import User
    real_hash = accounts.hash_password

    def racing(password):
        role_id = role_by_name(P.REPORTER).id
        with other_session() as other:
            other.add(User(username="fresh", email="fresh@example.com", password_hash="x",
                           role_id=role_id, is_active=True))
            other.commit()
        return real_hash(password)

    monkeypatch.setattr(accounts, "hash_password", racing)
    r = post_form(client, "/admin/users/new",
                  {"username": "fresh", "email": "fresh@example.com", "password": PASSWORD,
                   "role_id": role_by_name(P.REPORTER).id})
    assert r.status_code == 200 and "just taken" in text(r)


def test_change_role_and_real_name(client, admin, make_user):
    victim = make_user("victim", role=P.REPORTER)
    employee = role_by_name(P.EMPLOYEE)
    r = post_form(client, f"/admin/users/{victim.id}",
                  {"real_name": "Vic Tim", "role_id": employee.id, "is_active": "y"})
    assert r.status_code == 302
    db.session.expire_all()
    assert (victim.real_name, victim.role.name, victim.is_active) == ("Vic Tim", P.EMPLOYEE, True)
    assert P.can(victim, P.BUG_PRIVATE)


def test_disable_logs_user_out_and_activate_lets_them_back(app, client, admin, make_user, auth):
    victim = make_user("victim")
    other = app.test_client()
    assert post_form(other, "/login", {"login": "victim", "password": PASSWORD}).status_code == 302
    assert other.get("/prefs").status_code == 200
    reporter = role_by_name(P.REPORTER)
    assert post_form(client, f"/admin/users/{victim.id}",
                     {"real_name": "", "role_id": reporter.id}).status_code == 302
    db.session.expire_all()
    assert not victim.is_active
    assert other.get("/prefs").status_code == 302  # the session died
    assert post_form(other, "/login", {"login": "victim", "password": PASSWORD}).status_code == 200
    post_form(client, f"/admin/users/{victim.id}", {"role_id": reporter.id, "is_active": "y"})
    assert post_form(other, "/login", {"login": "victim", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("change", ["disable", "demote"])
def test_admin_cannot_disable_or_demote_themselves(client, admin, change):
    data = {"real_name": "", "role_id": admin.role_id, "is_active": "y"}
    if change == "disable":
        del data["is_active"]
    else:
        data["role_id"] = role_by_name(P.REPORTER).id
    r = post_form(client, f"/admin/users/{admin.id}", data)
    assert r.status_code == 200 and "cannot disable yourself" in text(r)
    db.session.expire_all()
    assert admin.is_active and admin.role.name == P.ADMIN
    assert client.get("/admin/users").status_code == 200


def test_admin_may_change_own_real_name(client, admin):
    r = post_form(client, f"/admin/users/{admin.id}",
                  {"real_name": "The Boss", "role_id": admin.role_id, "is_active": "y"})
    assert r.status_code == 302
    db.session.expire_all()
    assert admin.real_name == "The Boss"


def test_edit_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/9999").status_code == 404


def test_too_long_real_name_on_edit(client, admin, make_user):
    victim = make_user("victim")
    r = post_form(client, f"/admin/users/{victim.id}",
                  {"real_name": "x" * 129, "role_id": victim.role_id, "is_active": "y"})
    assert r.status_code == 200 and "128" in text(r)
    db.session.expire_all()
    assert victim.real_name == ""


# -- managing users is no back door to more rights -------------------------------------------------
@pytest.fixture
def helpdesk(app, make_user):
    """A client logged in as "desk", whose role is Employee plus admin.users."""
    from bugzot.services.roles import save_role

    save_role(SYSTEM, None, "Helpdesk", "", list(P.DEFAULT_GRANTS[P.EMPLOYEE][1]) + [P.ADMIN_USERS])
    make_user("desk", role="Helpdesk")
    desk = app.test_client()
    assert post_form(desk, "/login", {"login": "desk", "password": PASSWORD}).status_code == 302
    return desk


@pytest.mark.parametrize("target,allowed", [(P.REPORTER, True), (P.EMPLOYEE, True),
                                            (P.SUPERVISOR, False), (P.ADMIN, False)])
def test_user_manager_gives_only_roles_within_own_rights(helpdesk, make_user, target, allowed):
    victim = make_user("victim", role=P.REPORTER)
    role = role_by_name(target)
    r = post_form(helpdesk, f"/admin/users/{victim.id}",
                  {"real_name": "", "role_id": role.id, "is_active": "y"})
    created = post_form(helpdesk, "/admin/users/new",
                        {"username": "made", "email": "made@example.com", "password": PASSWORD,
                         "role_id": role.id, "is_active": "y"})
    db.session.expire_all()
    made = db.session.scalar(select(User).where(User.username == "made"))
    if allowed:
        assert r.status_code == 302 and created.status_code == 302
        assert victim.role.name == target and made.role.name == target
    else:
        assert r.status_code == 200 and "permissions you do not have" in text(r)
        assert created.status_code == 200 and "permissions you do not have" in text(created)
        assert victim.role.name == P.REPORTER and made is None


@pytest.mark.parametrize("change", ["real_name", "disable", "demote"])
def test_user_manager_may_not_touch_a_stronger_account(helpdesk, make_user, change):
    """Issue 14, defect 5: only the new role used to be checked, so a user manager could
    demote or disable an Admin. An account holding rights the manager lacks is off limits."""
    boss = make_user("bigboss", role=P.ADMIN)
    form = {"real_name": "Big Boss", "role_id": boss.role_id, "is_active": "y"}
    if change == "disable":
        form = {"real_name": "", "role_id": boss.role_id}
    elif change == "demote":
        form = {"real_name": "", "role_id": role_by_name(P.REPORTER).id, "is_active": "y"}
    r = post_form(helpdesk, f"/admin/users/{boss.id}", form)
    assert r.status_code == 200 and "holds permissions you do not have" in text(r)
    db.session.expire_all()
    assert (boss.real_name, boss.is_active, boss.role.name) == ("", True, P.ADMIN)
