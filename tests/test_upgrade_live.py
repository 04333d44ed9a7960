"""The Linux zero-downtime upgrade under a real Apache (marker ``apache``), on PostgreSQL.

As in a real upgrade, the OLD release serves while the NEW release's ``flask upgrade``
migrates. The old release is commit OLD_RELEASE, taken from git (``git archive``) into
the folder Apache serves, with the config its own ``apache-config`` renders and this
checkout's virtualenv (its packages are a subset of today's). Its database is at 0004
with a large ``bugs`` table. This checkout's ``flask upgrade`` applies 0005..head
(indexes on ``bugs``, new tables and columns) while a visitor keeps reading pages and
others log in: every request made while the index migrations run must succeed,
answered by the daemon processes that were serving before. The old code's writes
(logging in, filing a bug, registering) must still work on the new schema. Then the
new code replaces the served folder's, ``wsgi/conf.wsgi`` is touched, and new daemon
processes serve the new code. The table is sized so the migrations take a few seconds.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa
from apache_support import PASSWORD, ROOT, running_site
from databases import DEFAULT_PG_ADMIN_URL
from livehttp import Browser

pytestmark = pytest.mark.apache

BULK_BUGS = 150_000
# The release before the REST API and directory login: its newest migration is 0007,
# and it knows nothing of api_keys (0010) or users.account_source (0011).
OLD_RELEASE = "3d7e354"
FLASK = os.path.join(sys.prefix, "bin", "flask")


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


def _extract_release(commit: str, dest: Path) -> None:
    """``git archive COMMIT`` of this repository, unpacked into ``dest``."""
    known = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet",
                            f"{commit}^{{commit}}"], capture_output=True, text=True, timeout=60)
    if known.returncode != 0:
        pytest.fail(f"the old release {commit} is not in the git repository at {ROOT} "
                    f"({known.stderr.strip() or 'unknown commit'}): this test serves that commit's code "
                    "and needs the full history (git fetch --unshallow).", pytrace=False)
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit],
                             capture_output=True, check=True, timeout=120)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True, timeout=120)
    newest = max(p.name for p in (dest / "bugzot/migrations/versions").glob("0*.py"))
    assert newest.startswith("0007_"), f"{commit} should be the release at 0007, not {newest}"


def _flask(cwd: Path, instance: Path, *args: str, **popen) -> subprocess.Popen:
    """``flask --app bugzot ARGS`` of the code in ``cwd`` (Flask imports ``bugzot`` from there)."""
    return subprocess.Popen([FLASK, "--app", f"bugzot:create_app(instance_path={str(instance)!r})", *args],
                            cwd=cwd, env={**os.environ, "BUGZOT_INSTANCE_PATH": str(instance)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def _old_release_at_0004(site, port):
    """A configure function for ``running_site``: the instance's PostgreSQL database
    downgraded to 0004 and given BULK_BUGS bugs, served from ``<tmp>/release``
    (OLD_RELEASE) with the Linux daemon-mode config (2 processes) the old release renders."""
    from flask_migrate import downgrade

    from bugzot import create_app
    from bugzot.extensions import db

    release = site.tmp / "release"
    _extract_release(OLD_RELEASE, release)
    render = _flask(release, site.instance, "apache-config", "--standalone", "--root", str(release),
                    "--python-home", sys.prefix, "--host", "127.0.0.1", "--listen", f"127.0.0.1:{port}",
                    "--processes", "2", "--threads", "4", "--output", str(site.conf))
    app = create_app(instance_path=str(site.instance))  # seeded at head: users, the product
    with app.app_context():
        downgrade(revision="0004")
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    _bulk_bugs(url, BULK_BUGS)
    output = render.communicate(timeout=120)[0]  # rendered meanwhile
    assert render.returncode == 0 and f'"{release}/wsgi/conf.wsgi"' in site.conf.read_text(), output
    return []


def _install_new_code(release: Path) -> None:
    """Put this checkout's code where the old release was (what unpacking a release does);
    the old daemons keep theirs in memory until conf.wsgi is touched."""
    release.rename(release.with_name("release-old"))
    release.mkdir()
    for part in ("bugzot", "wsgi", "apache"):
        shutil.copytree(ROOT / part, release / part, ignore=shutil.ignore_patterns("__pycache__"))


def _daemon_pids(site) -> set[int]:
    """The mod_wsgi daemon processes of the site's Apache (display-name ``(wsgi:bugzot)``)."""
    apache = psutil.Process(int(site.pid_file.read_text()))
    return {child.pid for child in apache.children() if "(wsgi:bugzot)" in " ".join(child.cmdline())}


def _file_a_bug(browser, summary: str) -> str:
    reply = browser.post_form("/bugs/new?product=Widget", {
        "product": "Widget", "component": "Engine", "version": "1.0", "severity": "normal",
        "priority": "P3", "platform": "All", "op_sys": "All",
        "summary": summary, "description": "Still here."})
    assert reply.status == 302, reply.text[:2000]
    return urllib.parse.urlsplit(reply.headers["Location"]).path


def _log_in(site) -> int:
    """A new visitor logs in as the reporter (a write: users.last_login_at); the status."""
    return Browser(site.base_url).post_form("/login", {"login": "reporter", "password": PASSWORD}).status


def _old_code_writes_on_new_schema(site, browser, url: str, old_pids: set[int]) -> None:
    """After the upgrade, before the reload: the old code logs in, files a bug, registers."""
    engine = sa.create_engine(url)
    last_login = "SELECT last_login_at FROM users WHERE username = 'reporter'"
    try:
        with engine.connect() as conn:
            before = conn.scalar(sa.text(last_login))
        assert _log_in(site) == 302
        bug_page = _file_a_bug(browser, "Filed by the old code on the new schema")
        assert browser.get(bug_page).status == 200
        registered = Browser(site.base_url).post_form("/register", {
            "username": "newcomer", "email": "newcomer@example.com", "real_name": "New Comer",
            "password": PASSWORD, "confirm": PASSWORD})
        assert registered.status == 200 and "newcomer@example.com" in registered.text, registered.text[:2000]
        with engine.connect() as conn:
            assert conn.scalar(sa.text(last_login)) > before
            account = conn.execute(sa.text(
                "SELECT account_source, is_active FROM users WHERE username = 'newcomer'")).one()
        assert tuple(account) == ("local", False)  # 0011's server default filled the new column
        assert browser.get("/_health").json()["pid"] in old_pids
        assert browser.get("/rest/version").status == 404  # still the old code: no REST API
    finally:
        engine.dispose()


def test_old_release_keeps_serving_while_the_new_release_migrates(database):
    with running_site(_old_release_at_0004, internal_redirect=True,
                      settings={"SQLALCHEMY_DATABASE_URI": database}) as site:
        release = site.tmp / "release"
        browser = site.browser()
        browser.login("reporter", PASSWORD)
        bug_page = _file_a_bug(browser, "Read during the upgrade")
        old_pids = _daemon_pids(site)
        assert len(old_pids) == 2 and browser.get("/_health").json()["pid"] in old_pids
        assert browser.get("/rest/version").status == 404  # the old release serves

        # The new release (this checkout) migrates the old release's instance.
        command = _flask(ROOT, site.instance, "upgrade")
        lines: list[tuple[float, str]] = []
        reader = threading.Thread(target=lambda: lines.extend(
            (time.monotonic(), line.rstrip()) for line in command.stdout), daemon=True)
        reader.start()
        served = []  # (finished at, what, status, expected status, pid or None)
        while command.poll() is None:
            for path in (bug_page, "/bugs?sort=priority", "/_health"):
                reply = browser.get(path)
                pid = reply.json()["pid"] if path == "/_health" and reply.status == 200 else None
                served.append((time.monotonic(), path, reply.status, 200, pid))
            served.append((time.monotonic(), "POST /login", _log_in(site), 302, None))
        reader.join(timeout=30)
        output = "\n".join(line for _, line in lines)
        assert command.wait(timeout=60) == 0, output
        applied = [line.split()[1] for _, line in lines if line.startswith("  applying ")]
        assert applied[:3] == ["0005", "0006", "0007"] and "0011" in applied, output
        assert f"Upgraded 0004 -> {applied[-1]} ({len(applied)} migration(s))." in output
        assert all(str(pid) in output for pid in old_pids), output  # "... serve the old code until ..."
        assert f"Touched {ROOT}/wsgi/conf.wsgi" in output  # the new release's, not yet served

        started = next(t for t, line in lines if line.startswith("  applying 0005"))
        ended = next(t for t, line in lines if line.startswith("  done     0007"))
        during = [s for s in served if started < s[0] < ended]
        # Enough requests landed while the indexes were built (not a wall-clock threshold:
        # how long 150k rows take depends on the machine's neighbours).
        assert len(during) >= 6, (f"{len(during)} requests in {ended - started:.2f} s of migration: "
                                  "make the table larger", output)
        assert all(status == expected for _, _, status, expected, _ in during), \
            [s for s in during if s[2] != s[3]]
        assert {pid for *_, pid in during if pid} <= old_pids  # the old processes answered
        assert all(status == expected for _, _, status, expected, _ in served), \
            [s for s in served if s[2] != s[3]]  # also during 0008-0011 (tables, columns)

        _old_code_writes_on_new_schema(site, browser, database, old_pids)

        # The new code in the served folder, conf.wsgi touched: new daemon processes serve it.
        _install_new_code(release)
        script = release / "wsgi" / "conf.wsgi"
        moment = max(time.time(), script.stat().st_mtime + 1)
        os.utime(script, (moment, moment))  # an admin's `touch wsgi/conf.wsgi`
        deadline = time.monotonic() + 30
        while not (new := browser.get("/_health").json()["pid"]) or new in old_pids:
            assert time.monotonic() < deadline, "the daemon processes were not replaced"
        assert browser.get("/rest/version").json()["version"]  # the new code, with its REST API
        # The old release's logins do not carry over (this code keeps login sessions
        # server-side, 0013, and reads the cookie's user id as a token): log in again.
        visitor = site.browser()
        visitor.login("reporter", PASSWORD)  # the new code reads users.account_source
        assert visitor.get(bug_page).status == 200
        assert visitor.get("/bugs?sort=priority").status == 200
        assert not site.wsgi_problems(), site.wsgi_problems()
