"""Request-level defences shared by every route: the input layer (``inputs``), rate
limits and the trusted-proxy setting (``ratelimit``), and the glue between Flask-Login
and the server-side login sessions (``logins``).

``init_routing`` must run before the blueprints are registered (it replaces the
``int`` URL converter); ``init_app`` after (it wraps account views in rate limits).
"""

from __future__ import annotations

from flask import Flask

from bugzot.security import inputs, logins, ratelimit


def init_routing(app: Flask) -> None:
    """Before the blueprints: the bounded ``int`` converter and the NUL check."""
    inputs.init_app(app)


def init_app(app: Flask) -> None:
    """After the blueprints: rate limits, proxies, remember-me rotation."""
    ratelimit.init_app(app)
    logins.init_app(app)
