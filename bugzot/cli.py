"""Command-line interface: ``flask --app bugzot <command>``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import upgrade

from bugzot import permissions
from bugzot.exceptions import ServiceError


def register_commands(app: Flask) -> None:
    """Add BugZot's commands to ``app.cli``."""
    from bugzot.deploy.commands import apache_config, create_db_roles, upgrade_command
    from bugzot.notify.commands import send_mail, send_test_mail
    from bugzot.seed.bulk import seed_command

    for command in (init_db, create_admin, create_user, seed_demo, seed_command,
                    apache_config, create_db_roles, upgrade_command, send_mail, send_test_mail,
                    backup, restore):
        app.cli.add_command(command)


def _fail(exc: ServiceError) -> None:
    raise click.ClickException(exc.message)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema and the built-in roles."""
    from bugzot.extensions import db
    from bugzot.services.roles import ensure_default_roles

    before = _schema_revision(db.engine)
    upgrade()
    ensure_default_roles()
    after = _schema_revision(db.engine)
    if before is None:
        click.echo(f"Created the database (schema {after}).")
    elif before != after:
        click.echo(f"Upgraded the database from schema {before} to {after}.")
    else:
        click.echo("Database is up to date.")


def _schema_revision(engine) -> str | None:
    """The Alembic revision the database is at, None for a database without a schema."""
    import sqlalchemy as sa

    if not sa.inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))


@click.command("create-admin")
@with_appcontext
@click.option("--username", prompt=True)
@click.option("--email", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--real-name", default="")
def create_admin(username: str, email: str, password: str, real_name: str) -> None:
    """Create an active administrator account."""
    _create(username, email, password, real_name, permissions.ADMIN)


@click.command("create-user")
@with_appcontext
@click.option("--username", prompt=True)
@click.option("--email", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", default=permissions.DEFAULT_ROLE, show_default=True,
              help="Reporter, Employee, Supervisor, Admin or a custom role.")
@click.option("--real-name", default="")
def create_user(username: str, email: str, password: str, role: str, real_name: str) -> None:
    """Create an active account with the given role."""
    _create(username, email, password, real_name, role)


def _create(username: str, email: str, password: str, real_name: str, role: str) -> None:
    from bugzot.services.accounts import create_user as create
    from bugzot.services.roles import ensure_default_roles

    ensure_default_roles()
    try:
        user = create(permissions.SYSTEM, username, email, password, real_name=real_name,
                      role_name=role, active=True)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created {user.role.name} {user.username} <{user.email}>.")


@click.command("seed-demo")
@with_appcontext
@click.option("--password", default="welcome-to-the-demo", show_default=True,
              help="Password of every demo account.")
def seed_demo(password: str) -> None:
    """Add demo products, components, versions and one user per role."""
    from bugzot.seed.demo import seed_demo as seed

    try:
        logins = seed(password)
    except ServiceError as exc:
        _fail(exc)
    click.echo("Demo data is in place. Log in as:")
    for role, username in logins:
        click.echo(f"  {role:<11} {username:<11} password: {password}")


@click.command("backup")
@with_appcontext
@click.argument("folder", type=click.Path(file_okay=False))
def backup(folder: str) -> None:
    """Copy the database and the attachments into FOLDER (new or empty)."""
    from bugzot.deploy.backup import BackupError
    from bugzot.deploy.backup import backup as run

    try:
        manifest = run(folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(manifest["tables"].values())
    click.echo(f"Backed up {rows} rows and {manifest['attachments']['files']} attachment files "
               f"to {folder}.")


@click.command("restore")
@with_appcontext
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def restore(folder: str) -> None:
    """Load the backup in FOLDER into this empty instance, then check it."""
    from bugzot.deploy.backup import BackupError
    from bugzot.deploy.backup import restore as run

    try:
        manifest = run(folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(manifest["tables"].values())
    click.echo(f"Restored {rows} rows and {manifest['attachments']['files']} attachment files "
               f"from {folder} (made {manifest['created_at']}); counts and checksums match.")
