"""Request-level defences shared by every route: the input layer (``inputs``), rate
limits and the trusted-proxy setting (``ratelimit``), and the glue between Flask-Login
and the server-side login sessions (``logins``).

``init_routing`` must run before the blueprints are registered (it replaces the
``int`` URL converter); ``init_app`` after (it wraps account views in rate limits).
The submodules are imported here only when called: ``inputs`` sits low in the layers
(forms and search use it), ``logins`` above the services.
"""

from __future__ import annotations

from flask import Flask


def init_routing(app: Flask) -> None:
    """Before the blueprints: the bounded ``int`` converter and the NUL check."""
    from bugzot.security import inputs

    inputs.init_app(app)


def init_app(app: Flask) -> None:
    """After the blueprints: rate limits, proxies, remember-me rotation."""
    from bugzot.security import logins, ratelimit

    ratelimit.init_app(app)
    logins.init_app(app)
