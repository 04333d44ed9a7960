"""Single sign-on through a real Apache (marker ``apache``): mod_authnz_ldap against a real slapd.

Two module-scoped Apaches from tests/test_apache.py's harness, both with
TRUST_REMOTE_USER = True in the instance config:

- ``ldap_site``: ``flask apache-config --auth ldap`` (scope site) against the slapd of
  tests/ldap_support.py over ldaps:// with its throwaway CA; the app also reads that
  directory, so accounts are created with their name, mail and role from it;
- ``plain_site``: the same app behind an Apache that authenticates nobody, to show that
  a forged ``Remote-User``/``X-Remote-User`` header logs nobody in.

Flask's development server gets the same forged headers in test_dev_server_ignores_*.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from ldap_support import ADMINS, PASSWORDS, PEOPLE, SERVICE_PW, running_slapd, user_dn
from livehttp import Browser, free_port, wait_for
from test_apache import ROOT, _generate, _running_site

pytestmark = pytest.mark.apache

FORGED = {"Remote-User": "alice", "X-Remote-User": "alice", "X-Forwarded-User": "alice"}


class SignedBrowser(Browser):
    """A browser that sends HTTP Basic credentials with every request."""

    def __init__(self, base_url: str, username: str, password: str):
        super().__init__(base_url)
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.authorization = f"Basic {token}"

    def request(self, method, path, body=None, headers=None):
        return super().request(method, path, body, {"Authorization": self.authorization, **(headers or {})})


def _trust_remote_user(instance: Path, extra: str = "") -> None:
    with open(instance / "config.py", "a", encoding="utf-8") as fh:
        fh.write("TRUST_REMOTE_USER = True\nREMOTE_USER_REALMS = ['BUGZOT.TEST']\n" + extra)


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    with running_slapd(tmp_path_factory.mktemp("slapd") / "ldap") as server:
        yield server


@pytest.fixture(scope="module")
def ldap_site(slapd):
    """Apache asking for directory passwords (mod_authnz_ldap) in front of BugZot."""

    def configure(site, port):
        secret = site.conf.parent / "ldap.secret"
        secret.write_text(SERVICE_PW)
        secret.chmod(0o600)  # read by root when Apache starts
        # libldap loads the CA in Apache's children, as www-data: pytest's tmp is root's only.
        ca_file = site.conf.parent / "ldap-ca.pem"
        shutil.copy(slapd.ca_file, ca_file)
        settings = slapd.config(DIRECTORY_CA_FILE=str(ca_file))
        _trust_remote_user(site.instance, "".join(f"{k} = {v!r}\n" for k, v in settings.items()))
        url = f"{slapd.ldaps_url}/{PEOPLE}?uid?sub?(objectClass=inetOrgPerson)"
        _generate(["--standalone", "--root", str(ROOT), "--python-home", sys.prefix, "--host", "127.0.0.1",
                   "--listen", f"127.0.0.1:{port}", "--auth", "ldap", "--ldap-url", url,
                   "--ldap-bind-dn", settings["DIRECTORY_BIND_DN"], "--ldap-bind-password-file",
                   str(secret), "--ldap-ca-file", str(ca_file), "--output", str(site.conf)],
                  site.instance)
        return ["-c", "LogLevel authnz_ldap:info"]  # why Apache refused, in error.log

    with _running_site(configure, internal_redirect=True) as running:
        yield running


@pytest.fixture(scope="module")
def plain_site():
    """Apache without any sign-in, in front of a BugZot that trusts REMOTE_USER."""

    def configure(site, port):
        _trust_remote_user(site.instance, "REMOTE_USER_EMAIL_DOMAIN = 'bugzot.test'\n")
        _generate(["--standalone", "--root", str(ROOT), "--python-home", sys.prefix, "--host", "127.0.0.1",
                   "--listen", f"127.0.0.1:{port}", "--output", str(site.conf)], site.instance)
        return []

    with _running_site(configure, internal_redirect=True) as running:
        yield running


def signed_in_as(browser: Browser) -> str | None:
    """The real name the preferences page greets, or None when not logged in."""
    page = browser.get("/prefs")
    if page.status != 200:
        return None
    match = re.search(r'name="profile-real_name"[^>]*value="([^"]*)"', page.text)
    return match.group(1) if match else "?"


# -- mod_authnz_ldap in front --------------------------------------------------------------
def test_directory_password_at_apache_signs_the_user_in(ldap_site):
    alice = SignedBrowser(ldap_site.base_url, "alice", PASSWORDS["alice"])
    home = alice.get("/")
    assert home.status == 200, ldap_site.log_tail()
    assert "Log out" in home.text
    assert signed_in_as(alice) == "Alice Adams"
    admin = alice.get("/admin/users")  # Admin through the bugzot-admins group
    assert admin.status == 200 and re.search(r"<td[^>]*>sso</td>", admin.text)
    assert not ldap_site.wsgi_problems(), ldap_site.wsgi_problems()


def test_apache_refuses_wrong_and_missing_passwords_before_bugzot(ldap_site):
    assert ldap_site.browser().get("/").status == 401
    assert SignedBrowser(ldap_site.base_url, "alice", "wrong-password").get("/").status == 401
    assert SignedBrowser(ldap_site.base_url, "carol", PASSWORDS["carol"]).get("/").status == 401  # locked
    forged = ldap_site.browser().request("GET", "/", headers=FORGED)
    assert forged.status == 401


def test_rest_health_and_static_stay_outside_the_sign_in(ldap_site):
    browser = ldap_site.browser()
    assert browser.get("/_health").status == 200
    assert browser.get("/static/css/bugzot.css?v=1").status == 200
    rest = browser.request("GET", "/rest/version", headers=FORGED)
    assert rest.status == 200 and "version" in rest.json()  # BugZot's API answers, not Apache
    assert "Set-Cookie" not in rest.headers  # and the forged header signed nobody in


def test_each_request_follows_apaches_user(ldap_site, slapd):
    browser = SignedBrowser(ldap_site.base_url, "alice", PASSWORDS["alice"])
    assert signed_in_as(browser) == "Alice Adams"
    token = base64.b64encode(f"erin:{PASSWORDS['erin']}".encode()).decode()
    browser.authorization = f"Basic {token}"  # another person at the same browser
    assert signed_in_as(browser) == "Erin Evans"


def test_logout_explains_and_waits_until_asked(ldap_site):
    browser = SignedBrowser(ldap_site.base_url, "erin", PASSWORDS["erin"])
    assert signed_in_as(browser) == "Erin Evans"
    out = browser.post_form("/logout", {})
    assert out.status == 200 and "signs you in again by itself" in out.text
    assert signed_in_as(browser) is None  # Apache still vouches for erin, but she logged out
    again = browser.get("/login/sso")
    assert again.status == 302 and urllib.parse.urlsplit(again.headers["Location"]).path == "/"
    assert signed_in_as(browser) == "Erin Evans"


def test_signed_in_user_downloads_attachments_but_never_reads_the_folder(ldap_site):
    alice = SignedBrowser(ldap_site.base_url, "alice", PASSWORDS["alice"])
    content = b"sso attachment\n" * 20
    reply = alice.post_form("/bugs/new?product=Widget", {
        "product": "Widget", "component": "Engine", "version": "1.0", "severity": "normal",
        "priority": "P3", "platform": "All", "op_sys": "All", "summary": "Filed after SSO",
        "description": "With a file.", "attachment_description": "Notes"},
        files={"file": ("notes.txt", content, "text/plain")})
    assert reply.status == 302, reply.text[:2000]
    bug = alice.get(urllib.parse.urlsplit(reply.headers["Location"]).path)
    path = re.search(r'href="(/attachments/\d+)"', bug.text).group(1)
    download = alice.get(path)
    assert download.status == 200 and download.body == content  # the internal redirect still works
    stored = next(p for p in (ldap_site.instance / "attachments").rglob("*") if p.is_file())
    relative = stored.relative_to(ldap_site.instance / "attachments").as_posix()
    for direct in (f"/_att/{relative}", f"/%5Fatt/{relative}", f"//_att/{relative}"):
        assert alice.get(direct).status == 403, direct


def test_group_change_in_the_directory_changes_the_role_at_next_sign_in(ldap_site, slapd):
    slapd.add_member(ADMINS, user_dn("bob"))
    try:
        bob = SignedBrowser(ldap_site.base_url, "bob", PASSWORDS["bob"])
        assert bob.get("/admin/users").status == 200
    finally:
        slapd.remove_member(ADMINS, user_dn("bob"))
    bob = SignedBrowser(ldap_site.base_url, "bob", PASSWORDS["bob"])  # a new session
    assert bob.get("/admin/users").status == 403


# -- nobody can claim a user without Apache's authentication --------------------------------
def test_forged_headers_through_apache_without_sign_in_log_nobody_in(plain_site):
    browser = plain_site.browser()
    reply = browser.request("GET", "/", headers=FORGED)
    assert reply.status == 302 and "/login" in reply.headers["Location"]
    assert browser.request("GET", "/login/sso", headers=FORGED).status == 403
    assert signed_in_as(browser) is None
    # The password form still works on the same site.
    browser.login("reporter", "apache-test-password")
    assert signed_in_as(browser) is not None


def test_dev_server_ignores_trust_remote_user(tmp_path):
    """Flask's own server (what run.py starts) with TRUST_REMOTE_USER = True: no effect."""
    port = free_port()
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "SECRET_KEY = 'dev-test'\nENV = 'development'\nTRUST_REMOTE_USER = True\n"
        "REMOTE_USER_EMAIL_DOMAIN = 'bugzot.test'\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{instance}/bugzot.sqlite'\n")
    script = ("import sys; from flask_migrate import upgrade; from bugzot import create_app\n"
              f"app = create_app(instance_path={str(instance)!r})\n"
              "with app.app_context(): upgrade()\n"
              f"app.run(host='127.0.0.1', port={port}, debug=False)\n")
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/_health", 60, lambda: "")
        browser = Browser(f"http://127.0.0.1:{port}")
        reply = browser.request("GET", "/", headers=FORGED)
        assert reply.headers.get("Server", "").startswith("Werkzeug")
        assert reply.status == 302 and "/login" in reply.headers["Location"]
        assert browser.request("GET", "/login/sso", headers=FORGED).status == 403
        assert signed_in_as(browser) is None
    finally:
        server.terminate()
        server.wait(10)
