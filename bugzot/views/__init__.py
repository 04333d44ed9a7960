"""HTML blueprints, one module per topic; ``register_blueprints`` mounts them all."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the web UI (the REST API is ``bugzot.api``)."""
    from bugzot.views import (
        accounts,
        admin,
        api_keys,
        attachments,
        bugs,
        health,
        main,
        notifications,
        people,
        search,
    )

    for module in (main, accounts, api_keys, admin, health, search, bugs, attachments,
                   notifications, people):
        app.register_blueprint(module.bp)
