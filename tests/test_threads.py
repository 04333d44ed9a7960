"""Many concurrent requests against ONE in-process app, as under Windows' mpm_winnt.

On Windows Apache runs a single child process whose threads (``ThreadsPerChild``) all
call the same app object. This serves the ``live_app`` fixture (SQLite and PostgreSQL) with
Werkzeug's threaded server (``live_server``) on 127.0.0.1 and lets logged-in and anonymous visitors hit
it at once, each from its own thread with its own cookies. Every page must belong to
the visitor that asked for it (no session, user or flash message crossing over),
and nothing may fail or be logged as an error.
"""

from __future__ import annotations

import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from conftest import PASSWORD
from livehttp import Browser

USERS = 12
ANONYMOUS = 4
ROUNDS = 8


def test_concurrent_visitors_only_ever_see_themselves(live_app, live_server, make_user, caplog):
    caplog.set_level(logging.ERROR)
    tag = secrets.token_hex(3)
    names = [f"t{tag}u{i:02d}" for i in range(USERS)]
    for name in names:
        make_user(name, real_name=f"Real {name}")
    start = threading.Barrier(USERS + ANONYMOUS, timeout=60)

    def user_visits(index: int) -> int:
        me, browser = names[index], Browser(live_server)
        browser.login(me, PASSWORD)
        start.wait()
        for _ in range(ROUNDS):
            page = browser.get("/prefs")
            assert page.status == 200, page.text[:500]
            assert f"Preferences for {me}" in page.text
            others = [n for n in names if n != me and n in page.text]
            assert not others, f"{me} saw {others}"
            assert browser.get("/_health").status == 200
        browser.post_form("/logout", {})
        assert browser.get("/prefs").status == 302  # logged out: own session only
        return ROUNDS

    def anonymous_visits(_: int) -> int:
        browser = Browser(live_server)
        start.wait()
        for _ in range(ROUNDS):
            assert browser.get("/").status == 302
            page = browser.get("/login")
            assert page.status == 200
            assert not [n for n in names if n in page.text], "an anonymous visitor saw a user"
        return ROUNDS

    with ThreadPoolExecutor(USERS + ANONYMOUS) as pool:
        futures = [pool.submit(user_visits, i) for i in range(USERS)]
        futures += [pool.submit(anonymous_visits, i) for i in range(ANONYMOUS)]
        done = [future.result(timeout=180) for future in futures]
    assert sum(done) == (USERS + ANONYMOUS) * ROUNDS
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def test_concurrent_logins_keep_flash_messages_apart(live_app, live_server, make_user):
    """The "Welcome, <name>" flash lives in each visitor's own session."""
    names = [f"f{secrets.token_hex(3)}{i}" for i in range(8)]
    for name in names:
        make_user(name, real_name=f"Person {name}")
    start = threading.Barrier(len(names), timeout=60)

    def visit(name: str) -> str:
        browser = Browser(live_server)
        token = browser.csrf_token()
        start.wait()
        body = urlencode({"login": name, "password": PASSWORD, "csrf_token": token}).encode()
        reply = browser.request("POST", "/login", body,
                                {"Content-Type": "application/x-www-form-urlencoded"})
        assert reply.status == 302, reply.text[:500]
        return browser.get("/").text

    with ThreadPoolExecutor(len(names)) as pool:
        pages = list(pool.map(visit, names, timeout=120))
    for name, page in zip(names, pages, strict=True):
        assert f"Welcome, Person {name}" in page
        assert not [n for n in names if n != name and f"Person {n}" in page]
