"""BugZot under a real Apache httpd with mod_wsgi (marker ``apache``).

Two module-scoped Apaches, each bound to a free port on 127.0.0.1 with its instance
(SQLite database, attachments, config.py) in a temporary folder owned by Apache's
user:

- ``site``: the Linux ``--standalone`` config that ``flask apache-config`` renders for
  this checkout and virtualenv, in mod_wsgi daemon mode;
- ``windows_site``: the Windows config (embedded mode, as under mpm_winnt) with its
  Windows paths swapped for this machine's, to prove its directives on a real Apache.

Apache starts as root and drops to www-data, so this needs root and
``scripts/install-apache.sh`` (Apache, mod_wsgi, search permission on the pyenv
Python). Apache is always stopped by its pid file, also when a test fails; if it
cannot start, the test fails with its error log.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from apache_support import APACHE_USER, PASSWORD, ROOT, UPLOAD_LIMIT, Site, linux_config, running_site
from apache_support import generate as _generate
from apache_support import running_site as _running_site  # noqa: F401  (other live tests import these here)
from apache_support import seed as _seed  # noqa: F401
from livehttp import Browser

pytestmark = pytest.mark.apache


# -- the Apache site ------------------------------------------------------------------
def _windows_config_on_linux(site: Site, port: int, log_args=("--log-rotation", "none")) -> list[str]:
    """The Windows (embedded mode) standalone config, its Windows paths swapped for ours.

    Apache Lounge keeps modules, logs and mime.types under its ServerRoot; here that is
    the server folder with links to Debian's. Windows builds mpm_winnt and needs no
    User; Linux gets an MPM and www-data on the command line. WSGIPythonHome is this
    venv, since conf.wsgi's Windows-only branch (adding <root>/.venv) does not run here.
    """
    server = site.conf.parent
    (server / "conf").mkdir()
    (server / "logs").mkdir()
    (server / "modules").symlink_to("/usr/lib/apache2/modules")
    (server / "conf" / "mime.types").symlink_to("/etc/mime.types")
    (server / "bin").mkdir()  # piped logs (tests/test_apache_logs.py) run bin/rotatelogs.exe
    (server / "bin" / "rotatelogs.exe").symlink_to(shutil.which("rotatelogs"))
    _generate(["--platform", "windows", "--standalone", "--root", "C:/BugZot", "--host", "127.0.0.1",
               *log_args, "--listen", f"127.0.0.1:{port}", "--threads", "16", "--server-root", "C:/Apache24",
               "--module-config", str(ROOT / "tests/data/windows-module-config.txt"),
               "--output", str(site.conf)], site.instance)
    package = importlib.util.find_spec("mod_wsgi").submodule_search_locations[0]
    module = next(Path(package, "server").glob("mod_wsgi*.so"))
    text = re.sub(r"^LoadFile .*\n", "", site.conf.read_text(), flags=re.M)
    for windows, here in (
            ("C:/BugZot/.venv/Lib/site-packages/mod_wsgi/server/mod_wsgi.cp311-win_amd64.pyd", module),
            ("C:/Apache24", server), ("C:/BugZot", ROOT), ("C:/Program Files/Python311", sys.prefix)):
        text = text.replace(windows, str(here))
    site.conf.write_text(text)
    site.pid_file, site.error_log = server / "logs/bugzot-httpd.pid", server / "logs/bugzot-error.log"
    return ["-C", "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so",
            "-C", f"User {APACHE_USER}", "-C", f"Group {APACHE_USER}"]


@pytest.fixture(scope="module")
def site():
    """Apache serving BugZot with the Linux daemon-mode config."""
    with running_site(linux_config, internal_redirect=True) as running:
        yield running


def _https_config(site: Site, port: int) -> list[str]:
    """The Linux standalone config with HTTPS, on a self-signed certificate."""
    cert, key = site.conf.parent / "site.crt", site.conf.parent / "site.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    _generate(["--standalone", "--https", "--cert", str(cert), "--key", str(key), "--host", "127.0.0.1",
               "--listen", f"127.0.0.1:{port}", "--output", str(site.conf)], site.instance)
    site.base_url = site.base_url.replace("http://", "https://")
    return []


@pytest.fixture(scope="module")
def windows_site():
    """Apache serving BugZot with the Windows embedded-mode config (paths swapped)."""
    with running_site(_windows_config_on_linux, internal_redirect=False) as running:
        yield running


@pytest.fixture
def reporter(site) -> Browser:
    browser = site.browser()
    browser.login("reporter", PASSWORD)
    return browser


# -- the tests ------------------------------------------------------------------------
def test_health_runs_in_the_bugzot_daemon_group(site):
    reply = site.browser().get("/_health")
    assert reply.status == 200
    assert reply.json()["process_group"] == "bugzot"
    assert reply.json()["pid"] != os.getpid()
    assert not site.wsgi_problems(), site.wsgi_problems()


def test_home_page_needs_login_then_shows(site, reporter):
    anonymous = site.browser().get("/")
    assert anonymous.status == 302 and "/login" in anonymous.headers["Location"]
    home = reporter.get("/")
    assert home.status == 200
    assert "Widget" in home.text and "Log out" in home.text


def test_login_with_csrf_token(site):
    browser = site.browser()
    refused = browser.request("POST", "/login", urllib.parse.urlencode(
        {"login": "reporter", "password": PASSWORD}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status == 400  # no CSRF token
    wrong = browser.post_form("/login", {"login": "reporter", "password": "wrong-password"})
    assert wrong.status == 200 and "Wrong username" in wrong.text
    ok = browser.post_form("/login", {"login": "reporter", "password": PASSWORD})
    assert ok.status == 302
    assert "reporter" in browser.get("/prefs").text


def test_server_header_has_no_versions(site):
    reply = site.browser().get("/login")
    assert reply.headers["Server"] == "Apache"
    missing = site.browser().get("/static/no-such-file.css")
    assert missing.status == 404
    assert "Apache/" not in missing.text and "mod_wsgi" not in missing.text


def test_authorization_header_reaches_the_app(site):
    reply = site.browser().get("/_health", Authorization="Bearer some-api-token")
    assert reply.json()["authorization_seen"] is True
    assert site.browser().get("/_health").json()["authorization_seen"] is False


def test_static_files_are_served_by_apache(site):
    css = (ROOT / "bugzot/static/css/bugzot.css").read_bytes()
    reply = site.browser().get("/static/css/bugzot.css?v=1")
    assert reply.status == 200 and reply.body == css
    assert reply.headers["Content-Type"].startswith("text/css")
    # Only the static <Directory> block of the Apache config sets "immutable", and
    # Apache's ETag format ("size-mtime" in hex) differs from Werkzeug's.
    assert "immutable" in reply.headers["Cache-Control"]
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', reply.headers["ETag"]), reply.headers["ETag"]
    assert "Vary" not in reply.headers
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_oversized_upload_is_refused_by_apache(site):
    body = b"x" * (UPLOAD_LIMIT + 1)
    reply = site.browser().request("POST", "/login", body,
                                   {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 413
    assert "Request Entity Too Large" in reply.text  # Apache's page: Python never saw it


def test_filing_a_bug_through_the_form(site, reporter):
    form = reporter.get("/bugs/new?product=Widget")
    assert form.status == 200, form.text[:1000]
    reply = reporter.post_form("/bugs/new?product=Widget", {
        "product": "Widget", "component": "Engine", "version": "1.0", "severity": "normal",
        "priority": "P3", "platform": "All", "op_sys": "All",
        "summary": "Filed through Apache", "description": "It works under mod_wsgi."})
    assert reply.status == 302, reply.text[:3000]
    bug_page = reporter.get(urllib.parse.urlsplit(reply.headers["Location"]).path)
    assert bug_page.status == 200 and "Filed through Apache" in bug_page.text


def test_attachment_download_goes_through_the_app_then_apache(site, reporter):
    content = "naïve notes\n".encode() * 50
    reply = reporter.post_form("/bugs/new?product=Widget", {
        "product": "Widget", "component": "Engine", "version": "1.0", "severity": "normal",
        "priority": "P3", "platform": "All", "op_sys": "All", "summary": "Has a file",
        "description": "See the file.", "attachment_description": "Notes"},
        files={"file": ("notes été.txt", content, "text/plain")})
    assert reply.status == 302, reply.text[:3000]
    bug_page = reporter.get(urllib.parse.urlsplit(reply.headers["Location"]).path)
    path = re.search(r'href="(/attachments/\d+)"', bug_page.text).group(1)

    shown = reporter.get(path)  # a text file opens inline, as plain text in a sandbox
    assert shown.status == 200 and shown.body == content, shown.text[:500]
    assert shown.headers["Content-Type"].startswith("text/plain; charset=utf-8")
    assert shown.headers["Content-Disposition"].startswith("inline;")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in shown.headers["Content-Security-Policy"]

    download = reporter.get(path + "?download=1")
    assert download.status == 200, download.text[:500]
    assert download.body == content
    assert download.headers["Content-Type"].startswith("text/plain; charset=utf-8")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''notes%20%C3%A9t%C3%A9.txt" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    # Sent by Apache's file handler, not by Flask (whose ETag would be the SHA-256).
    assert "Vary" not in download.headers
    assert re.fullmatch(r'(W/)?"[0-9a-f]+-[0-9a-f]+"', download.headers["ETag"])  # W/: mtime < 1 s ago

    anonymous = site.browser().get(path)
    assert anonymous.status == 302 and "/login" in anonymous.headers["Location"]

    stored = next(p for p in (site.instance / "attachments").rglob("*") if p.is_file())
    relative = stored.relative_to(site.instance / "attachments").as_posix()
    for direct in (f"/_att/{relative}", f"/%5Fatt/{relative}", f"//_att/{relative}",
                   f"/static/../_att/{relative}", f"/_att/{relative}?type=text/html"):
        assert reporter.get(direct).status == 403, direct


def test_touching_conf_wsgi_restarts_the_daemon_processes(site):
    browser = site.browser()
    before = {browser.get("/_health").json()["pid"] for _ in range(20)}
    script = ROOT / "wsgi" / "conf.wsgi"
    mtime = max(time.time(), script.stat().st_mtime + 1)
    os.utime(script, (mtime, mtime))  # what an admin's `touch wsgi/conf.wsgi` does
    after = set()
    for _ in range(20):
        reply = browser.get("/_health")
        assert reply.status == 200, f"{reply.status} {reply.text}\n{site.log_tail()}"
        assert reply.json()["process_group"] == "bugzot"
        after.add(reply.json()["pid"])
    assert after and not after & before, (before, after)
    assert browser.get("/login").status == 200
    assert not site.wsgi_problems(), site.wsgi_problems()


# -- the Windows config (embedded mode), served by Linux's Apache ------------------------
def test_windows_config_serves_in_embedded_mode(windows_site):
    browser = windows_site.browser()
    health = browser.get("/_health", Authorization="Basic dXNlcjpwdw==").json()
    assert health["process_group"] == "" and health["authorization_seen"] is True
    assert browser.get("/_health").headers["Server"] == "Apache"
    browser.login("reporter", PASSWORD)
    assert "Widget" in browser.get("/").text
    css = browser.get("/static/css/bugzot.css?v=1")
    assert css.status == 200 and "immutable" in css.headers["Cache-Control"]
    too_big = browser.request("POST", "/login", b"x" * (10 * 1024 * 1024 + 1),
                              {"Content-Type": "application/x-www-form-urlencoded"})
    assert too_big.status == 413
    assert not windows_site.wsgi_problems(), windows_site.wsgi_problems()


def test_windows_config_streams_attachments_through_python(windows_site):
    browser = windows_site.browser()
    browser.login("reporter", PASSWORD)
    content = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(2000)
    reply = browser.post_form("/bugs/new?product=Widget", {
        "product": "Widget", "component": "Engine", "version": "1.0", "severity": "normal",
        "priority": "P3", "platform": "All", "op_sys": "All", "summary": "Windows file",
        "description": "Streamed.", "attachment_description": "Picture"},
        files={"file": ("shot.png", content, "image/png")})
    assert reply.status == 302, reply.text[:3000]
    bug_page = browser.get(urllib.parse.urlsplit(reply.headers["Location"]).path)
    path = re.search(r'href="(/attachments/\d+)"', bug_page.text).group(1)
    download = browser.get(path)
    assert download.status == 200 and download.body == content
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Vary"] == "Cookie"  # Flask's response: no internal redirect here
    assert "/_att/" not in windows_site.conf.read_text()
    assert browser.get("/_att/anything").status == 404  # no attachment alias at all


# -- the HTTPS variant --------------------------------------------------------------------
def test_https_variant_serves_with_hsts():
    with running_site(_https_config, internal_redirect=True) as https_site:
        browser = https_site.browser()
        health = browser.get("/_health")
        assert health.json()["process_group"] == "bugzot"
        assert health.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert health.headers["Server"] == "Apache"
        browser.login("reporter", PASSWORD)
        assert "Widget" in browser.get("/").text
        assert "<VirtualHost *:80>" in https_site.conf.read_text()  # the redirecting site
        assert not https_site.wsgi_problems(), https_site.wsgi_problems()
