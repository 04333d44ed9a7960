"""The flask commands: init-db, create-admin, create-user, seed-demo."""

import pytest
from sqlalchemy import select

from bugzot.extensions import db
from bugzot.models import Product, Role, User
from tests.conftest import PASSWORD


def test_init_db_is_idempotent_and_creates_roles(live_app, runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "Database is up to date." in result.output
    names = set(db.session.scalars(select(Role.name)))
    assert {"Reporter", "Employee", "Supervisor", "Admin"} <= names


def test_create_admin_with_options(runner, auth):
    result = runner.invoke(args=["create-admin", "--username", "root1", "--email", "r@example.com",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "root1"))
    assert user.is_active and user.role.name == "Admin"
    assert auth.login("r@example.com").status_code == 302


def test_create_admin_prompts_for_missing_values(runner):
    result = runner.invoke(args=["create-admin"],
                           input=f"carol\ncarol@example.com\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.username).where(User.email == "carol@example.com")) == "carol"


def test_create_user_with_role(runner):
    result = runner.invoke(args=["create-user", "--username", "emp", "--email", "emp@example.com",
                                 "--password", PASSWORD, "--role", "employee"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.username == "emp")).role.name == "Employee"


@pytest.mark.parametrize("override,message", [
    ({"--role": "Wizard"}, "No role named 'Wizard'"),
    ({"--username": "dup"}, "The username 'dup' is taken."),
    ({"--password": "short"}, "Use at least 12 characters"),
    ({"--email": "nope"}, "Enter a valid email address."),
])
def test_create_user_bad_input_is_a_clear_cli_error(runner, make_user, override, message):
    make_user("dup")
    options = {"--username": "fresh", "--email": "fresh@example.com", "--password": PASSWORD,
               **override}
    result = runner.invoke(args=["create-user", *[x for pair in options.items() for x in pair]])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(User.id).where(User.username == "fresh")) is None


def test_seed_demo_prints_logins_and_is_idempotent(runner, auth):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    for username in ("admin", "supervisor", "employee", "reporter"):
        assert username in first.output
    products = db.session.scalar(select(db.func.count()).select_from(Product))
    assert products >= 3
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert db.session.scalar(select(db.func.count()).select_from(Product)) == products
    assert auth.login("supervisor", "welcome-to-the-demo").status_code == 302


def test_commands_push_their_own_app_context(live_app_config, tmp_path):
    """run.py invokes commands without an app context (unlike the fixtures): they must cope."""
    import contextvars

    from bugzot import create_app

    fresh = create_app(live_app_config, instance_path=str(tmp_path / "other-instance"))
    for command in (["init-db"], ["seed-demo"]):
        result = contextvars.Context().run(fresh.test_cli_runner().invoke, args=command)
        assert result.exit_code == 0, result.output


def test_init_db_on_a_new_database_says_it_created_it(tmp_path):
    from bugzot import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/new.sqlite"},
                     instance_path=str(tmp_path / "instance"))
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Created the database (schema " in result.output
    assert "up to date" not in result.output
    again = app.test_cli_runner().invoke(args=["init-db"])
    assert again.output.strip() == "Database is up to date."
    with app.app_context():
        db.engine.dispose()
