"""PostgreSQL for production: an owner role for migrations, a least-privilege app role.

The owner owns the database and every table, so only it can change the schema
(``flask db upgrade``/``init-db``). The app role may only connect and
SELECT/INSERT/UPDATE/DELETE rows (and use the id sequences); default privileges
extend that to tables the owner creates later, so migrations need no new grants.
A stolen app password cannot drop or alter tables.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from psycopg2 import sql

ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RolesError(RuntimeError):
    """The roles could not be created; the message says why."""


def _role_sql(name: str, password: str) -> sql.Composed:
    """CREATE ROLE, or ALTER ROLE when ``name`` exists: a login role with ``password``."""
    return sql.SQL(
        "DO $$BEGIN "
        "IF EXISTS (SELECT FROM pg_roles WHERE rolname = {lit}) THEN "
        "ALTER ROLE {ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {pw}; "
        "ELSE CREATE ROLE {ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {pw}; "
        "END IF; END$$"
    ).format(lit=sql.Literal(name), ident=sql.Identifier(name), pw=sql.Literal(password))


def create_roles(admin_url: str, database: str, owner: str, app_role: str,
                 owner_password: str, app_password: str) -> dict[str, str]:
    """Create or update ``database``, ``owner`` and ``app_role``; return their URLs
    (the owner's without password, for ~/.pgpass; the app's with a placeholder)."""
    for what, name in (("database", database), ("owner", owner), ("app role", app_role)):
        if not ROLE_RE.match(name):
            raise RolesError(f"{what} {name!r}: use lower-case letters, digits and _ only.")
    if owner == app_role:
        raise RolesError("the owner and the app role must be different roles.")
    if not owner_password or not app_password:
        raise RolesError("both roles need a password.")
    try:
        url = sa.make_url(admin_url)
    except sa.exc.ArgumentError as exc:
        raise RolesError(f"--admin-url: {exc}") from None
    if not url.drivername.startswith("postgresql"):
        raise RolesError("--admin-url must be a postgresql:// URL.")
    try:
        _as_admin(url, database, owner, app_role, owner_password, app_password)
        _in_database(url.set(database=database), owner, app_role)
    except sa.exc.DBAPIError as exc:
        raise RolesError(f"PostgreSQL refused: {str(exc.orig).strip()}") from None
    base = url.set(database=database, password=None)
    return {"owner": base.set(username=owner).render_as_string(),
            "app": base.set(username=app_role, password="APP-PASSWORD").render_as_string(False)}


def _run(url: sa.URL, statements: list) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            for statement in statements:
                cursor.execute(statement)
    finally:
        engine.dispose()


def _as_admin(url: sa.URL, database: str, owner: str, app_role: str,
              owner_password: str, app_password: str) -> None:
    """Roles and the database, on the admin's maintenance database."""
    ident = sql.Identifier
    statements = [_role_sql(owner, owner_password), _role_sql(app_role, app_password)]
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                  {"d": database}).first()
    finally:
        engine.dispose()
    if exists:
        statements.append(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(ident(database), ident(owner)))
    else:
        statements.append(sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0")
                          .format(ident(database), ident(owner)))
    statements += [
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident(database)),
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(ident(database), ident(app_role)),
    ]
    _run(url, statements)


def _in_database(url: sa.URL, owner: str, app_role: str) -> None:
    """Schema ownership and row-level grants, inside the BugZot database."""
    ident = sql.Identifier
    o, a = ident(owner), ident(app_role)
    _run(url, [
        sql.SQL("ALTER SCHEMA public OWNER TO {}").format(o),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(a),
        # Tables that exist already (e.g. re-run after migrations) ...
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(a),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(a),
        # ... and every table and sequence the owner's migrations create later.
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}").format(o, a),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                "GRANT USAGE, SELECT ON SEQUENCES TO {}").format(o, a),
    ])
