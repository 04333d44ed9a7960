"""BugZot is plain WSGI: it serves unchanged under gunicorn (one smoke test).

gunicorn runs in its own process on a free 127.0.0.1 port, with an instance folder
(config.py, SQLite database) in a temporary directory; it is always stopped.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
from pathlib import Path

from livehttp import Browser, free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "gunicorn-test-password"


def _instance(folder: Path) -> None:
    """An instance folder with a migrated SQLite database and one user."""
    from flask_migrate import upgrade

    from bugzot import create_app
    from bugzot.extensions import db
    from bugzot.permissions import SYSTEM
    from bugzot.services.accounts import create_user
    from bugzot.services.roles import ensure_default_roles

    folder.mkdir()
    (folder / "config.py").write_text(
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{folder}/bugzot.sqlite'\n"
        "ARGON2_TIME_COST = 1\nARGON2_MEMORY_COST = 1024\nARGON2_PARALLELISM = 1\n")
    app = create_app(instance_path=str(folder))
    with app.app_context():
        upgrade()
        ensure_default_roles()
        create_user(SYSTEM, "gunny", "gunny@example.com", PASSWORD, role_name="Reporter")
        db.engine.dispose()


def test_app_serves_under_gunicorn(tmp_path):
    instance = tmp_path / "instance"
    _instance(instance)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--threads", "2", "--timeout", "30", "--chdir", str(ROOT),
             f"bugzot:create_app(instance_path={str(instance)!r})"],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/_health", 30, log.read_text)
        browser = Browser(base)
        health = browser.get("/_health").json()
        assert health["status"] == "ok" and health["process_group"] is None
        assert browser.get("/").status == 302
        browser.login("gunny", PASSWORD)
        assert "Preferences for gunny" in browser.get("/prefs").text
        css = browser.get("/static/css/bugzot.css")
        assert css.status == 200 and css.body == (ROOT / "bugzot/static/css/bugzot.css").read_bytes()
        assert "Traceback" not in log.read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
