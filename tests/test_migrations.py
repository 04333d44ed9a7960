"""Alembic migrations: a fresh database upgrades to head, downgrades, and matches the models."""

import secrets

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from bugzot import create_app
from bugzot.extensions import db
from tests.conftest import base_config


@pytest.fixture
def fresh_db_url(backend, database_urls, tmp_path):
    """URL of a brand-new empty database on ``backend`` (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    url = sa.make_url(database_urls["postgresql"])
    name = f"bugzot_fresh_{secrets.token_hex(4)}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def head_revision(app) -> str:
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()


def test_fresh_database_upgrades_downgrades_and_upgrades_again(fresh_db_url, tmp_path):
    app = create_app(base_config(tmp_path, fresh_db_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head_revision(app)
            tables = set(sa.inspect(conn).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head_revision(app)
        db.engine.dispose()


def test_migrations_match_the_models(fresh_db_url, tmp_path):
    """Autogenerate finds nothing to do: no column, index or constraint was forgotten."""
    app = create_app(base_config(tmp_path, fresh_db_url))
    with app.app_context():
        upgrade()
        known = {t.name for t in db.metadata.sorted_tables}

        def include(obj, name, type_, reflected, compare_to):
            # Full-text machinery (FTS5 tables, tsvector helpers) lives outside the models.
            return not (type_ == "table" and name not in known)

        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": False})
            diffs = compare_metadata(ctx, db.metadata)
        db.engine.dispose()
    assert diffs == []
