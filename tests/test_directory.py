"""Directory login against a real OpenLDAP slapd (tests/ldap_support.py), on both databases.

The slapd runs once for this module on loopback ports, with TLS from a throwaway CA:
users, groups (a nested one), a locked user, a user without mail. Logins go through
the real login form where the answer is a page, through ``accounts.authenticate``
where it is an account.
"""

from __future__ import annotations

import html

import pytest
from ldap_support import ADMINS, BACKEND, DEVELOPERS, PASSWORDS, PEOPLE, SERVICE_DN, running_slapd, user_dn
from livehttp import free_port
from sqlalchemy import select

from bugzot import ConfigError, create_app
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import User
from bugzot.services import accounts
from bugzot.services.directory import Directory, normalise_dn
from bugzot.services.external import DIRECTORY_DOWN, NO_LOCAL_PASSWORD
from tests.conftest import PASSWORD, base_config, post_form


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    with running_slapd(tmp_path_factory.mktemp("slapd") / "ldap") as server:
        yield server


@pytest.fixture
def app_config(app_config, slapd):
    """conftest's test config plus this slapd as the company directory."""
    app_config.update(slapd.config())
    return app_config


def user(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def login_page(client, login: str, password: str):
    """POST the login form; (status, page text, Location)."""
    reply = post_form(client, "/login", {"login": login, "password": password})
    return reply.status_code, html.unescape(reply.get_data(as_text=True)), reply.headers.get("Location")


# -- logging in ---------------------------------------------------------------------
def test_first_login_by_username_creates_the_account_from_the_directory(app, client):
    status, _page, location = login_page(client, "alice", PASSWORDS["alice"])
    assert status == 302 and location == "/"
    alice = user("alice")
    assert (alice.email, alice.real_name, alice.role.name) == ("alice@bugzot.test", "Alice Adams", "Admin")
    assert alice.account_source == "directory" and alice.is_active
    assert alice.password_hash == NO_LOCAL_PASSWORD and alice.last_login_at is not None
    assert "Alice Adams" in client.get("/prefs").get_data(as_text=True)


def test_login_by_email_any_case(app, client):
    status, _page, _ = login_page(client, "BOB.brown@bugzot.TEST", PASSWORDS["bob"])
    assert status == 302
    bob = user("bob")
    assert bob.email == "bob.brown@bugzot.test" and bob.role.name == "Reporter"  # no mapped group


@pytest.mark.parametrize("login, password", [
    ("alice", "wrong-password"),
    ("alice", ""),  # an empty password would be an anonymous bind, which "succeeds"
    ("zed", "zed-password"),  # not in the directory
    ("carol", PASSWORDS["carol"]),  # locked by ppolicy: disabled
    ("*", PASSWORDS["alice"]),  # filter characters are escaped, not a wildcard
    ("alice)(uid=*", PASSWORDS["alice"]),
], ids=["wrong-password", "empty-password", "unknown", "disabled", "wildcard", "filter-injection"])
def test_refused_directory_logins_create_nothing(app, login, password):
    assert accounts.authenticate(login, password) is None
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


def test_refused_login_on_the_form_says_the_usual(app, client):
    status, page, _ = login_page(client, "carol", PASSWORDS["carol"])
    assert status == 200 and "Wrong username/email or password" in page


def test_nested_group_gives_its_role(app):
    erin = accounts.authenticate("erin", PASSWORDS["erin"])
    assert erin.role.name == "Employee"  # erin is in backend, which is in developers


def test_role_name_and_mail_follow_the_directory_at_each_login(app, slapd):
    assert accounts.authenticate("bob", PASSWORDS["bob"]).role.name == "Reporter"
    slapd.add_member(ADMINS, user_dn("bob"))
    slapd.set_attribute(user_dn("bob"), "cn", "Robert Brown")
    try:
        bob = accounts.authenticate("bob", PASSWORDS["bob"])
        assert (bob.role.name, bob.real_name) == ("Admin", "Robert Brown")
        slapd.remove_member(ADMINS, user_dn("bob"))
        slapd.set_attribute(user_dn("bob"), "mail", "robert@bugzot.test")
        bob = accounts.authenticate("bob", PASSWORDS["bob"])
        assert (bob.role.name, bob.email) == ("Reporter", "robert@bugzot.test")
    finally:
        slapd.set_attribute(user_dn("bob"), "cn", "Bob Brown")
        slapd.set_attribute(user_dn("bob"), "mail", "Bob.Brown@Bugzot.test")
        with slapd.admin() as conn:  # in case the test failed before removing it
            conn.modify(ADMINS, {"member": [("MODIFY_DELETE", [user_dn("bob")])]})
    assert user("bob").account_source == "directory"


def test_without_a_role_mapping_admins_keep_deciding_roles(app):
    app.config["DIRECTORY_GROUP_ROLES"] = {}
    alice = accounts.authenticate("alice", PASSWORDS["alice"])
    assert alice.role.name == "Reporter"  # DIRECTORY_DEFAULT_ROLE for a new account
    from bugzot.services.roles import role_by_name

    alice.role = role_by_name("Supervisor")
    db.session.commit()
    assert accounts.authenticate("alice", PASSWORDS["alice"]).role.name == "Supervisor"


def test_no_default_role_means_only_mapped_groups_may_log_in(app, client):
    app.config["DIRECTORY_DEFAULT_ROLE"] = None
    status, page, _ = login_page(client, "bob", PASSWORDS["bob"])
    assert status == 403 and "not in a group that may use BugZot" in page
    assert user("bob") is None
    assert accounts.authenticate("alice", PASSWORDS["alice"]).role.name == "Admin"


def test_entry_without_mail_is_a_clear_message(app, client):
    status, page, _ = login_page(client, "nomail", PASSWORDS["nomail"])
    assert status == 400 and "has no valid email address" in page
    assert user("nomail") is None


def test_account_disabled_in_bugzot_stays_out(app):
    alice = accounts.authenticate("alice", PASSWORDS["alice"])
    alice.is_active = False
    db.session.commit()
    assert accounts.authenticate("alice", PASSWORDS["alice"]) is None


# -- local accounts beside the directory ------------------------------------------------
def test_local_accounts_keep_their_own_password(app, make_user):
    make_user("ann")  # not in the directory
    assert accounts.authenticate("ann", PASSWORD).account_source == "local"
    assert accounts.authenticate("ann", "wrong-password") is None


def test_local_account_with_the_directory_users_name_and_mail_is_taken_over(app, make_user):
    make_user("alice", email="alice@bugzot.test")
    app.config["LOCAL_LOGIN"] = "admins"  # local passwords only for admins now
    alice = accounts.authenticate("alice", PASSWORDS["alice"])
    assert alice.account_source == "directory" and alice.password_hash == NO_LOCAL_PASSWORD
    assert accounts.authenticate("alice", PASSWORD) is None  # the old local password is gone


def test_local_account_with_another_mail_is_never_merged(app, client, make_user):
    make_user("alice", email="someone-else@example.com")
    app.config["LOCAL_LOGIN"] = "none"
    status, page, _ = login_page(client, "alice", PASSWORDS["alice"])
    assert status == 409 and "already has a local account 'alice'" in page
    assert user("alice").account_source == "local"


@pytest.mark.parametrize("mode, admin_ok, reporter_ok", [
    ("all", True, True), ("admins", True, False), ("none", False, False)])
def test_local_login_can_be_limited_to_admins_or_switched_off(app, make_user, mode, admin_ok, reporter_ok):
    make_user("root", role="Admin")
    make_user("ann", role="Reporter")
    app.config["LOCAL_LOGIN"] = mode
    assert (accounts.authenticate("root", PASSWORD) is not None) is admin_ok
    assert (accounts.authenticate("ann", PASSWORD) is not None) is reporter_ok
    assert accounts.authenticate("erin", PASSWORDS["erin"]) is not None  # directory: always


def test_local_login_off_also_turns_off_registration(tmp_path, database_urls):
    app = create_app({**base_config(tmp_path, database_urls["sqlite"]), "LOCAL_LOGIN": "admins"})
    assert app.config["ALLOW_REGISTRATION"] is False
    assert app.test_client().get("/register").status_code == 404


def test_directory_accounts_have_no_bugzot_password_to_reset_or_change(app, client, outbox):
    alice = accounts.authenticate("alice", PASSWORDS["alice"])
    accounts.request_password_reset("alice")
    mail = outbox()[-1]
    assert "company" in mail["Subject"] and "/reset-password/" not in mail.get_payload(decode=True).decode()
    with pytest.raises(ServiceError, match="come from your company account"):
        accounts.change_password(alice, PASSWORDS["alice"], "a-new-password")
    with pytest.raises(ServiceError, match="come from your company account"):
        accounts.request_email_change(alice, "new@example.com", PASSWORDS["alice"])


# -- the directory down, TLS, servers -----------------------------------------------------
def test_directory_down_is_a_clear_message_and_local_admins_still_log_in(app, client, make_user):
    make_user("root", role="Admin")
    app.config["DIRECTORY_URL"] = f"ldaps://127.0.0.1:{free_port()}"  # nothing listens there
    status, page, _ = login_page(client, "alice", PASSWORDS["alice"])
    assert status == 503 and DIRECTORY_DOWN in page
    status, _page, location = login_page(client, "root", PASSWORD)
    assert status == 302 and location == "/"


def test_wrong_service_password_is_reported_as_directory_down(app, client):
    app.config["DIRECTORY_BIND_PASSWORD"] = "not-the-service-password"
    status, page, _ = login_page(client, "alice", PASSWORDS["alice"])
    assert status == 503 and DIRECTORY_DOWN in page


def test_certificate_from_an_unknown_ca_is_refused(app, slapd, tmp_path):
    from ldap_support import make_certificates

    other_ca = make_certificates(tmp_path)[0]
    app.config["DIRECTORY_CA_FILE"] = str(other_ca)
    with pytest.raises(ServiceError) as refused:
        accounts.authenticate("alice", PASSWORDS["alice"])
    assert refused.value.status == 503


def test_certificate_for_another_host_name_is_refused(app, slapd):
    # The certificate names localhost only; 127.0.0.1 reaches the same slapd.
    app.config["DIRECTORY_URL"] = slapd.ldaps_url.replace("localhost", "127.0.0.1")
    with pytest.raises(ServiceError) as refused:
        accounts.authenticate("alice", PASSWORDS["alice"])
    assert refused.value.status == 503


def test_starttls_on_the_plain_port(app, slapd):
    app.config.update(DIRECTORY_URL=slapd.ldap_url, DIRECTORY_STARTTLS=True)
    assert accounts.authenticate("erin", PASSWORDS["erin"]).role.name == "Employee"


def test_a_directory_that_is_down_fails_within_its_timeout(app, slapd):
    """Every server refusing the connection is a prompt DirectoryUnavailable, not a wait
    (ldap3's ServerPool slept 10 s before giving up, whatever DIRECTORY_TIMEOUT said)."""
    import time

    app.config.update(DIRECTORY_TIMEOUT=3, DIRECTORY_URL=[f"ldaps://localhost:{free_port()}",
                                                          f"ldaps://localhost:{free_port()}"])
    started = time.monotonic()
    with pytest.raises(ServiceError, match="directory cannot be reached"):
        accounts.authenticate("alice", PASSWORDS["alice"])
    assert time.monotonic() - started < 3


def test_second_server_answers_when_the_first_is_down(app, slapd):
    app.config["DIRECTORY_URL"] = [f"ldaps://localhost:{free_port()}", slapd.ldaps_url]
    assert accounts.authenticate("alice", PASSWORDS["alice"]) is not None


@pytest.mark.parametrize("setting, message", [
    ({"DIRECTORY_URL": "ldap://ldap.example.com"}, "would send passwords in clear"),
    ({"DIRECTORY_URL": "http://ldap.example.com"}, "is not ldaps://"),
    ({"DIRECTORY_USER_BASE": None}, "DIRECTORY_USER_BASE is not set"),
    ({"DIRECTORY_USER_FILTER": "(uid=alice)"}, "must contain {login}"),
    ({"DIRECTORY_NESTED_GROUPS": "deep"}, "DIRECTORY_NESTED_GROUPS must be one of"),
    ({"DIRECTORY_BIND_PASSWORD": None}, "Set both DIRECTORY_BIND_DN"),
    ({"LOCAL_LOGIN": "some"}, "LOCAL_LOGIN must be one of"),
])
def test_unworkable_settings_stop_the_app_at_start_up(slapd, tmp_path, setting, message):
    config = {**base_config(tmp_path, "sqlite://"), **slapd.config(), **setting}
    with pytest.raises(ConfigError, match=message):
        create_app(config)


# -- the Directory class itself --------------------------------------------------------------
def test_lookup_by_username_for_single_sign_on(app, slapd):
    directory = Directory.from_config(app.config)
    erin = directory.lookup("erin")
    assert erin.email == "erin@bugzot.test" and normalise_dn(DEVELOPERS) in erin.groups
    assert directory.lookup("erin@bugzot.test") is None  # SSO names are usernames only
    assert directory.lookup("zed") is None


def test_recursive_group_search_stops_at_cycles(app, slapd):
    slapd.add_member(BACKEND, DEVELOPERS)  # developers > backend > developers
    try:
        erin = Directory.from_config(app.config).lookup("erin")
        assert erin.groups == {normalise_dn(DEVELOPERS), normalise_dn(BACKEND)}
    finally:
        slapd.remove_member(BACKEND, DEVELOPERS)


def test_nested_groups_off_reads_direct_membership_only(app):
    app.config["DIRECTORY_NESTED_GROUPS"] = "off"
    assert accounts.authenticate("erin", PASSWORDS["erin"]).role.name == "Reporter"


def test_group_dns_are_compared_in_any_spelling():
    assert normalise_dn("CN=Bugzot-Admins, OU=Groups,DC=bugzot, dc=test") == \
        normalise_dn(ADMINS)
    assert normalise_dn(SERVICE_DN) != normalise_dn(PEOPLE)
