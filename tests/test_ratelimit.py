"""Rate limits on the account endpoints: per client address, per account, failed logins
only, X-Forwarded-For only behind a trusted proxy, shared through Redis, clear 429s."""

from __future__ import annotations

import pytest
from redis_support import running_redis

from bugzot import create_app
from tests.conftest import PASSWORD, IsolatedClient, post_form

ALICE, BOB = "198.51.100.7", "198.51.100.8"  # client addresses (documentation range)


def _login(client, login: str, password: str, address: str = ALICE, **headers):
    return post_form(client, "/login", {"login": login, "password": password},
                     environ_base={"REMOTE_ADDR": address}, headers=headers)


@pytest.fixture
def limited(live_app, live_app_config, tmp_path):
    """Factory: a test client of an app of its own (on the committing database, so it sees
    the test's users) with rate limits on and these settings, e.g. limits small enough to
    reach in a test."""

    def make(**settings):
        config = {**live_app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": "100 per minute",
                  "RATELIMIT_LOGIN_ACCOUNT": "100 per minute", **settings}
        limited_app = create_app(config, instance_path=str(tmp_path / "limited"))
        limited_app.test_client_class = IsolatedClient
        return limited_app.test_client()

    return make


def test_failed_logins_are_limited_per_account_across_addresses(limited, make_user):
    client = limited(RATELIMIT_LOGIN_ACCOUNT="3 per minute")
    make_user("ann")
    for address in (ALICE, BOB, ALICE):
        assert _login(client, "ann", "wrong-password-1", address).status_code == 200
    refused = _login(client, "ANN", "wrong-password-1", "203.0.113.9")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    # even the right password: a limit that let it through would confirm guesses
    assert _login(client, "ann", PASSWORD, BOB).status_code == 429
    assert _login(client, "someone-else", "wrong-password-1", BOB).status_code == 200


def test_successful_logins_do_not_count_against_the_account(limited, make_user):
    make_user("ann")
    for _ in range(4):
        client = limited(RATELIMIT_LOGIN_ACCOUNT="2 per minute")  # a new browser each time
        assert _login(client, "ann", PASSWORD).status_code == 302


def test_logins_are_limited_per_address(limited, make_user):
    client = limited(RATELIMIT_LOGIN="4 per minute")
    for n in range(4):
        assert _login(client, f"user{n}", "wrong-password-1").status_code == 200
    assert _login(client, "user9", "wrong-password-1").status_code == 429
    assert _login(client, "user9", "wrong-password-1", BOB).status_code == 200  # another address
    assert client.get("/login", environ_base={"REMOTE_ADDR": ALICE}).status_code == 200  # GETs are free


def test_forwarded_for_is_ignored_without_a_trusted_proxy(limited):
    client = limited(RATELIMIT_LOGIN="2 per minute")
    for n in range(2):
        _login(client, "x", "wrong-password-1", **{"X-Forwarded-For": f"203.0.113.{n}"})
    assert _login(client, "x", "wrong-password-1", **{"X-Forwarded-For": "203.0.113.50"}).status_code == 429


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(limited):
    client = limited(RATELIMIT_LOGIN="2 per minute", TRUSTED_PROXIES=1)
    proxy = "127.0.0.1"
    for _ in range(2):
        _login(client, "x", "wrong-password-1", proxy, **{"X-Forwarded-For": "203.0.113.1"})
    assert _login(client, "x", "wrong-password-1", proxy,
                  **{"X-Forwarded-For": "203.0.113.1"}).status_code == 429
    # another client behind the same proxy has its own count; a forged left-most entry
    # does not help (the proxy appends the real peer on the right)
    assert _login(client, "x", "wrong-password-1", proxy,
                  **{"X-Forwarded-For": "203.0.113.1, 203.0.113.2"}).status_code == 200


@pytest.mark.parametrize("path,field", [("/reset-password", "login"), ("/activate", "login")])
def test_mail_requests_are_limited_per_account_and_shared_between_reset_and_resend(
        limited, make_user, outbox, path, field):
    client = limited(RATELIMIT_MAIL_ACCOUNT="2 per hour")
    make_user("ann")
    for address in (ALICE, BOB):
        response = post_form(client, path, {field: "ann"}, environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200
    other = "/activate" if path == "/reset-password" else "/reset-password"
    response = post_form(client, other, {field: "ann"}, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert response.status_code == 429


def test_registration_is_limited_per_address(limited):
    client = limited(RATELIMIT_REGISTER="2 per hour")
    for n in range(2):
        response = post_form(client, "/register", {
            "username": f"new{n}", "email": f"new{n}@example.com", "password": PASSWORD,
            "confirm": PASSWORD}, environ_base={"REMOTE_ADDR": ALICE})
        assert response.status_code == 200
    refused = post_form(client, "/register", {
        "username": "new9", "email": "new9@example.com", "password": PASSWORD, "confirm": PASSWORD},
        environ_base={"REMOTE_ADDR": ALICE})
    assert refused.status_code == 429


def test_429_answers_json_to_json_clients(limited):
    client = limited(RATELIMIT_LOGIN="1 per minute")
    _login(client, "x", "wrong-password-1")
    refused = _login(client, "x", "wrong-password-1", Accept="application/json")
    assert refused.status_code == 429
    assert refused.get_json() == {"error": True, "code": 429, "message": refused.get_json()["message"]}
    assert "Too many attempts" in refused.get_json()["message"]


def test_limits_are_shared_through_redis(live_app, live_app_config, tmp_path, make_user):
    with running_redis() as url:
        config = {**live_app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": url,
                  "RATELIMIT_LOGIN_ACCOUNT": "3 per minute"}
        # two app instances (two processes or two Apache servers) on one Redis
        first = create_app(config, instance_path=str(tmp_path / "one"))
        second = create_app(config, instance_path=str(tmp_path / "two"))
        make_user("ann")
        a, b = first.test_client(), second.test_client()
        assert _login(a, "ann", "wrong-password-1").status_code == 200
        assert _login(b, "ann", "wrong-password-1").status_code == 200
        assert _login(a, "ann", "wrong-password-1").status_code == 200
        assert _login(b, "ann", "wrong-password-1").status_code == 429


def test_an_unreachable_redis_falls_back_to_memory(live_app, live_app_config, tmp_path, make_user):
    with running_redis() as url:
        pass  # stopped again: nothing listens on its port any more
    app = create_app({**live_app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": url,
                      "RATELIMIT_LOGIN_ACCOUNT": "2 per minute"},
                     instance_path=str(tmp_path / "inst"))
    make_user("ann")
    client = app.test_client()
    assert _login(client, "ann", PASSWORD).status_code == 302  # no 500
    other = app.test_client()
    statuses = [_login(other, "ann", "wrong-password-1").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_testing_apps_count_nothing_unless_asked(client, make_user):
    """The suite's shared app (TESTING) serves every test from 127.0.0.1: no limits there."""
    make_user("ann")
    for _ in range(40):
        assert _login(client, "ann", "wrong-password-1").status_code == 200


def test_the_rest_api_password_login_is_limited_per_account_too(limited, make_user):
    client = limited(RATELIMIT_LOGIN_ACCOUNT="2 per minute")
    make_user("ann")
    wrong = {"login": "ann", "password": "wrong-password-1"}
    statuses = [client.get("/rest/login", query_string=wrong,
                           environ_base={"REMOTE_ADDR": address}).status_code for address in (ALICE, BOB)]
    refused = client.get("/rest/login", query_string={"login": "ann", "password": PASSWORD})
    assert statuses[0] == statuses[1] != 200 and refused.status_code == 429
    assert refused.get_json()["error"] is True  # Bugzilla's error format (its generic code)
    assert "Too many attempts" in refused.get_json()["message"]
