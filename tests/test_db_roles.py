"""``flask create-db-roles``: the owner role migrates, the app role only reads and writes rows.

Runs against the PostgreSQL server the suite uses (``BUGZOT_TEST_POSTGRES_ADMIN_URL``,
else the server of ``BUGZOT_TEST_POSTGRES_URL``, else postgres@127.0.0.1:5432; the
account needs CREATEROLE and CREATEDB) with throwaway database and role names,
removed afterwards.
"""

from __future__ import annotations

import os
import secrets

import pytest
import sqlalchemy as sa
from databases import DEFAULT_PG_ADMIN_URL
from flask_migrate import upgrade

from bugzot import create_app
from bugzot.extensions import db
from bugzot.permissions import SYSTEM


def _admin_url() -> str:
    """The suite's admin URL; else the server of BUGZOT_TEST_POSTGRES_URL; else the default."""
    if os.environ.get("BUGZOT_TEST_POSTGRES_ADMIN_URL"):
        return os.environ["BUGZOT_TEST_POSTGRES_ADMIN_URL"]
    if os.environ.get("BUGZOT_TEST_POSTGRES_URL"):
        url = sa.make_url(os.environ["BUGZOT_TEST_POSTGRES_URL"]).set(database="postgres")
        return url.render_as_string(hide_password=False)
    return DEFAULT_PG_ADMIN_URL


ADMIN_URL = _admin_url()


@pytest.fixture
def names():
    """Throwaway database/owner/app-role names; dropped after the test."""
    tag = secrets.token_hex(4)
    made = {"database": f"bugzot_roles_{tag}", "owner": f"bzowner_{tag}", "app": f"bzapp_{tag}"}
    yield made
    engine = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{made["database"]}" WITH (FORCE)'))
        for role in (made["app"], made["owner"]):
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
    engine.dispose()


def _create_roles(names, *extra):
    runner = create_app({"TESTING": True}).test_cli_runner()
    return runner.invoke(args=[
        "create-db-roles", "--admin-url", ADMIN_URL, "--database", names["database"],
        "--owner", names["owner"], "--app-role", names["app"], *extra,
    ], env={"BUGZOT_PG_OWNER_PASSWORD": "owner-pw-1", "BUGZOT_PG_APP_PASSWORD": "app-pw-1"})


def _url(role: str, password: str, database: str) -> str:
    return (sa.make_url(ADMIN_URL).set(username=role, password=password, database=database)
            .render_as_string(hide_password=False))


def test_owner_migrates_and_app_role_has_least_privilege(names, tmp_path):
    result = _create_roles(names)
    assert result.exit_code == 0, result.output
    assert f"Database {names['database']}: owner {names['owner']}, app role {names['app']}." in result.output
    assert "SQLALCHEMY_DATABASE_URI" in result.output and "app-pw-1" not in result.output

    owner_url = _url(names["owner"], "owner-pw-1", names["database"])
    app_url = _url(names["app"], "app-pw-1", names["database"])
    owner_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": owner_url},
                           instance_path=str(tmp_path / "owner"))
    with owner_app.app_context():
        from bugzot.services.roles import ensure_default_roles

        upgrade()  # tables created by the owner after the grants: default privileges cover them
        ensure_default_roles()
        db.engine.dispose()

    web_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app_url,
                          "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1},
                         instance_path=str(tmp_path / "app"))
    with web_app.app_context():
        from bugzot.models import User
        from bugzot.services.accounts import create_user

        user = create_user(SYSTEM, "least", "least@example.com", "least-privilege-pw")  # INSERT + sequence
        user.real_name = "Least Privilege"  # UPDATE
        db.session.commit()
        assert db.session.scalar(sa.select(User.real_name).where(User.id == user.id)) == "Least Privilege"
        db.session.delete(user)  # DELETE
        db.session.commit()
        for statement in ("CREATE TABLE intruder (id int)", "DROP TABLE users",
                          "ALTER TABLE users ADD COLUMN evil text", "TRUNCATE users"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
        db.engine.dispose()

    again = _create_roles(names)  # re-running only updates passwords and grants
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("args, message", [
    (["--owner", "Bad-Name"], "use lower-case letters, digits and _ only"),
    (["--owner", "same_role", "--app-role", "same_role"], "must be different roles"),
    (["--admin-url", "mysql://root@localhost/x"], "must be a postgresql:// URL"),
])
def test_bad_role_arguments_are_clear_errors(names, args, message):
    result = _create_roles(names, *args)
    assert result.exit_code == 1 and message in result.output, result.output
