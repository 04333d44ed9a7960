"""The Linux zero-downtime upgrade under a real Apache (marker ``apache``), on PostgreSQL.

The site's database is at revision 0004 with a large ``bugs`` table; ``flask upgrade``
then builds the 0005-0007 indexes on it while a visitor keeps reading pages. Every
request made while the migrations run must succeed, answered by the daemon processes
that were serving before; once the command has touched ``wsgi/conf.wsgi`` new daemon
processes take over. The table is sized so the migrations take a few seconds here.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
import time

import psutil
import pytest
import sqlalchemy as sa
from apache_support import PASSWORD, ROOT
from apache_support import generate as _generate
from apache_support import running_site as _running_site
from apache_support import seed as _seed
from databases import DEFAULT_PG_ADMIN_URL

pytestmark = pytest.mark.apache

BULK_BUGS = 150_000


def _bulk_bugs(url: str, count: int) -> None:
    """``count`` bugs in one INSERT ... SELECT; triggers (full-text, foreign-key checks) off
    meanwhile: the ids are those of rows that exist."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        ids = conn.execute(sa.text(
            "SELECT p.id, c.id, v.id, u.id FROM products p JOIN components c ON c.product_id = p.id "
            "JOIN versions v ON v.product_id = p.id, users u WHERE u.username = 'reporter'")).one()
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(
            "INSERT INTO bugs (product_id, component_id, version_id, summary, status, severity, priority, "
            "platform, op_sys, reporter_id, is_private, created_at, updated_at, revision) "
            "SELECT :p, :c, :v, 'Bulk bug ' || g, (ARRAY['NEW','ASSIGNED','RESOLVED'])[1 + g % 3], "
            "(ARRAY['normal','major','minor'])[1 + g % 3], 'P' || (1 + g % 5), 'All', 'All', :u, false, "
            "now(), now(), 1 FROM generate_series(1, :n) AS g"),
            {"p": ids[0], "c": ids[1], "v": ids[2], "u": ids[3], "n": count})
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE bugs"))
        conn.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def database():
    """A throwaway PostgreSQL database for the site (dropped afterwards)."""
    admin_url = sa.make_url(os.environ.get("BUGZOT_TEST_POSTGRES_ADMIN_URL", DEFAULT_PG_ADMIN_URL))
    name = f"bugzot_upgrade_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _site_on_postgres(url: str):
    """A configure function for ``_running_site``: the instance moved to PostgreSQL at
    0004 with BULK_BUGS bugs, and the Linux daemon-mode config (2 processes)."""

    def configure(site, port):
        from flask_migrate import downgrade

        from bugzot import create_app
        from bugzot.extensions import db

        config = site.instance / "config.py"
        config.write_text(re.sub(r"^SQLALCHEMY_DATABASE_URI = .*$", f"SQLALCHEMY_DATABASE_URI = {url!r}",
                                 config.read_text(), flags=re.M))
        _seed(site.instance)  # head, the users and the product
        app = create_app(instance_path=str(site.instance))
        with app.app_context():
            downgrade(revision="0004")
            db.engine.dispose()
        _bulk_bugs(url, BULK_BUGS)
        _generate(["--standalone", "--root", str(ROOT), "--python-home", sys.prefix, "--host", "127.0.0.1",
                   "--listen", f"127.0.0.1:{port}", "--processes", "2", "--threads", "4",
                   "--output", str(site.conf)], site.instance)
        return []

    return configure


def _daemon_pids(site) -> set[int]:
    """The mod_wsgi daemon processes of the site's Apache (display-name ``(wsgi:bugzot)``)."""
    apache = psutil.Process(int(site.pid_file.read_text()))
    return {child.pid for child in apache.children() if "(wsgi:bugzot)" in " ".join(child.cmdline())}


def test_old_daemons_keep_serving_while_a_large_table_migrates(database):
    with _running_site(_site_on_postgres(database), internal_redirect=True) as site:
        browser = site.browser()
        browser.login("reporter", PASSWORD)
        # A bulk bug: filing one at 0004 would need this code's newer tables (the outbox).
        bug_page = "/bugs/1"
        assert browser.get(bug_page).status == 200
        old_pids = _daemon_pids(site)
        assert len(old_pids) == 2 and browser.get("/_health").json()["pid"] in old_pids

        command = subprocess.Popen(
            [os.path.join(sys.prefix, "bin", "flask"), "--app",
             f"bugzot:create_app(instance_path={str(site.instance)!r})", "upgrade"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[tuple[float, str]] = []
        reader = threading.Thread(target=lambda: lines.extend(
            (time.monotonic(), line.rstrip()) for line in command.stdout), daemon=True)
        reader.start()
        served = []  # (finished at, path, status, pid or None)
        while command.poll() is None:
            for path in (bug_page, "/bugs?sort=priority", "/_health"):
                reply = browser.get(path)
                pid = reply.json()["pid"] if path == "/_health" and reply.status == 200 else None
                served.append((time.monotonic(), path, reply.status, pid))
        reader.join(timeout=30)
        output = "\n".join(line for _, line in lines)
        assert command.wait(timeout=60) == 0, output
        applied = [line.split()[1] for _, line in lines if line.startswith("  applying ")]
        assert applied[:3] == ["0005", "0006", "0007"]
        assert f"Upgraded 0004 -> {applied[-1]} ({len(applied)} migration(s))." in output
        assert f"Touched {ROOT}/wsgi/conf.wsgi" in output

        started = next(t for t, line in lines if line.startswith("  applying 0005"))
        ended = next(t for t, line in lines if line.startswith("  done     0007"))
        during = [s for s in served if started < s[0] < ended]
        # Enough requests landed while the indexes were built (not a wall-clock threshold:
        # how long 150k rows take depends on the machine's neighbours).
        assert len(during) >= 6, (f"{len(during)} requests in {ended - started:.2f} s of migration: "
                                  "make the table larger", output)
        assert all(status == 200 for _, _, status, _ in during), [s for s in during if s[2] != 200]
        assert {pid for *_, pid in during if pid} <= old_pids  # the old processes answered

        # The touched conf.wsgi: new daemon processes with the new code (and schema) take over.
        deadline = time.monotonic() + 30
        while not (new := browser.get("/_health").json()["pid"]) or new in old_pids:
            assert time.monotonic() < deadline, "the daemon processes were not replaced"
        assert browser.get(bug_page).status == 200
        assert browser.get("/bugs?sort=priority").status == 200
        assert not site.wsgi_problems(), site.wsgi_problems()
