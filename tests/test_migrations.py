"""Alembic migrations: a fresh database upgrades to head, downgrades, and matches the models."""

import secrets

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from databases import base_config
from flask_migrate import downgrade, upgrade

from bugzot import create_app
from bugzot.extensions import db
from bugzot.models.bugs import ORDER_INDEXES as _ORDER_INDEXES

ORDER_INDEXES = {index.name: index for index in _ORDER_INDEXES}


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


def revisions_after(app, base: str) -> list[str]:
    """The revisions an upgrade from ``base`` to head applies, oldest first."""
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    return [r.revision for r in reversed(list(script.walk_revisions(base=base, head="heads")))
            if r.revision != base]


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


# SQLite cannot reflect expression indexes, and alembic says so; the next test compares them.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_match_the_models(fresh_db_url, tmp_path):
    """Autogenerate finds nothing to do: no column, index or constraint was forgotten."""
    app = create_app(base_config(tmp_path, fresh_db_url))
    with app.app_context():
        upgrade()
        known = {t.name for t in db.metadata.sorted_tables}

        def include(obj, name, type_, reflected, compare_to):
            # Full-text machinery (FTS5 tables, tsvector helpers) lives outside the models.
            # Expression indexes: alembic compares their text, not their meaning (the next test).
            return not (type_ == "table" and name not in known) and name not in ORDER_INDEXES

        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": False})
            diffs = compare_metadata(ctx, db.metadata)
        db.engine.dispose()
    assert diffs == []


def test_workflow_order_indexes_match_the_models(fresh_db_url, tmp_path):
    """Migration 0005 writes the sort indexes' CASE expressions by hand: the database's own
    normalised definition of each must equal that of the index the model describes."""
    app = create_app(base_config(tmp_path, fresh_db_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            for name, index in ORDER_INDEXES.items():
                ddl = str(sa.schema.CreateIndex(index).compile(dialect=conn.dialect))
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(ddl.replace(name, "model_" + name, 1))
                    found = dict(conn.exec_driver_sql(
                        "SELECT indexname, regexp_replace(indexdef, '^.* USING ', '') "
                        "FROM pg_indexes WHERE indexname IN (%(a)s, %(b)s)",
                        {"a": name, "b": "model_" + name}).all())
                    assert found[name] == found["model_" + name], found
                else:
                    migrated = conn.exec_driver_sql(
                        "SELECT sql FROM sqlite_master WHERE name = ?", (name,)).scalar_one()
                    assert " ".join(migrated.split()) == " ".join(ddl.split())
            conn.rollback()
        db.engine.dispose()
