"""Test databases: created and migrated once per test session, used two ways.

* Transactional (the ``app`` fixture): one connection per test module holds an outer
  transaction that is rolled back when the module ends; each test runs in a SAVEPOINT
  rolled back when the test ends. Every session the app opens (the test's own and each
  request's) joins that connection with ``join_transaction_mode="create_savepoint"``, so
  the services' commits release savepoints and nothing ever reaches the database.
  Data sets a whole module reads are built once, inside the module's transaction.
* Committing (``live_app``, live servers, the browser): a second database per backend
  where commits are real (other threads and processes must see them), emptied before
  each test.

PostgreSQL comes from ``BUGZOT_TEST_POSTGRES_URL`` or a throwaway database on the
server at 127.0.0.1:5432 (``scripts/test.sh`` starts a throwaway server when none is
reachable).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from bugzot import create_app
from bugzot.extensions import db

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")
# The app reads these when it is built; a test may not change them on a shared app.
BUILD_TIME_KEYS = frozenset({"SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "LOG_LEVEL"})


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


def postgres_database(name: str) -> tuple[str, str | None]:
    """(URL of a fresh database ``name``, admin URL to drop it with, or None if the URL
    was given from outside and must be kept)."""
    given = os.environ.get("BUGZOT_TEST_POSTGRES_URL")
    if given:
        return given, None
    admin_url = os.environ.get("BUGZOT_TEST_POSTGRES_ADMIN_URL", DEFAULT_PG_ADMIN_URL)
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


def drop_postgres_database(url: str, admin_url: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def migrate(url: str, folder) -> None:
    """Bring the database at ``url`` to the newest migration."""
    app = create_app(base_config(folder, url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


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
            if conn.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))
    ensure_default_roles()


def sqlite_savepoints(engine: sa.Engine) -> None:
    """Let SQLite run SAVEPOINTs inside an outer transaction: pysqlite begins
    transactions lazily and its own way, so emit BEGIN ourselves (SQLAlchemy's recipe).
    Only the transactional test app does this; the app itself keeps pysqlite's mode."""

    @sa.event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


def transactional_app(url: str, folder) -> Flask:
    """An app whose sessions join an outer transaction (``outer_transaction``)."""
    app = create_app(base_config(folder, url), instance_path=str(folder / "instance"))
    db.session.session_factory.configure(join_transaction_mode="create_savepoint")
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sqlite_savepoints(db.engine)
        empty_database()  # roles only, committed: every test starts from them
    return app


@contextmanager
def outer_transaction(app: Flask) -> Iterator[sa.Connection]:
    """Route every session of ``app`` to one connection in a transaction rolled back at
    the end (``db.engines[None]`` is what Flask-SQLAlchemy's sessions bind to)."""
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        conn = engine.connect()
        outer = conn.begin()
        engines[None] = conn
    try:
        yield conn
    finally:
        with app.app_context():
            db.engines[None] = engine
        if outer.is_active:
            outer.rollback()
        conn.close()


@contextmanager
def savepoint_for_test(conn: sa.Connection) -> Iterator[None]:
    """One test's changes, rolled back afterwards."""
    savepoint = conn.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()
