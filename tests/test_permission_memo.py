"""What a role grants is worked out once per request (``permissions.granted``): inside
one request the answer is remembered, the next request asks again, so a grant or role
change counts from the next request on; nothing is kept outside the request."""

from __future__ import annotations

import pytest
from factories import edit, new_bug, new_user
from flask import g

from bugzot import permissions
from bugzot.extensions import db
from bugzot.permissions import BUG_PRIVATE, SYSTEM, can
from bugzot.services import roles
from bugzot.services.accounts import admin_update_user


def _employee_grants(without: str) -> None:
    role = roles.role_by_name(permissions.EMPLOYEE)
    roles.save_role(SYSTEM, role, role.name, role.description,
                    [p for p in role.permissions if p != without])


def test_the_memo_lasts_one_request(app):
    emma = new_user("emma", role="Employee")
    with app.test_request_context("/"):
        assert can(emma, BUG_PRIVATE)
        _employee_grants(without=BUG_PRIVATE)
        db.session.refresh(emma.role)
        assert BUG_PRIVATE not in emma.role.permissions
        assert can(emma, BUG_PRIVATE)  # remembered for the rest of this request
    with app.test_request_context("/"):
        assert not can(emma, BUG_PRIVATE)
    assert not can(emma, BUG_PRIVATE)  # outside a request: asked every time


def test_the_memo_is_per_user_and_follows_current_user(app):
    emma, rita = new_user("emma", role="Employee"), new_user("rita")
    with app.test_request_context("/"):
        g._login_user = rita
        from flask_login import current_user

        assert not can(current_user, BUG_PRIVATE) and can(emma, BUG_PRIVATE)
        assert not can(rita, BUG_PRIVATE)


@pytest.mark.parametrize("change", ["grant", "role"])
def test_a_permission_change_counts_from_the_next_request(app, client, auth, change):
    emma = new_user("emma", role="Employee")
    bug = new_bug()
    edit(emma, bug, comment="only for employees", private=True)
    db.session.commit()
    auth.login("emma")
    assert "only for employees" in client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    if change == "grant":
        _employee_grants(without=BUG_PRIVATE)
    else:
        admin_update_user(SYSTEM, emma, role=roles.role_by_name(permissions.REPORTER),
                          is_active=True, real_name="")
    db.session.commit()
    response = client.get(f"/bugs/{bug.id}")
    assert response.status_code == 200  # still logged in, the bug page
    page = response.get_data(as_text=True)
    assert bug.summary in page and "only for employees" not in page
