"""BugZot under a real Apache httpd with mod_wsgi in daemon mode (marker ``apache``).

One module-scoped Apache serves every test here: the Linux ``--standalone`` config
that ``flask apache-config`` renders, for this checkout and this virtualenv, bound
to a free port on 127.0.0.1, with the instance (SQLite database, attachments,
config.py) in a temporary folder owned by Apache's user. Apache runs as root and
drops to www-data, so this needs root and ``scripts/install-apache.sh`` (Apache,
mod_wsgi, search permission on the pyenv Python). Apache is always stopped by its
pid file, also when a test fails; if it cannot start, the test fails with its
error log.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
from livehttp import Browser, free_port, wait_for

pytestmark = pytest.mark.apache

ROOT = Path(__file__).resolve().parents[1]
APACHE_USER = "www-data"
UPLOAD_LIMIT = 64 * 1024
PASSWORD = "apache-test-password"


# -- the Apache site ------------------------------------------------------------------
@dataclass
class Site:
    base_url: str
    tmp: Path
    conf: Path
    pid_file: Path
    error_log: Path
    instance: Path
    env: dict

    def browser(self) -> Browser:
        return Browser(self.base_url)

    def wsgi_problems(self) -> list[str]:
        """mod_wsgi/Python lines of the site's error log other than the app's INFO/WARNING logging."""
        app_log = re.compile(r"\] (DEBUG|INFO|WARNING) in [\w.]+: ")
        lines = self.error_log.read_text(errors="replace").splitlines()
        return [line for line in lines if "Traceback" in line or (
            re.search(r"\[wsgi:(error|crit|alert|emerg)\]", line) and not app_log.search(line))]

    def log_tail(self, lines: int = 60) -> str:
        out = []
        for log in sorted(self.tmp.glob("server/*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"== {log.name} ==\n" + "\n".join(text))
        return "\n".join(out)


def _write_instance(instance: Path, port: int) -> None:
    attachments = instance / "attachments"
    attachments.mkdir(parents=True)
    (instance / "config.py").write_text(
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{instance}/bugzot.sqlite'\n"
        f"ATTACHMENT_FOLDER = {str(attachments)!r}\n"
        f"ATTACHMENT_INTERNAL_REDIRECT = '/_att/'\n"
        f"MAX_CONTENT_LENGTH = {UPLOAD_LIMIT}\n"
        f"MAIL_OUTBOX = {str(instance / 'outbox')!r}\n"
        f"BASE_URL = 'http://127.0.0.1:{port}'\n"
        "ARGON2_TIME_COST = 1\nARGON2_MEMORY_COST = 1024\nARGON2_PARALLELISM = 1\n")


def _seed(instance: Path) -> None:
    """Migrate the database and add the users and the product the tests use."""
    from flask_migrate import upgrade

    from bugzot import create_app
    from bugzot.extensions import db
    from bugzot.models import Classification, Component, Product, Version
    from bugzot.services.accounts import create_user
    from bugzot.services.roles import ensure_default_roles

    app = create_app(instance_path=str(instance))
    with app.app_context():
        upgrade()
        ensure_default_roles()
        create_user("reporter", "reporter@example.com", PASSWORD, role_name="Reporter")
        product = Product(name="Widget", description="The widget.",
                          classification=Classification(name="Default"))
        product.components = [Component(name="Engine", description="The engine.")]
        product.versions = [Version(value="1.0")]
        db.session.add(product)
        db.session.commit()
        db.engine.dispose()


def _render(site_env: dict, server: Path, port: int) -> Path:
    from bugzot import create_app

    conf = server / "httpd.conf"
    args = ["apache-config", "--standalone", "--root", str(ROOT), "--python-home", sys.prefix,
            "--host", "127.0.0.1", "--listen", f"127.0.0.1:{port}", "--processes", "2",
            "--threads", "4", "--output", str(conf)]
    old = os.environ.get("BUGZOT_INSTANCE_PATH")
    os.environ["BUGZOT_INSTANCE_PATH"] = site_env["BUGZOT_INSTANCE_PATH"]
    try:
        result = create_app({"TESTING": True}).test_cli_runner().invoke(args=args)
    finally:
        os.environ.pop("BUGZOT_INSTANCE_PATH")
        if old is not None:
            os.environ["BUGZOT_INSTANCE_PATH"] = old
    assert result.exit_code == 0, result.output
    return conf


def _chown_tree(path: Path, user: str) -> None:
    for entry in [path, *path.rglob("*")]:
        shutil.chown(entry, user, user)


def _stop(site: Site) -> None:
    """Stop Apache by its pid file: SIGTERM, then SIGKILL after 20 s."""
    if not site.pid_file.exists():
        return
    pid = int(site.pid_file.read_text().strip())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL) if os.getpgid(pid) == pid else os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def site():
    """A running Apache serving BugZot; stopped (and its files removed) afterwards."""
    apache2 = shutil.which("apache2")
    assert apache2, "apache2 is not installed: run scripts/install-apache.sh"
    assert os.geteuid() == 0, "the live-Apache tests start Apache as root (it drops to www-data)"
    check = subprocess.run(
        ["runuser", "-u", APACHE_USER, "--", sys.executable, "-c", "import flask, mod_wsgi"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, (
        f"{APACHE_USER} cannot run {sys.executable}; run scripts/install-apache.sh.\n{check.stderr}")

    tmp = Path(tempfile.mkdtemp(prefix="bugzot-apache-"))
    tmp.chmod(0o755)  # Apache's user must reach the daemon sockets and the instance
    server, instance = tmp / "server", tmp / "instance"
    server.mkdir()
    port = free_port()
    env = {**os.environ, "BUGZOT_INSTANCE_PATH": str(instance)}
    site = Site(f"http://127.0.0.1:{port}", tmp, server / "httpd.conf",
                server / "bugzot-httpd.pid", server / "bugzot-error.log", instance, env)
    try:
        _write_instance(instance, port)
        _seed(instance)
        _chown_tree(instance, APACHE_USER)
        _render(env, server, port)
        test = subprocess.run([apache2, "-t", "-f", str(site.conf)], capture_output=True,
                              text=True, timeout=60)
        assert test.returncode == 0, f"apache2 -t failed:\n{test.stderr}\n{site.conf.read_text()}"
        start = subprocess.run([apache2, "-f", str(site.conf), "-k", "start"], env=env,
                               capture_output=True, text=True, timeout=60)
        assert start.returncode == 0, f"apache2 -k start failed:\n{start.stderr}\n{site.log_tail()}"
        wait_for(site.base_url + "/_health", 30, site.log_tail)
        yield site
    finally:
        _stop(site)
        shutil.rmtree(tmp, ignore_errors=True)


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

    download = reporter.get(path)
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
