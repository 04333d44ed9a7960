"""HTML blueprints, one module per topic; ``register_blueprints`` mounts them all."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the web UI (and later the REST API)."""
    from bugzot.views import accounts, admin, attachments, bugs, health, main, search

    for module in (main, accounts, admin, health, search, bugs, attachments):
        app.register_blueprint(module.bp)
