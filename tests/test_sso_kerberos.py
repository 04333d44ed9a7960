"""Kerberos/SPNEGO single sign-on through a real Apache + mod_auth_gssapi (marker ``apache``).

A throwaway MIT Kerberos realm BUGZOT.TEST: Debian's ``krb5kdc`` on a free loopback
port with its database in a temporary folder, principals alice, bob and
HTTP/localhost (whose key goes into the keytab Apache reads). ``kinit`` gets the user
a ticket and ``curl --negotiate`` shows it to the Apache that ``flask apache-config
--auth gssapi`` rendered; BugZot must see ``alice@BUGZOT.TEST`` and sign in ``alice``.
Packages: krb5-kdc, krb5-admin-server (kadmin.local), krb5-user (kinit),
libapache2-mod-auth-gssapi; scripts/test.sh installs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from livehttp import free_port
from test_apache import APACHE_USER, ROOT, _generate, _running_site

pytestmark = pytest.mark.apache

REALM = "BUGZOT.TEST"
USERS = {"alice": "alice-kerberos-pw", "bob": "bob-kerberos-pw"}


def _run(args: list[str], env: dict, stdin: str | None = None) -> str:
    done = subprocess.run(args, env=env, input=stdin, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@contextmanager
def running_kdc(folder: Path):
    """A KDC for REALM in ``folder``; yields the environment that points clients at it."""
    for tool in ("krb5kdc", "kdb5_util", "kadmin.local", "kinit"):
        assert shutil.which(tool) or Path("/usr/sbin", tool).exists(), \
            f"{tool} is missing: apt-get install krb5-kdc krb5-admin-server krb5-user"
    folder.mkdir(parents=True)
    folder.chmod(0o755)  # Apache's user reads krb5.conf and the keytab here
    port = free_port()
    (folder / "krb5.conf").write_text(
        f"[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n"
        " dns_lookup_realm = false\n dns_canonicalize_hostname = false\n rdns = false\n"
        " udp_preference_limit = 1\n"
        f"[realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{port}\n }}\n"
        f"[domain_realm]\n localhost = {REALM}\n")
    (folder / "kdc.conf").write_text(
        f"[kdcdefaults]\n kdc_ports = {port}\n kdc_tcp_ports = {port}\n"
        f"[realms]\n {REALM} = {{\n  database_name = {folder}/principal\n"
        f"  key_stash_file = {folder}/stash\n  acl_file = {folder}/kadm5.acl\n"
        f"  kdc_ports = {port}\n  kdc_tcp_ports = {port}\n }}\n"
        f"[logging]\n kdc = FILE:{folder}/kdc.log\n")
    (folder / "kadm5.acl").write_text("")
    (folder / "krb5.conf").chmod(0o644)
    env = {**os.environ, "KRB5_CONFIG": str(folder / "krb5.conf"),
           "KRB5_KDC_PROFILE": str(folder / "kdc.conf"), "KRB5CCNAME": f"FILE:{folder}/ccache"}
    sbin = lambda tool: shutil.which(tool) or f"/usr/sbin/{tool}"  # noqa: E731
    _run([sbin("kdb5_util"), "create", "-s", "-r", REALM, "-P", "throwaway-master-key"], env)
    for user, password in USERS.items():
        _run([sbin("kadmin.local"), "-r", REALM, "-q", f"addprinc -pw {password} {user}"], env)
    _run([sbin("kadmin.local"), "-r", REALM, "-q", "addprinc -randkey HTTP/localhost"], env)
    keytab = folder / "http.keytab"
    _run([sbin("kadmin.local"), "-r", REALM, "-q", f"ktadd -k {keytab} HTTP/localhost"], env)
    shutil.chown(keytab, APACHE_USER, APACHE_USER)
    keytab.chmod(0o600)
    kdc = subprocess.Popen([sbin("krb5kdc"), "-n", "-r", REALM], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):  # kinit works once the KDC listens
            done = subprocess.run(["kinit", "bob"], env=env, input=USERS["bob"] + "\n",
                                  capture_output=True, text=True, timeout=30)
            if done.returncode == 0 or kdc.poll() is not None:
                break
        assert done.returncode == 0, f"krb5kdc did not answer: {done.stderr}\n" \
            f"{(folder / 'kdc.log').read_text(errors='replace') if (folder / 'kdc.log').exists() else ''}"
        subprocess.run(["kdestroy"], env=env, capture_output=True, timeout=30)
        yield env, keytab
    finally:
        kdc.terminate()
        kdc.wait(10)


@pytest.fixture(scope="module")
def kdc():
    # Not under pytest's folders, which are root's only: Apache's user reads here.
    top = Path(tempfile.mkdtemp(prefix="bugzot-krb-"))
    top.chmod(0o755)
    try:
        with running_kdc(top / "realm") as running:
            yield running
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def kerberos_site(kdc):
    env, keytab = kdc

    def configure(site, port):
        with open(site.instance / "config.py", "a", encoding="utf-8") as fh:
            fh.write(f"TRUST_REMOTE_USER = True\nREMOTE_USER_REALMS = [{REALM!r}]\n"
                     "REMOTE_USER_EMAIL_DOMAIN = 'bugzot.test'\n")
        _generate(["--standalone", "--root", str(ROOT), "--python-home", sys.prefix, "--host", "localhost",
                   "--listen", f"127.0.0.1:{port}", "--auth", "gssapi", "--keytab", str(keytab),
                   "--output", str(site.conf)], site.instance)
        site.env["KRB5_CONFIG"] = env["KRB5_CONFIG"]  # Apache's libkrb5 finds the realm there
        site.base_url = site.base_url.replace("127.0.0.1", "localhost")  # the SPN's host name
        return []

    with _running_site(configure, internal_redirect=True) as running:
        yield running


def curl(site, path: str, env: dict, cookies: Path, negotiate: bool = True) -> tuple[int, str]:
    args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-b", str(cookies), "-c", str(cookies)]
    args += ["--negotiate", "-u", ":"] if negotiate else []
    done = subprocess.run([*args, site.base_url + path], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


def test_spnego_reaches_bugzot_as_the_ticket_holder(kdc, kerberos_site, tmp_path):
    env, _keytab = kdc
    _run(["kinit", "alice"], env, stdin=USERS["alice"] + "\n")
    try:
        status, page = curl(kerberos_site, "/prefs", env, tmp_path / "cookies")
        assert status == 200, f"{status} {page[:500]}\n{kerberos_site.log_tail()}"
        assert re.search(r"Preferences for\s+alice\b", page), page[:2000]
        # The session cookie alone carries on (no new Kerberos exchange needed for the app).
        status, page = curl(kerberos_site, "/_health", env, tmp_path / "cookies", negotiate=False)
        assert status == 200
        admin_view = subprocess.run(["klist"], env=env, capture_output=True, text=True, timeout=30)
        assert "HTTP/localhost@BUGZOT.TEST" in admin_view.stdout  # a service ticket was used
    finally:
        subprocess.run(["kdestroy"], env=env, capture_output=True, timeout=30)
    assert not kerberos_site.wsgi_problems(), kerberos_site.wsgi_problems()


def test_without_a_ticket_apache_answers_401(kdc, kerberos_site, tmp_path):
    env, _keytab = kdc
    subprocess.run(["kdestroy"], env=env, capture_output=True, timeout=30)
    status, _page = curl(kerberos_site, "/", env, tmp_path / "cookies")
    assert status == 401
    status, _page = curl(kerberos_site, "/", env, tmp_path / "cookies", negotiate=False)
    assert status == 401


def test_another_ticket_is_another_user(kdc, kerberos_site, tmp_path):
    env, _keytab = kdc
    _run(["kinit", "bob"], env, stdin=USERS["bob"] + "\n")
    try:
        status, page = curl(kerberos_site, "/prefs", env, tmp_path / "cookies")
        assert status == 200 and re.search(r"Preferences for\s+bob\b", page), page[:1000]
    finally:
        subprocess.run(["kdestroy"], env=env, capture_output=True, timeout=30)
