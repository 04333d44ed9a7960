"""Shared fixtures. Every test that takes ``app`` runs twice: on SQLite and on PostgreSQL.

Each database is migrated once per session (which also tests the migrations) and
emptied before every test. PostgreSQL comes from ``BUGZOT_TEST_POSTGRES_URL`` or,
by default, a throwaway database on the server at 127.0.0.1:5432; ``scripts/test.sh``
starts a throwaway server when none is reachable. PostgreSQL tests never skip.
"""

from __future__ import annotations

import contextvars
import email
import os
import re
import secrets
from email.message import Message

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from bugzot import create_app
from bugzot.extensions import db

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct-horse-battery"
BACKENDS = ("sqlite", "postgresql")


def base_config(tmp_path, db_url: str) -> dict:
    """The test configuration for an app on ``db_url`` with files under ``tmp_path``."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-" + secrets.token_hex(8),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "BASE_URL": "http://bugzot.test",
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "ATTACHMENT_FOLDER": str(tmp_path / "attachments"),
    }


# -- databases ----------------------------------------------------------------------
def _postgres_url(worker_tag: str) -> tuple[str, str | None]:
    """(test database URL, admin URL to drop it with, or None if given from outside)."""
    given = os.environ.get("BUGZOT_TEST_POSTGRES_URL")
    if given:
        return given, None
    admin_url = os.environ.get("BUGZOT_TEST_POSTGRES_ADMIN_URL", DEFAULT_PG_ADMIN_URL)
    name = f"bugzot_test_{worker_tag}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.exit(
            f"PostgreSQL is not reachable at {admin_url} ({exc.orig}).\n"
            "Run the suite with scripts/test.sh (it starts a throwaway server) or set "
            "BUGZOT_TEST_POSTGRES_URL.", returncode=3)
    finally:
        engine.dispose()
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False), admin_url


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """Backend name -> URL of a freshly migrated database for this test session."""
    tag = secrets.token_hex(4)
    sqlite_file = tmp_path_factory.mktemp("sqlite") / "bugzot.sqlite"
    pg_url, pg_admin = _postgres_url(tag)
    urls = {"sqlite": f"sqlite:///{sqlite_file}", "postgresql": pg_url}
    for backend, url in urls.items():
        app = create_app(base_config(tmp_path_factory.mktemp(backend), url))
        with app.app_context():
            upgrade()
            db.engine.dispose()
    yield urls
    if pg_admin:
        engine = sa.create_engine(pg_admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(pg_url).database}" WITH (FORCE)'))
        engine.dispose()


def empty_database() -> None:
    """Delete every row of every table (the schema stays), then re-create built-in roles."""
    from bugzot.services.roles import ensure_default_roles

    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
            conn.execute(sa.text("DELETE FROM sqlite_sequence")) if conn.execute(
                sa.text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None
    ensure_default_roles()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The database backend of this run of the test."""
    return request.param


@pytest.fixture
def app_config(tmp_path, backend, database_urls) -> dict:
    """The config the ``app`` fixture builds with; tests may update it before using ``app``."""
    return base_config(tmp_path, database_urls[backend])


class IsolatedClient(FlaskClient):
    """A test client whose requests run like a real server's: each in a fresh app
    context, with its own ``g`` and database session, not the test's pushed one."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(app_config, tmp_path):
    """An app on an empty, migrated database, with an app context pushed for the test.

    Requests made with ``client`` do not share that context (see IsolatedClient), so
    re-read objects (``db.session.expire_all()``) after a request changed them.
    """
    application = create_app(app_config, instance_path=str(tmp_path / "instance"))
    application.test_client_class = IsolatedClient
    with application.app_context():
        empty_database()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


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
def make_user(app):
    """Factory: ``make_user("ann", role="Employee", active=True)`` -> User."""
    from bugzot.services.accounts import create_user

    def make(username: str = None, role: str = "Reporter", password: str = PASSWORD,
             active: bool = True, email: str | None = None, real_name: str = ""):
        username = username or f"user{secrets.token_hex(3)}"
        return create_user(username, email or f"{username}@example.com", password,
                           real_name=real_name, role_name=role, active=active)

    return make


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
def make_product(app):
    """Factory: a product (in a classification) with components and versions, made
    through the catalogue services as the admin pages do."""
    from bugzot.models import Classification
    from bugzot.services import catalogue

    def make(name: str = None, components=("General",), versions=("1.0",), milestones=(),
             classification: str = "Default", **fields):
        name = name or f"Product{secrets.token_hex(3)}"
        cls = db.session.scalar(sa.select(Classification).where(Classification.name == classification))
        if cls is None:
            cls = catalogue.save_classification(None, name=classification)
        product = catalogue.save_product(None, name=name, classification_id=cls.id, **fields)
        for c in components:
            catalogue.save_component(product, None, name=c, description=f"{c} component")
        for v in versions:
            catalogue.save_version(product, None, value=v)
        for i, m in enumerate(milestones):
            catalogue.save_milestone(product, None, value=m, sortkey=i)
        return product

    return make


@pytest.fixture
def outbox(app):
    """Callable returning the mails written so far, oldest first."""

    def read() -> list[Message]:
        folder = app.config["MAIL_OUTBOX"]
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


@pytest.fixture
def make_bug(app, make_user, make_product):
    """Factory: ``make_bug(product=None, reporter=None, summary=..., description=...,
    status=..., **fields)`` -> Bug, filed through ``services.bugs.file_bug``.

    ``product`` is a Product or a name (default: a new product); ``reporter`` a User
    (default: a new Reporter). ``status`` may be any status: open ones are filed
    directly, closed ones are then resolved through the workflow by an Employee
    (``resolution`` defaults to FIXED). Other ``fields`` go to ``file_bug``
    (component, version, severity, priority, platform, op_sys, cc, is_private).
    """
    from bugzot.models import Product
    from bugzot.services import bugs

    def make(product=None, reporter=None, summary: str = "Something is broken",
             description: str = "Steps to reproduce: ...", status: str | None = None,
             resolution: str = "FIXED", **fields):
        if product is None:
            product = make_product()
        if isinstance(product, str):
            product = db.session.scalar(sa.select(Product).where(Product.name == product)) \
                or make_product(product)
        reporter = reporter or make_user(role="Reporter")
        fields.setdefault("component", product.components[0].name)
        fields.setdefault("version", product.versions[0].value if product.versions else "")
        closed = status in ("RESOLVED", "VERIFIED", "CLOSED")
        bug = bugs.file_bug(reporter, product=product.name, summary=summary,
                            description=description, status=None if closed else status, **fields)
        if closed:
            employee = make_user(role="Employee")
            path = {"RESOLVED": ["RESOLVED"], "VERIFIED": ["RESOLVED", "VERIFIED"],
                    "CLOSED": ["RESOLVED", "CLOSED"]}[status]
            for step in path:
                bugs.update_bug(employee, bug, {"bug_status": step, "resolution": resolution},
                                revision=bug.revision, comment=f"Moving to {step}.")
        return bug

    return make
