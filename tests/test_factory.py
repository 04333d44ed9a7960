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
