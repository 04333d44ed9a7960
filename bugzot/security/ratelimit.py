"""Rate limits on the account endpoints (Flask-Limiter), and who the client is.

Every POST that costs an argon2 hash or sends mail is limited twice: per client
address and per account (the login, email or username typed in the form), so
neither one address trying many accounts nor many addresses trying one account
gets far. Failed logins count against the account; successful ones do not.

Counters live in memory by default (one process: ``run.py``, a single mod_wsgi
daemon process); several processes or several Apache servers share them through
Redis: ``RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"``. If Redis stops
answering, counting falls back to memory instead of failing the request.

The client address is the TCP peer unless ``TRUSTED_PROXIES`` says how many
reverse proxies stand in front; only then is ``X-Forwarded-For`` believed
(werkzeug's ProxyFix takes that many addresses from its right end).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response


def by_address() -> str:
    """The limit key of the client address (after ProxyFix, when configured)."""
    return "addr:" + get_remote_address()


def by_field(*names: str) -> Callable[[], str]:
    """A key function: the account named in the form's first non-empty field of ``names``
    (hashed, so the store holds no logins)."""

    def key() -> str:
        given = request.values  # the form, or the query string (the REST API's GET /rest/login)
        value = next((given.get(n, "") for n in names if given.get(n, "").strip()), "")
        digest = hashlib.sha256(value.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]
        return "acct:" + digest

    return key


def login_failed(response: Response) -> bool:
    """A login POST that did not log in (success redirects)."""
    return response.status_code != 302


def api_login_failed(response: Response) -> bool:
    """A ``/rest/login`` that gave no token."""
    return response.status_code != 200


# (endpoint, config key with the limit, key function, count only when, shared scope); the
# web forms' POSTs, and the REST API's password login (a GET, as in Bugzilla).
LIMITS: tuple[tuple[str, str, Callable[[], str], Callable | None, str | None], ...] = (
    ("accounts.login", "RATELIMIT_LOGIN", by_address, None, None),
    ("accounts.login", "RATELIMIT_LOGIN_ACCOUNT", by_field("login"), login_failed, None),
    ("api.login", "RATELIMIT_LOGIN", by_address, None, None),
    ("api.login", "RATELIMIT_LOGIN_ACCOUNT", by_field("login"), api_login_failed, None),
    ("accounts.register", "RATELIMIT_REGISTER", by_address, None, None),
    ("accounts.register", "RATELIMIT_REGISTER_ACCOUNT", by_field("email"), None, None),
    ("accounts.register", "RATELIMIT_REGISTER_ACCOUNT", by_field("username"), None, "register-name"),
    ("accounts.reset_request", "RATELIMIT_MAIL", by_address, None, "mail-address"),
    ("accounts.resend_activation", "RATELIMIT_MAIL", by_address, None, "mail-address"),
    ("accounts.reset_request", "RATELIMIT_MAIL_ACCOUNT", by_field("login"), None, "mail-account"),
    ("accounts.resend_activation", "RATELIMIT_MAIL_ACCOUNT", by_field("login"), None, "mail-account"),
    ("accounts.reset_password", "RATELIMIT_LOGIN", by_address, None, None),
    ("accounts.prefs", "RATELIMIT_LOGIN", by_address, None, None),
)


def init_app(app: Flask) -> Limiter:
    """Trust the configured proxies, then limit the account endpoints of ``app``
    (its blueprints must be registered). The limiter is the app's own, in
    ``app.extensions["bugzot.limiter"]``."""
    proxies = int(app.config["TRUSTED_PROXIES"] or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    limiter = Limiter(by_address, app=app)
    app.extensions["bugzot.limiter"] = limiter
    for endpoint, setting, key, deduct_when, scope in LIMITS:
        view = app.view_functions.get(endpoint)
        if view is None or not app.config.get(setting):
            continue
        value = app.config[setting]
        methods = ["GET"] if endpoint.startswith("api.") else ["POST"]
        if scope:
            rule = limiter.shared_limit(value, scope=scope, key_func=key, methods=methods,
                                        deduct_when=deduct_when)
        else:
            rule = limiter.limit(value, key_func=key, methods=methods, deduct_when=deduct_when)
        app.view_functions[endpoint] = rule(view)
    return limiter
