"""Shared fixtures. Every test that takes ``app`` runs twice: on SQLite and on PostgreSQL.

The databases are migrated once per session (which also tests the migrations). Tests
that start no live server run in a transaction rolled back at their end, inside one
rolled back at the end of their module (``tests/databases.py``); live servers, threads
and the browser use ``live_app`` on a second database whose commits are real.
"""

from __future__ import annotations

import contextvars
import email
import os
import re
import secrets
import threading
from email.message import Message

import factories
import pytest
from databases import (
    BACKENDS,
    BUILD_TIME_KEYS,
    base_config,
    drop_postgres_database,
    empty_database,
    migrate,
    outer_transaction,
    postgres_database,
    savepoint_for_test,
    transactional_app,
)
from flask import has_app_context
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from bugzot import create_app
from bugzot.extensions import db

pytest_plugins = ("mail_support",)  # the SMTP server and webhook receiver fixtures

PASSWORD = factories.PASSWORD
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


# -- databases ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def all_database_urls(tmp_path_factory):
    """Migrated databases: ``{"sqlite": url, "postgresql": url}`` for transactional
    tests and ``{"sqlite-live": ..., "postgresql-live": ...}`` for committing ones."""
    tag = secrets.token_hex(4)
    urls, drops = {}, []
    for kind in ("", "-live"):
        sqlite_file = tmp_path_factory.mktemp("sqlite") / f"bugzot{kind}.sqlite"
        urls["sqlite" + kind] = f"sqlite:///{sqlite_file}"
        pg_url, pg_admin = postgres_database(f"bugzot_test_{tag}{kind.replace('-', '_')}")
        urls["postgresql" + kind] = pg_url
        if pg_admin:
            drops.append((pg_url, pg_admin))
        if os.environ.get("BUGZOT_TEST_POSTGRES_URL") and kind:
            raise pytest.UsageError("BUGZOT_TEST_POSTGRES_URL names one database; the suite "
                                    "needs two. Set BUGZOT_TEST_POSTGRES_ADMIN_URL instead.")
    for backend, url in urls.items():
        migrate(url, tmp_path_factory.mktemp(backend))
    yield urls
    for url, admin in drops:
        drop_postgres_database(url, admin)


@pytest.fixture(scope="session")
def database_urls(all_database_urls):
    """Backend name -> URL of the migrated database of transactional tests."""
    return {backend: all_database_urls[backend] for backend in BACKENDS}


@pytest.fixture(scope="session")
def live_database_urls(all_database_urls):
    """Backend name -> URL of the migrated database whose commits are real."""
    return {backend: all_database_urls[backend + "-live"] for backend in BACKENDS}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """The database backend of this run of the module's tests."""
    return request.param


@pytest.fixture(scope="session")
def _shared_apps(database_urls, tmp_path_factory):
    """One transactional app per backend for the whole session (built lazily)."""
    apps: dict = {}

    def get(backend: str):
        if backend not in apps:
            apps[backend] = transactional_app(database_urls[backend],
                                              tmp_path_factory.mktemp(f"app-{backend}"))
        return apps[backend]

    return get


@pytest.fixture(scope="module")
def module_db(_shared_apps, backend):
    """The shared app of this backend with the module's outer transaction open: a
    module-scoped data set built here (``with module_db.app_context(): ...``) is seen by
    every test of the module and rolled back after the last one."""
    app = _shared_apps(backend)
    with outer_transaction(app) as conn:
        app.extensions["bugzot.test_connection"] = conn
        yield app
        app.extensions.pop("bugzot.test_connection", None)


@pytest.fixture
def app_config(tmp_path, backend, database_urls) -> dict:
    """Settings the ``app`` fixture applies for this test; tests may change them first."""
    return base_config(tmp_path, database_urls[backend])


class IsolatedClient(FlaskClient):
    """A test client whose requests run like a real server's: each in a fresh app
    context, with its own ``g`` and database session, not the test's pushed one.

    Before each request the test's own session ends its transaction (as a real test
    process's would), so that whatever the request commits is not nested inside it."""

    def open(self, *args, **kwargs):
        if has_app_context() and db.session().in_transaction():
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(module_db, app_config, tmp_path):
    """The shared app in a transaction rolled back after the test, with an app context
    pushed for the test and this test's settings applied.

    Requests made with ``client`` do not share that context (see IsolatedClient), so
    re-read objects (``db.session.expire_all()``) after a request changed them.
    """
    application = module_db
    saved = dict(application.config)
    application.config.update({k: v for k, v in app_config.items() if k not in BUILD_TIME_KEYS})
    application.test_client_class = IsolatedClient
    conn = application.extensions["bugzot.test_connection"]
    try:
        with savepoint_for_test(conn), application.app_context():
            yield application
            db.session.remove()
    finally:
        application.config.clear()
        application.config.update(saved)


@pytest.fixture
def client(any_app):
    """A test client of the test's app (``live_app`` when the test uses it, else ``app``)."""
    return any_app.test_client()


@pytest.fixture
def runner(any_app):
    """A CLI runner of the test's app (``live_app`` when the test uses it, else ``app``)."""
    return any_app.test_cli_runner()


# -- live servers and the browser (real commits) ------------------------------------------
@pytest.fixture
def live_app_config(tmp_path, backend, live_database_urls) -> dict:
    """Settings of ``live_app``; tests may change them first."""
    return base_config(tmp_path, live_database_urls[backend])


@pytest.fixture
def live_app(live_app_config, tmp_path):
    """An app on the committing database, emptied first, with an app context pushed:
    for servers in threads or processes, which must see what the test commits."""
    application = create_app(live_app_config, instance_path=str(tmp_path / "instance"))
    application.test_client_class = IsolatedClient
    with application.app_context():
        empty_database()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    """``live_app`` served by Werkzeug's threaded server on a free 127.0.0.1 port (as
    under Windows' one multi-threaded Apache child); yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="bugzot-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium driven by Playwright, started once per test module
    (each test gets its own browser contexts: cookies and storage are not shared). Not
    once per session: Playwright's sync API keeps an event loop in this thread while it
    runs, which later modules' asyncio code would trip over."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tabs(chromium):
    """Factory: ``tabs("phone")`` -> a ``browser_support.Tab`` (its own context) at 390 px,
    ``tabs("laptop", "dark")`` at 1366 px in dark mode; ``tab.audit(name)`` runs every page's checks."""
    from browser_support import Tab

    opened: list[Tab] = []

    def open_tab(device: str = "laptop", scheme: str = "light") -> Tab:
        opened.append(Tab(chromium, device, scheme))
        return opened[-1]

    yield open_tab
    for tab in opened:
        tab.close()


@pytest.fixture
def browser_page(tabs):
    """A laptop-width page and the console and page errors it reports (``problems``)."""
    tab = tabs("laptop")
    return tab.page, tab.problems


# -- helpers --------------------------------------------------------------------------
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of ``client``'s session, read from a page's meta tag."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no csrf-token meta tag on {path}"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, **kwargs):
    """POST a form with the session's CSRF token added (as a browser would)."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=data, **kwargs)


class AuthActions:
    """``auth.login(...)``/``auth.logout()`` through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, login: str, password: str = PASSWORD, **kwargs):
        return post_form(self._client, "/login", {"login": login, "password": password}, **kwargs)

    def logout(self):
        return post_form(self._client, "/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def any_app(request, backend):
    """The app of this test for the factories: ``live_app`` if the test uses it, else ``app``."""
    if "live_app" in request.fixturenames:
        return request.getfixturevalue("live_app")
    return request.getfixturevalue("app")


@pytest.fixture
def make_user(any_app):
    """Factory: ``make_user("ann", role="Employee", active=True)`` -> User."""
    return factories.new_user


@pytest.fixture
def login_as(client, auth, make_user):
    """Factory: create a user with ``role`` and log the test client in as them."""

    def login(role: str = "Reporter", username: str | None = None):
        user = make_user(username, role=role)
        response = auth.login(user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


@pytest.fixture
def make_product(any_app):
    """Factory: a product (in a classification) with components and versions, made
    through the catalogue services as the admin pages do."""
    return factories.new_product


@pytest.fixture
def make_bug(any_app):
    """Factory: ``make_bug(product=None, reporter=None, ...)`` -> Bug (factories.new_bug)."""
    return factories.new_bug


@pytest.fixture
def outbox(any_app):
    """Callable returning the mails sent so far, oldest first: it runs the mail worker
    once first (``send-mail``), which writes what is due into the outbox folder."""
    from bugzot.notify import worker

    def read() -> list[Message]:
        worker.run_once()
        folder = any_app.config["MAIL_OUTBOX"]
        if not os.path.isdir(folder):
            return []
        mails = []
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as fh:
                mails.append(email.message_from_binary_file(fh))
        return mails

    return read


def mail_link(message: Message, prefix: str) -> str:
    """The path of the first link in ``message`` that starts with BASE_URL + ``prefix``."""
    body = message.get_payload(decode=True).decode()
    match = re.search(r"http://bugzot\.test(" + re.escape(prefix) + r"\S*)", body)
    assert match, f"no {prefix} link in mail:\n{body}"
    return match.group(1)


# Helpers many test modules import from here.
edit = factories.edit
users_named = factories.users_named
cc_of = factories.cc_of
other_session = factories.other_session


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``-n N --dist loadgroup``): a module's tests stay on one worker
    (its module-scoped data set is built once), and every test that runs Apache runs on
    the same worker, one after the other (touching a checkout's conf.wsgi restarts every
    daemon serving it)."""
    for item in items:
        group = "apache" if item.get_closest_marker("apache") else item.module.__name__
        item.add_marker(pytest.mark.xdist_group(group))
