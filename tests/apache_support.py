"""Running BugZot under a real Apache httpd with mod_wsgi, for the live-server tests.

``running_site`` makes an instance folder (config.py, attachments, by default a seeded
SQLite database) in a temporary folder owned by Apache's user, renders a config with
a ``configure`` function (``linux_config``: the daemon-mode ``--standalone`` config of
``flask apache-config``), starts Apache on a free 127.0.0.1 port and always stops it
by its pid file, also when a test fails. Needs root and ``scripts/install-apache.sh``.
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from livehttp import Browser, free_port, wait_for

from bugzot.permissions import SYSTEM

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
        for log in sorted(self.tmp.glob("server/**/*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"== {log.name} ==\n" + "\n".join(text))
        return "\n".join(out)


def write_instance(instance: Path, port: int, internal_redirect: bool, settings: dict | None = None) -> None:
    """``instance/config.py`` for a site on ``port``; ``settings`` add to or replace the
    defaults (SQLite in the instance folder, attachments beside it)."""
    attachments = instance / "attachments"
    attachments.mkdir(parents=True)
    (instance / "config.py").write_text(
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{instance}/bugzot.sqlite'\n"
        f"ATTACHMENT_FOLDER = {str(attachments)!r}\n"
        f"ATTACHMENT_INTERNAL_REDIRECT = {'/_att/' if internal_redirect else None!r}\n"
        f"MAX_CONTENT_LENGTH = {UPLOAD_LIMIT}\n"
        f"MAIL_OUTBOX = {str(instance / 'outbox')!r}\n"
        f"BASE_URL = 'http://127.0.0.1:{port}'\n"
        "ARGON2_TIME_COST = 1\nARGON2_MEMORY_COST = 1024\nARGON2_PARALLELISM = 1\n"
        + "".join(f"{name} = {value!r}\n" for name, value in (settings or {}).items()))


def seed(instance: Path) -> None:
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
        create_user(SYSTEM, "reporter", "reporter@example.com", PASSWORD, role_name="Reporter")
        product = Product(name="Widget", description="The widget.",
                          classification=Classification(name="Default"))
        product.components = [Component(name="Engine", description="The engine.")]
        product.versions = [Version(value="1.0")]
        db.session.add(product)
        db.session.commit()
        db.engine.dispose()


def generate(args: list[str], instance: Path) -> None:
    """Run ``flask apache-config ARGS`` for the instance at ``instance``."""
    from bugzot import create_app

    old = os.environ.get("BUGZOT_INSTANCE_PATH")
    os.environ["BUGZOT_INSTANCE_PATH"] = str(instance)
    try:
        result = create_app({"TESTING": True}).test_cli_runner().invoke(args=["apache-config", *args])
    finally:
        os.environ.pop("BUGZOT_INSTANCE_PATH")
        if old is not None:
            os.environ["BUGZOT_INSTANCE_PATH"] = old
    assert result.exit_code == 0, result.output


def linux_config(site: Site, port: int) -> list[str]:
    """The Linux daemon-mode standalone config, as an admin would generate it."""
    generate(["--standalone", "--root", str(ROOT), "--python-home", sys.prefix, "--host", "127.0.0.1",
               "--listen", f"127.0.0.1:{port}", "--processes", "2", "--threads", "4",
               "--output", str(site.conf)], site.instance)
    return []


def chown_tree(path: Path, user: str) -> None:
    for entry in [path, *path.rglob("*")]:
        shutil.chown(entry, user, user)


def stop(site: Site) -> None:
    """Stop Apache by its pid file: SIGTERM, then SIGKILL (its process group) after 20 s."""
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
    os.killpg(pid, signal.SIGKILL)  # `apache2 -k start` made itself a session leader


@contextmanager
def running_site(configure, internal_redirect: bool, settings: dict | None = None, seed_with=seed,
                 chown: tuple[Path, ...] = ()):
    """Set up an instance, render a config with ``configure``, run Apache; always stop it.
    ``settings``: more config.py lines; ``seed_with``: fills the database (None: it is
    shared and filled already); ``chown``: more folders Apache's user must own."""
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
    env = {**os.environ, "BUGZOT_INSTANCE_PATH": str(instance)}  # read by wsgi/conf.wsgi
    site = Site(f"http://127.0.0.1:{port}", tmp, server / "httpd.conf", server / "bugzot-httpd.pid",
                server / "bugzot-error.log", instance, env)
    try:
        write_instance(instance, port, internal_redirect, settings)
        if seed_with is not None:
            seed_with(instance)
        for folder in (instance, *chown):
            chown_tree(folder, APACHE_USER)
        extra = configure(site, port)
        test = subprocess.run([apache2, "-t", "-f", str(site.conf), *extra], capture_output=True,
                              text=True, timeout=60)
        assert test.returncode == 0, f"apache2 -t failed:\n{test.stderr}\n{site.conf.read_text()}"
        start = subprocess.run([apache2, "-f", str(site.conf), *extra, "-k", "start"], env=env,
                               capture_output=True, text=True, timeout=60)
        assert start.returncode == 0, f"apache2 -k start failed:\n{start.stderr}\n{site.log_tail()}"
        wait_for(site.base_url + "/_health", 30, site.log_tail)
        yield site
    finally:
        stop(site)
        shutil.rmtree(tmp, ignore_errors=True)


