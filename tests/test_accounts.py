"""Login, logout, registration with activation, password reset, and no enumeration."""

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bugzot.extensions import db
from bugzot.models import ActivationKey, User, utcnow
from bugzot.models.sessions import LoginSession
from tests.conftest import CSRF_RE, PASSWORD, csrf_token, mail_link, post_form


def current_username(client) -> str | None:
    page = client.get("/prefs")
    if page.status_code != 200:
        return None
    text = page.get_data(as_text=True)
    return text.split("Preferences for ", 1)[1].split("<", 1)[0].strip()


# -- login ----------------------------------------------------------------------
def test_login_by_username(client, auth, make_user):
    make_user("ann")
    response = auth.login("ann")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert current_username(client) == "ann"


def test_login_by_email_any_case(client, auth, make_user):
    make_user("bob", email="Bob.Smith@example.com")
    assert auth.login("BOB.smith@EXAMPLE.com").status_code == 302
    assert current_username(client) == "bob"


def test_login_records_last_login(app, auth, make_user):
    user = make_user("cid")
    assert user.last_login_at is None
    auth.login("cid")
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is not None


@pytest.mark.parametrize("login,password", [
    ("ann", "wrong-password"),  # wrong password
    ("nobody", PASSWORD),  # unknown user
    ("nobody@example.com", PASSWORD),  # unknown email
    ("sleepy", PASSWORD),  # inactive account, right password
])
def test_failed_logins_look_identical(client, auth, make_user, login, password):
    make_user("ann")
    make_user("sleepy", active=False)
    response = auth.login(login, password)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Wrong username/email or password, or the account is not activated yet." in body
    assert current_username(client) is None


def test_login_form_errors_for_missing_fields(client):
    response = post_form(client, "/login", {"login": "", "password": ""})
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("This field is required.") == 2


def test_logout_ends_the_session(client, auth, make_user):
    make_user("ann")
    auth.login("ann")
    assert auth.logout().status_code == 302
    assert current_username(client) is None


def test_logout_by_get_is_refused(client, auth, make_user):
    make_user("ann")
    auth.login("ann")
    assert client.get("/logout").status_code == 405
    assert current_username(client) == "ann"


def test_session_is_renewed_at_login(client, auth, make_user):
    make_user("ann")
    with client.session_transaction() as sess:
        sess["planted"] = "by-attacker"
    auth.login("ann")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        token = sess["_user_id"]  # a login session's token, never the user's id
    login = db.session.scalar(select(LoginSession))
    assert login.user_id == db.session.scalar(select(User.id))
    assert login.token_hash == hashlib.sha256(token.encode()).hexdigest() != token


def test_disabled_user_is_logged_out(client, auth, make_user):
    user = make_user("ann")
    auth.login("ann")
    user.is_active = False
    db.session.commit()
    assert current_username(client) is None


# -- next= redirects ---------------------------------------------------------------
@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "https://evil.example", "http:/evil.example",
    "javascript:alert(1)", "/\t/evil.example", "\\\\evil.example",
])
def test_next_never_leaves_the_site(client, auth, make_user, target):
    make_user("ann")
    response = post_form(client, "/login", {"login": "ann", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_to_a_local_path_is_followed(client, make_user):
    make_user("ann")
    response = post_form(client, "/login", {"login": "ann", "password": PASSWORD,
                                            "next": "/prefs?tab=1"})
    assert response.headers["Location"] == "/prefs?tab=1"


def test_login_page_carries_next_from_the_redirect(client):
    response = client.get("/prefs")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/prefs"' in page


# -- CSRF --------------------------------------------------------------------------
def test_form_post_without_csrf_token_is_rejected(client, make_user):
    make_user("ann")
    response = client.post("/login", data={"login": "ann", "password": PASSWORD})
    assert response.status_code == 400
    assert "form expired or was not sent from this site" in response.get_data(as_text=True)
    assert current_username(client) is None


def test_form_post_with_a_foreign_token_is_rejected(app, client, make_user):
    make_user("ann")
    other = app.test_client()
    token = csrf_token(other)
    csrf_token(client)  # give this client a session of its own
    response = client.post("/login", data={"login": "ann", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 400


# -- registration and activation ------------------------------------------------------
def register(client, username="newbie", email="newbie@example.com", password=PASSWORD):
    return post_form(client, "/register", {"username": username, "email": email,
                                           "real_name": "New Bie", "password": password,
                                           "confirm": password})


def test_registration_activation_then_login(client, auth, outbox):
    response = register(client)
    assert response.status_code == 200
    assert "Check your mail" in response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    assert user is not None and not user.is_active
    assert auth.login("newbie").status_code == 200  # not active yet
    [mail] = outbox()
    assert mail["To"] == "newbie@example.com"
    link = mail_link(mail, "/activate/")
    assert client.get(link).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).is_active
    assert auth.login("newbie").status_code == 302


def test_activation_key_is_single_use(client, outbox):
    register(client)
    link = mail_link(outbox()[0], "/activate/")
    assert client.get(link).status_code == 302
    reused = client.get(link)
    assert reused.status_code == 400
    assert "invalid, was already used, or has expired" in reused.get_data(as_text=True)


def test_expired_activation_key_is_refused(client, outbox):
    register(client)
    link = mail_link(outbox()[0], "/activate/")
    key = db.session.scalar(select(ActivationKey))
    key.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(link).status_code == 400
    assert not db.session.scalar(select(User.is_active).where(User.username == "newbie"))


@pytest.mark.parametrize("tamper", [lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),
                                    lambda k: k + "x", lambda k: k[:10], lambda k: "x" * 200])
def test_tampered_activation_key_is_refused(client, outbox, tamper):
    register(client)
    link = mail_link(outbox()[0], "/activate/")
    key = link.rsplit("/", 1)[1]
    assert client.get("/activate/" + tamper(key)).status_code == 400
    assert not db.session.scalar(select(User.is_active).where(User.username == "newbie"))


def test_activation_keys_are_stored_hashed(client, outbox):
    register(client)
    key = mail_link(outbox()[0], "/activate/").rsplit("/", 1)[1]
    stored = db.session.scalar(select(ActivationKey.key_hash))
    assert key not in stored and len(stored) == 64


def test_resend_activation_sends_a_new_key_and_kills_the_old(client, outbox):
    register(client)
    old = mail_link(outbox()[0], "/activate/")
    response = post_form(client, "/activate", {"login": "newbie"})
    assert "Check your mail" in response.get_data(as_text=True)
    new = mail_link(outbox()[1], "/activate/")
    assert new != old
    assert client.get(old).status_code == 400
    assert client.get(new).status_code == 302


def test_registration_answers_identically_for_taken_email_and_username(client, make_user, outbox):
    make_user("taken", email="taken@example.com")
    fresh = register(client, "fresh", "fresh@example.com").get_data(as_text=True)
    dup_email = register(client, "other", "taken@example.com").get_data(as_text=True)
    dup_name = register(client, "taken", "someone@example.com").get_data(as_text=True)

    def normal(page, email):
        # CSRF tokens carry a timestamp, so pages rendered a second apart differ there.
        return re.sub(r'(csrf_token|csrf-token)" (value|content)="[^"]+"', "TOKEN",
                      page.replace(email, "EMAIL"))

    assert normal(fresh, "fresh@example.com") == normal(dup_email, "taken@example.com") \
        == normal(dup_name, "someone@example.com")
    # The owner of the address learns what happened; no second account exists.
    subjects = [m["Subject"] for m in outbox()]
    assert "BugZot: someone tried to register with your address" in subjects
    assert "BugZot: that username is taken" in subjects
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 2


@pytest.mark.parametrize("fields,message", [
    ({"username": ""}, "This field is required."),
    ({"username": "x" * 65}, "Field must be between 2 and 64 characters long."),
    ({"username": "bad name!"}, "Usernames are 2-64 characters"),
    ({"email": "not-an-email"}, "Invalid email address."),
    ({"password": "short", "confirm": "short"}, "Use at least 12 characters"),
    ({"confirm": "something-else"}, "The passwords differ."),
])
def test_registration_form_errors(client, fields, message):
    data = {"username": "newbie", "email": "newbie@example.com", "real_name": "",
            "password": PASSWORD, "confirm": PASSWORD, **fields}
    response = post_form(client, "/register", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User.id).where(User.username == "newbie")) is None


def test_registration_can_be_switched_off(app, client):
    app.config["ALLOW_REGISTRATION"] = False
    assert client.get("/register").status_code == 404


# -- password reset -----------------------------------------------------------------
def test_password_reset_flow(client, auth, make_user, outbox):
    make_user("ann")
    response = post_form(client, "/reset-password", {"login": "ann@example.com"})
    assert "Check your mail" in response.get_data(as_text=True)
    link = mail_link(outbox()[0], "/reset-password/")
    assert client.get(link).status_code == 200
    new = "a-brand-new-secret"
    response = post_form(client, link, {"password": new, "confirm": new})
    assert response.status_code == 302
    assert auth.login("ann", PASSWORD).status_code == 200  # old password gone
    assert auth.login("ann", new).status_code == 302
    auth.logout()
    assert client.get(link).status_code == 400  # single use


def test_reset_logs_out_other_sessions(app, client, auth, make_user, outbox):
    make_user("ann")
    auth.login("ann")
    other = app.test_client()
    post_form(other, "/reset-password", {"login": "ann"})
    link = mail_link(outbox()[0], "/reset-password/")
    post_form(other, link, {"password": "another-secret-1", "confirm": "another-secret-1"})
    assert current_username(client) is None


def test_expired_reset_key_is_refused(client, make_user, outbox):
    make_user("ann")
    post_form(client, "/reset-password", {"login": "ann"})
    link = mail_link(outbox()[0], "/reset-password/")
    key = db.session.scalar(select(ActivationKey))
    key.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(link).status_code == 400
    assert post_form(client, link, {"password": "x" * 12, "confirm": "x" * 12}).status_code == 400


def test_activation_key_is_not_a_reset_key(client, outbox):
    register(client)
    key = mail_link(outbox()[0], "/activate/").rsplit("/", 1)[1]
    assert client.get("/reset-password/" + key).status_code == 400


def test_reset_answers_identically_for_unknown_accounts(client, make_user, outbox):
    make_user("ann")
    known = post_form(client, "/reset-password", {"login": "ann"}).get_data(as_text=True)
    unknown = post_form(client, "/reset-password", {"login": "ghost"}).get_data(as_text=True)
    assert CSRF_RE.sub("", known) == CSRF_RE.sub("", unknown)
    assert len(outbox()) == 1


def test_links_use_base_url_not_the_host_header(client, make_user, outbox):
    make_user("ann")
    evil = "http://evil.example"
    page = client.get("/reset-password", base_url=evil).get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    client.post("/reset-password", base_url=evil, data={"login": "ann", "csrf_token": token})
    body = outbox()[0].get_payload(decode=True).decode()
    assert "http://bugzot.test/reset-password/" in body
    assert "evil.example" not in body
