"""BugZot: a bug tracker for company intranets.

``create_app`` is the application factory. It reads configuration and wires up
extensions, blueprints, error handlers and CLI commands; it opens no database
connection and creates no files, so importing and building the app is cheap and
safe under any WSGI server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask


class ConfigError(RuntimeError):
    """The configuration cannot run (e.g. no SECRET_KEY in production)."""


def create_app(
    test_config: Mapping[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Build a BugZot app: defaults, then ``instance/config.py``, then ``test_config``."""
    if instance_path is not None:
        instance_path = os.path.abspath(instance_path)
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_object("bugzot.config")
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.from_mapping(test_config)
    _finish_config(app)

    from bugzot import cli, errors, hooks, notify, security
    from bugzot.api import register_api
    from bugzot.views import page_cache, register_blueprints

    security.init_routing(app)  # first: its checks run before every other hook's
    register_extensions(app)
    notify.init_app(app)
    register_blueprints(app)
    register_api(app)
    security.init_app(app)
    errors.register_errorhandlers(app)
    hooks.register_hooks(app)
    page_cache.init_app(app)  # last: its before_request hook runs after the others'
    cli.register_commands(app)
    return app


def _finish_config(app: Flask) -> None:
    """Fill derived defaults and refuse configurations that cannot run safely."""
    cfg = app.config
    if cfg.get("TESTING"):
        cfg["ENV"] = "testing"
    if not cfg.get("SECRET_KEY"):
        if cfg["ENV"] not in ("development", "testing"):
            raise ConfigError(
                "SECRET_KEY is not set. Add a line like\n"
                "    SECRET_KEY = '<64 random hex characters>'\n"
                f"to {os.path.join(app.instance_path, 'config.py')}; generate one with\n"
                "    python -c \"import secrets; print(secrets.token_hex(32))\""
            )
        # Development/testing without a key: an ephemeral one (sessions die on restart).
        cfg["SECRET_KEY"] = os.urandom(32).hex()
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        db_file = os.path.join(app.instance_path, "bugzot.sqlite")
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + db_file.replace("\\", "/")
    if not cfg.get("ATTACHMENT_FOLDER"):
        cfg["ATTACHMENT_FOLDER"] = os.path.join(app.instance_path, "attachments")
    if not cfg.get("MAIL_OUTBOX"):
        cfg["MAIL_OUTBOX"] = os.path.join(app.instance_path, "outbox")
    _check_argon2(cfg)
    from bugzot.services.external import config_problem  # directory and local-login settings

    problem = config_problem(cfg)
    if problem:
        raise ConfigError(problem)
    # Rate limits count unless switched off; a TESTING app (one shared by many tests, all
    # from 127.0.0.1) counts only when a test asks for it.
    cfg.setdefault("RATELIMIT_ENABLED", not cfg.get("TESTING"))
    # A connection broken by a database restart is replaced, not handed to a request.
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **cfg["SQLALCHEMY_ENGINE_OPTIONS"]}
    cfg["BASE_URL"] = cfg["BASE_URL"].rstrip("/")
    if cfg["ENV"] == "production" and cfg["BASE_URL"].startswith("https://"):
        # Served over HTTPS: cookies must never travel over plain HTTP.
        cfg["SESSION_COOKIE_SECURE"] = cfg["REMEMBER_COOKIE_SECURE"] = True


def _check_argon2(cfg: Mapping[str, Any]) -> None:
    """Refuse password-hashing costs that argon2 would reject at the first login (a 500)."""
    costs = {name: cfg.get(name) for name in
             ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM")}
    for name, value in costs.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}.")
    if costs["ARGON2_MEMORY_COST"] < 8 * costs["ARGON2_PARALLELISM"]:
        raise ConfigError(
            f"ARGON2_MEMORY_COST ({costs['ARGON2_MEMORY_COST']} KiB) must be at least 8 times "
            f"ARGON2_PARALLELISM ({costs['ARGON2_PARALLELISM']}): argon2 rejects less.")


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions from ``bugzot.extensions`` to ``app``."""
    from bugzot import events, models  # noqa: F401  (models: registers every table)
    from bugzot.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    csrf.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    events.init_app(app)
