"""Single sign-on in the app, on both databases: REMOTE_USER as mod_wsgi hands it over.

The requests carry the two environ keys mod_wsgi sets (``mod_wsgi.version`` and
``REMOTE_USER``), as tests/test_sso_apache.py gets them from a real Apache; here the
account rules run on SQLite and PostgreSQL. Directory look-ups use a real slapd.
"""

from __future__ import annotations

import html

import pytest
from ldap_support import PASSWORDS, running_slapd
from livehttp import free_port
from sqlalchemy import select

from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import User
from bugzot.services.sso import remote_user, username_for
from tests.conftest import PASSWORD, post_form

MOD_WSGI = {"mod_wsgi.version": (6, 1, 1)}


def apache(name: str) -> dict:
    """The environ of a request Apache authenticated as ``name``."""
    return {**MOD_WSGI, "REMOTE_USER": name}


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    with running_slapd(tmp_path_factory.mktemp("slapd") / "ldap") as server:
        yield server


@pytest.fixture
def app_config(app_config):
    app_config.update(TRUST_REMOTE_USER=True, REMOTE_USER_REALMS=["BUGZOT.TEST", "BUGZOT"])
    return app_config


def whoami(client, environ: dict | None = None) -> str | None:
    page = client.get("/prefs", environ_base=environ or {})
    return None if page.status_code != 200 else text(page).split(
        "Preferences for ", 1)[1].split("<", 1)[0].strip()


def text(page) -> str:
    return html.unescape(page.get_data(as_text=True))


def account(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


# -- which names count ------------------------------------------------------------------
@pytest.mark.parametrize("remote, expected", [
    ("alice", "alice"), ("alice@BUGZOT.TEST", "alice"), ("Alice@bugzot.test", "alice"),
    ("BUGZOT\\alice", "alice"), ("bugzot\\Alice", "alice")])
def test_listed_realms_and_domains_are_stripped(remote, expected):
    assert username_for(remote, ["BUGZOT.TEST", "BUGZOT"]) == expected


@pytest.mark.parametrize("remote", [
    "alice@OTHER.REALM", "OTHER\\alice", "NT AUTHORITY\\ANONYMOUS LOGON", "alice/admin@BUGZOT.TEST",
    "an other", ""])
def test_other_realms_and_odd_names_are_refused(remote):
    with pytest.raises(ServiceError):
        username_for(remote, ["BUGZOT.TEST", "BUGZOT"])


def test_only_mod_wsgis_remote_user_counts():
    on = {"TRUST_REMOTE_USER": True}
    assert remote_user(apache("alice"), on) == "alice"
    assert remote_user(apache("alice"), {"TRUST_REMOTE_USER": False}) is None
    assert remote_user({"REMOTE_USER": "alice"}, on) is None  # not under mod_wsgi
    forged = {**MOD_WSGI, "HTTP_REMOTE_USER": "alice", "HTTP_X_REMOTE_USER": "alice"}
    assert remote_user(forged, on) is None  # request headers never count


# -- signing in ---------------------------------------------------------------------------
def test_known_local_account_is_signed_in(app, client, make_user):
    make_user("ann")
    assert whoami(client, apache("ann@BUGZOT.TEST")) == "ann"
    assert whoami(client) == "ann"  # the session carries on without REMOTE_USER
    assert account("ann").account_source == "local" and account("ann").last_login_at is not None


def test_rest_api_requests_open_no_session(app, client, make_user):
    make_user("ann")
    reply = client.get("/rest/version", environ_base=apache("ann"))
    assert reply.status_code == 200 and "Set-Cookie" not in reply.headers
    assert whoami(client) is None


def test_setting_off_or_no_mod_wsgi_signs_nobody_in(app, client, make_user):
    make_user("ann")
    assert whoami(client, {"REMOTE_USER": "ann"}) is None  # e.g. the development server
    app.config["TRUST_REMOTE_USER"] = False
    assert whoami(client, apache("ann")) is None


def test_unknown_user_without_directory_gets_a_clear_page(app, client):
    page = client.get("/", environ_base=apache("zed"))
    assert page.status_code == 403 and "no account by that name" in text(page)
    assert account("zed") is None


def test_login_form_stays_usable_when_apaches_user_has_no_account(app, client, make_user):
    make_user("root", role="Admin")
    form = client.get("/login", environ_base=apache("zed"))
    assert form.status_code == 200 and "no account by that name" in text(form)
    reply = post_form(client, "/login", {"login": "root", "password": PASSWORD},
                      environ_base=apache("zed"))
    assert reply.status_code == 302
    assert whoami(client, apache("zed")) == "root"


def test_unknown_user_gets_an_account_with_the_mail_domain(app, client):
    app.config["REMOTE_USER_EMAIL_DOMAIN"] = "bugzot.test"
    assert whoami(client, apache("BUGZOT\\Zed")) == "zed"
    zed = account("zed")
    assert (zed.email, zed.account_source, zed.role.name) == ("zed@bugzot.test", "sso", "Reporter")


def test_disabled_account_is_refused(app, client, make_user):
    make_user("ann", active=False)
    page = client.get("/", environ_base=apache("ann"))
    assert page.status_code == 403 and "is disabled" in text(page)


def test_foreign_realm_is_refused_with_a_page(app, client, make_user):
    make_user("ann")
    page = client.get("/", environ_base=apache("ann@EVIL.EXAMPLE"))
    assert page.status_code == 403
    assert "does not accept users of 'EVIL.EXAMPLE'" in text(page)


def test_a_password_login_is_not_overridden(app, client, auth, make_user):
    make_user("ann")
    make_user("root", role="Admin")
    auth.login("root")
    assert whoami(client, apache("ann")) == "root"


def test_apaches_user_changing_switches_the_session(app, client, make_user):
    make_user("ann")
    make_user("bob")
    assert whoami(client, apache("ann")) == "ann"
    assert whoami(client, apache("bob")) == "bob"


def test_logout_pauses_sign_in_until_asked(app, client, make_user):
    make_user("ann")
    assert whoami(client, apache("ann")) == "ann"
    out = post_form(client, "/logout", environ_base=apache("ann"))
    assert out.status_code == 200 and "Sign in again" in out.get_data(as_text=True)
    assert whoami(client, apache("ann")) is None
    login = client.get("/login", environ_base=apache("ann")).get_data(as_text=True)
    assert "Sign in with your company account" in login
    again = client.get("/login/sso?next=/prefs", environ_base=apache("ann"))
    assert again.status_code == 302 and again.headers["Location"] == "/prefs"
    assert whoami(client, apache("ann")) == "ann"


def test_sso_button_without_apache_sign_in_explains(app, client):
    page = client.get("/login/sso")
    assert page.status_code == 403 and "did not sign you in" in text(page)


def test_password_logout_still_goes_to_the_login_form(app, client, auth, make_user):
    make_user("ann")
    auth.login("ann")
    out = auth.logout()
    assert out.status_code == 302 and out.headers["Location"] == "/login"


# -- with the directory -------------------------------------------------------------------
def test_new_user_is_created_from_the_directory(app, client, slapd):
    app.config.update(slapd.config())
    assert whoami(client, apache("erin@BUGZOT.TEST")) == "erin"
    erin = account("erin")
    assert (erin.email, erin.real_name, erin.role.name) == ("erin@bugzot.test", "Erin Evans", "Employee")
    assert erin.account_source == "sso"


def test_user_missing_from_the_directory_is_refused(app, client, slapd):
    app.config.update(slapd.config(), REMOTE_USER_EMAIL_DOMAIN="bugzot.test")
    page = client.get("/", environ_base=apache("zed"))
    assert page.status_code == 403 and "has no such (enabled) user" in text(page)


def test_directory_down_still_signs_known_accounts_in(app, client, slapd):
    app.config.update(slapd.config())
    assert whoami(client, apache("erin")) == "erin"
    app.config["DIRECTORY_URL"] = f"ldaps://localhost:{free_port()}"
    other = app.test_client()
    assert whoami(other, apache("erin")) == "erin"
    page = other.get("/", environ_base=apache("alice"))  # unknown: needs the directory
    assert page.status_code == 503 and "cannot be reached" in text(page)


def test_directory_and_sso_accounts_are_the_same_account(app, client, slapd):
    from bugzot.services import accounts

    app.config.update(slapd.config())
    assert accounts.authenticate("alice", PASSWORDS["alice"]).account_source == "directory"
    assert whoami(client, apache("alice")) == "alice"
    assert account("alice").account_source == "directory"  # it stays where it came from
    assert accounts.authenticate("alice", PASSWORD) is None


def test_admin_users_page_shows_where_each_account_comes_from(app, client, auth, make_user, slapd):
    app.config.update(slapd.config(), REMOTE_USER_EMAIL_DOMAIN="bugzot.test")
    from bugzot.services import accounts

    make_user("root", role="Admin")
    accounts.authenticate("erin", PASSWORDS["erin"])  # a directory login
    app.config["DIRECTORY_URL"] = None
    assert whoami(app.test_client(), apache("zed")) == "zed"  # an SSO account without directory
    auth.login("root")
    page = text(client.get("/admin/users"))
    page = page[page.index("<tbody>"):]
    for username, source in (("root", "local"), ("erin", "directory"), ("zed", "sso")):
        row = page[page.index(f">{username}</a>"):]
        assert f">{source}</td>" in row[:row.index("</tr>")], username
