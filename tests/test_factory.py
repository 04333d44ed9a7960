"""The app factory and configuration precedence (no database needed)."""

import pytest

from bugzot import ConfigError, create_app


def write_instance_config(tmp_path, text: str) -> str:
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "config.py").write_text(text)
    return str(folder)


def test_defaults_apply_without_instance_config(tmp_path):
    app = create_app({"TESTING": True}, instance_path=str(tmp_path / "none"))
    assert app.config["ALLOW_ANONYMOUS_BROWSE"] is False
    assert app.config["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/none/bugzot.sqlite")


def test_instance_config_overrides_defaults_and_test_config_overrides_both(tmp_path):
    instance = write_instance_config(
        tmp_path, 'SECRET_KEY = "from-instance"\nBASE_URL = "https://bugs.example/"\nSLOW_REQUEST_MS = 7\n')
    app = create_app({"SLOW_REQUEST_MS": 9}, instance_path=instance)
    assert app.config["SECRET_KEY"] == "from-instance"
    assert app.config["BASE_URL"] == "https://bugs.example"  # trailing slash removed
    assert app.config["SLOW_REQUEST_MS"] == 9
    assert app.config["SESSION_COOKIE_SECURE"] is True  # production over https


def test_missing_secret_key_outside_development_is_a_clear_error(tmp_path):
    instance = write_instance_config(tmp_path, 'ENV = "production"\n')
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app(instance_path=instance)


@pytest.mark.parametrize("settings, message", [
    ("ARGON2_MEMORY_COST = 8\nARGON2_PARALLELISM = 4\n", "at least 8 times ARGON2_PARALLELISM"),
    ("ARGON2_TIME_COST = 0\n", "ARGON2_TIME_COST must be a whole number of at least 1"),
    ("ARGON2_PARALLELISM = '2'\n", "ARGON2_PARALLELISM must be a whole number"),
])
def test_argon2_costs_that_argon2_rejects_are_refused_at_start(tmp_path, settings, message):
    """Else the first login is a 500 (argon2: "Memory cost is too small")."""
    instance = write_instance_config(tmp_path, 'SECRET_KEY = "k"\n' + settings)
    with pytest.raises(ConfigError, match=message):
        create_app(instance_path=instance)


def test_smallest_argon2_costs_hash(tmp_path):
    instance = write_instance_config(
        tmp_path, 'SECRET_KEY = "k"\nARGON2_TIME_COST = 1\nARGON2_MEMORY_COST = 8\nARGON2_PARALLELISM = 1\n')
    app = create_app(instance_path=instance)
    from bugzot.services.passwords import hash_password, verify_password
    with app.app_context():
        assert verify_password(hash_password("long enough"), "long enough")


@pytest.mark.parametrize("env", ["development", "testing"])
def test_development_and_testing_run_without_secret_key(tmp_path, env):
    instance = write_instance_config(tmp_path, f'ENV = "{env}"\n')
    app = create_app(instance_path=instance)
    assert len(app.config["SECRET_KEY"]) == 64


def test_factory_does_no_io(tmp_path):
    """Building the app creates no files: not the instance folder, no database."""
    instance = tmp_path / "instance"
    create_app({"TESTING": True}, instance_path=str(instance))
    assert not instance.exists()


def test_relative_instance_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = create_app({"TESTING": True}, instance_path="inst")
    assert app.instance_path == str(tmp_path / "inst")
