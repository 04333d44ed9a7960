"""Server-side login sessions: logout ends copies of the cookies, "log out everywhere",
per-browser logout on the preferences page, remember-me tokens rotating on use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bugzot.extensions import db
from bugzot.models import User, utcnow
from bugzot.models.sessions import LoginSession
from tests.conftest import PASSWORD, post_form

REMEMBER = "remember_token"


def logged_in_as(client) -> str | None:
    """The username ``client``'s cookies are logged in as, or None."""
    page = client.get("/prefs")
    if page.status_code != 200:
        return None
    return page.get_data(as_text=True).split("Preferences for ", 1)[1].split("<", 1)[0].strip()


def copy_cookies(source, target, *names: str) -> None:
    """Give ``target`` the cookies ``names`` of ``source`` (a stolen cookie)."""
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        target.set_cookie(name, cookie.value, domain=cookie.domain or "localhost")


def log_in(client, username: str, remember: bool = False):
    data = {"login": username, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = post_form(client, "/login", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def sessions_of(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(LoginSession)
                             .where(LoginSession.user_id == user.id))


def test_copied_session_cookie_dies_at_logout(app, client, make_user):
    make_user("ann")
    log_in(client, "ann")
    thief = app.test_client()
    copy_cookies(client, thief, "session")
    assert logged_in_as(thief) == "ann"
    assert post_form(client, "/logout").status_code == 302
    assert logged_in_as(client) is None
    assert logged_in_as(thief) is None  # the server forgot the session


def test_copied_remember_cookie_dies_at_logout(app, client, make_user):
    ann = make_user("ann")
    log_in(client, "ann", remember=True)
    stolen = client.get_cookie(REMEMBER).value
    post_form(client, "/logout")
    assert client.get_cookie(REMEMBER) is None  # deleted in the browser too
    thief = app.test_client()
    thief.set_cookie(REMEMBER, stolen, domain="localhost")
    assert logged_in_as(thief) is None
    assert sessions_of(ann) == 0


def test_remember_cookie_logs_back_in_and_rotates(app, client, make_user):
    make_user("ann")
    log_in(client, "ann", remember=True)
    first = client.get_cookie(REMEMBER).value
    returning = app.test_client()  # the browser restarted: no session cookie
    returning.set_cookie(REMEMBER, first, domain="localhost")
    assert logged_in_as(returning) == "ann"
    second = returning.get_cookie(REMEMBER).value
    assert second != first
    assert logged_in_as(returning) == "ann"  # on the new session cookie
    again = app.test_client()  # the new remember-me cookie works once more, and rotates
    again.set_cookie(REMEMBER, second, domain="localhost")
    assert logged_in_as(again) == "ann"
    assert again.get_cookie(REMEMBER).value not in (first, second)


def test_racing_requests_with_the_old_remember_cookie_agree_on_its_successor(app, client, make_user):
    make_user("ann")
    log_in(client, "ann", remember=True)
    old = client.get_cookie(REMEMBER).value
    tabs = [app.test_client(), app.test_client()]
    for tab in tabs:
        tab.set_cookie(REMEMBER, old, domain="localhost")
    assert [logged_in_as(tab) for tab in tabs] == ["ann", "ann"]
    assert tabs[0].get_cookie(REMEMBER).value == tabs[1].get_cookie(REMEMBER).value != old


def test_a_replaced_remember_token_used_after_the_grace_period_ends_the_session(app, client, make_user):
    ann = make_user("ann")
    log_in(client, "ann", remember=True)
    stolen = client.get_cookie(REMEMBER).value
    owner = app.test_client()
    owner.set_cookie(REMEMBER, stolen, domain="localhost")
    assert logged_in_as(owner) == "ann"  # the owner's browser came back: token rotated
    db.session.execute(update(LoginSession).values(rotated_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    thief = app.test_client()
    thief.set_cookie(REMEMBER, stolen, domain="localhost")
    assert logged_in_as(thief) is None
    assert sessions_of(ann) == 0  # a replaced token came back: that session is over
    assert logged_in_as(owner) is None


def test_log_out_everywhere(app, client, make_user):
    ann = make_user("ann")
    log_in(client, "ann")
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "ann", remember=True)
    log_in(phone, "ann")
    remembered = laptop.get_cookie(REMEMBER).value
    page = client.get("/prefs").get_data(as_text=True)
    assert "Log out everywhere" in page and page.count("this browser") == 1
    response = post_form(client, "/prefs/sessions/end-all")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert [logged_in_as(c) for c in (client, laptop, phone)] == [None, None, None]
    back = app.test_client()
    back.set_cookie(REMEMBER, remembered, domain="localhost")
    assert logged_in_as(back) is None
    assert sessions_of(ann) == 0


def test_log_out_one_other_browser_from_the_preferences(app, client, make_user):
    ann = make_user("ann")
    other = app.test_client()
    log_in(other, "ann")
    log_in(client, "ann")
    theirs = db.session.scalars(select(LoginSession.id).order_by(LoginSession.id)).first()
    assert post_form(client, f"/prefs/sessions/{theirs}/end").status_code == 302
    assert logged_in_as(other) is None
    assert logged_in_as(client) == "ann"
    assert sessions_of(ann) == 1


def test_cannot_end_someone_elses_session(app, client, make_user):
    make_user("ann")
    make_user("bob")
    bobs = app.test_client()
    log_in(bobs, "bob")
    log_in(client, "ann")
    bob_session = db.session.scalar(select(LoginSession.id).join(User).where(User.username == "bob"))
    assert post_form(client, f"/prefs/sessions/{bob_session}/end").status_code == 404
    assert logged_in_as(bobs) == "bob"


def test_password_change_ends_the_other_sessions_but_keeps_this_one(app, client, make_user):
    ann = make_user("ann")
    other = app.test_client()
    log_in(other, "ann", remember=True)
    remembered = other.get_cookie(REMEMBER).value
    log_in(client, "ann", remember=True)
    response = post_form(client, "/prefs", {
        "action": "password", "pw-current_password": PASSWORD,
        "pw-new_password": "a brand new passphrase", "pw-confirm": "a brand new passphrase"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert logged_in_as(client) == "ann"
    assert logged_in_as(other) is None
    back = app.test_client()
    back.set_cookie(REMEMBER, remembered, domain="localhost")
    assert logged_in_as(back) is None
    assert sessions_of(ann) == 1
    assert db.session.scalar(select(LoginSession.remember))  # this one is still remembered


@pytest.mark.parametrize("expired", ["session", "version"])
def test_expired_or_outdated_sessions_do_not_load(client, make_user, expired):
    ann = make_user("ann")
    log_in(client, "ann")
    if expired == "session":
        db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    else:
        db.session.execute(update(User).where(User.id == ann.id)
                           .values(session_version=User.session_version + 1))
    db.session.commit()
    assert logged_in_as(client) is None


def test_sessions_store_only_token_hashes(client, make_user):
    make_user("ann")
    log_in(client, "ann", remember=True)
    with client.session_transaction() as sess:
        token = sess["_user_id"]
    stored = db.session.execute(select(LoginSession.token_hash, LoginSession.user_agent)).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert stored.user_agent.startswith("Werkzeug")


def test_session_ids_in_the_old_format_are_refused(client, make_user):
    ann = make_user("ann")
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{ann.id}:{ann.session_version}"  # before server-side sessions
    assert logged_in_as(client) is None
