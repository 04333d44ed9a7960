"""User preferences: real name, email change with re-verification, password change."""

from sqlalchemy import select

from bugzot.extensions import db
from bugzot.models import User
from tests.conftest import PASSWORD, csrf_token, mail_link


def prefs_post(client, action: str, **fields):
    data = {f"{action_prefix(action)}-{k}": v for k, v in fields.items()}
    data["action"] = action
    data[f"{action_prefix(action)}-csrf_token"] = csrf_token(client)
    return client.post("/prefs", data=data)


def action_prefix(action: str) -> str:
    return {"profile": "profile", "password": "pw", "email": "email", "timezone": "tz"}[action]


def reload(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_prefs_requires_login(client):
    response = client.get("/prefs")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_change_real_name(client, login_as):
    user = login_as()
    assert prefs_post(client, "profile", real_name="Ann Example").status_code == 302
    assert reload(user).real_name == "Ann Example"


def test_real_name_too_long_is_a_form_error(client, login_as):
    user = login_as()
    response = prefs_post(client, "profile", real_name="x" * 129)
    assert response.status_code == 200
    assert "Field cannot be longer than 128 characters." in response.get_data(as_text=True)
    assert reload(user).real_name == ""


def test_password_change_needs_the_current_password(client, auth, login_as):
    user = login_as()
    response = prefs_post(client, "password", current_password="wrong-one-here",
                          new_password="new-password-1", confirm="new-password-1")
    assert "The current password is wrong." in response.get_data(as_text=True)
    auth.logout()
    assert auth.login(user.username, PASSWORD).status_code == 302


def test_password_change_keeps_this_session_and_ends_others(app, client, auth, login_as):
    user = login_as()
    other = app.test_client()
    other_auth = type(auth)(other)
    assert other_auth.login(user.username).status_code == 302
    response = prefs_post(client, "password", current_password=PASSWORD,
                          new_password="new-password-1", confirm="new-password-1")
    assert response.status_code == 302
    assert client.get("/prefs").status_code == 200  # still logged in here
    assert other.get("/prefs").status_code == 302  # the other session ended
    auth.logout()
    assert auth.login(user.username, "new-password-1").status_code == 302


def test_email_change_waits_for_confirmation(client, login_as, outbox):
    user = login_as()
    response = prefs_post(client, "email", email="New@Example.com", password=PASSWORD)
    assert response.status_code == 302
    assert reload(user).email == f"{user.username}@example.com"  # unchanged so far
    confirm = next(m for m in outbox() if m["To"] == "new@example.com")
    notice = next(m for m in outbox() if m["To"] == f"{user.username}@example.com")
    assert "address change requested" in notice["Subject"]
    link = mail_link(confirm, "/prefs/email/")
    assert client.get(link).status_code == 302
    assert reload(user).email == "new@example.com"
    assert client.get(link).status_code == 400  # single use


def test_email_change_to_a_taken_address_changes_nothing(client, login_as, make_user, outbox):
    make_user("other", email="other@example.com")
    user = login_as()
    response = prefs_post(client, "email", email="other@example.com", password=PASSWORD)
    assert response.status_code == 302  # same answer as for a free address
    assert reload(user).email == f"{user.username}@example.com"
    assert [m["Subject"] for m in outbox()] == ["BugZot: address already in use"]


def test_email_change_needs_the_password(client, login_as, outbox):
    login_as()
    response = prefs_post(client, "email", email="new@example.com", password="wrong-password")
    assert "The password is wrong." in response.get_data(as_text=True)
    assert outbox() == []


def test_unknown_prefs_action_is_a_clear_400(client, login_as):
    login_as()
    response = client.post("/prefs", data={"action": "hack", "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert "Unknown preferences action." in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def test_time_zone_defaults_to_the_browser_and_can_be_chosen(client, login_as):
    user = login_as()
    client.set_cookie("tz", "Asia/Tokyo")
    page = client.get("/prefs").get_data(as_text=True)
    assert '<option selected value="">My browser&#39;s zone (Asia/Tokyo)</option>' in page
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in page
    response = prefs_post(client, "timezone", time_zone="Europe/Berlin")
    assert response.status_code == 302 and reload(user).time_zone == "Europe/Berlin"
    assert '<option selected value="Europe/Berlin">' in client.get("/prefs").get_data(as_text=True)
    assert prefs_post(client, "timezone", time_zone="").status_code == 302
    assert reload(user).time_zone == ""


def test_unknown_time_zone_is_a_form_error(client, login_as):
    user = login_as()
    response = prefs_post(client, "timezone", time_zone="Mars/Olympus_Mons")
    assert response.status_code == 200
    assert "There is no time zone called &#39;Mars/Olympus_Mons&#39;." in response.get_data(as_text=True)
    assert reload(user).time_zone == ""


def test_only_the_user_sets_their_time_zone(client, make_user):
    import pytest

    from bugzot.exceptions import Forbidden
    from bugzot.services.time_zone import set_time_zone

    ann, bob = make_user("ann"), make_user("bob")
    with pytest.raises(Forbidden):
        set_time_zone(ann, bob, "UTC")
    set_time_zone(bob, bob, "UTC")
    assert reload(bob).time_zone == "UTC"
