"""Per-request hooks: timing log, Cache-Control, security headers, fingerprinted assets."""

from __future__ import annotations

import hashlib
import os
import time

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user

from bugzot import permissions

YEAR = 365 * 24 * 3600


def register_hooks(app: Flask) -> None:
    """Attach the before/after request hooks and the ``asset_url`` template helper."""
    app.logger.setLevel(app.config["LOG_LEVEL"])
    app.before_request(_start_timer)
    app.after_request(_finish_response)
    app.jinja_env.globals["asset_url"] = asset_url
    app.jinja_env.globals["can"] = permissions.can
    app.jinja_env.globals["nav_links"] = nav_links
    # Fingerprinted static URLs (?v=<hash>) are immutable; plain ones revalidate.
    app.get_send_file_max_age = lambda filename: YEAR if request.args.get("v") else 0  # type: ignore[method-assign]


def asset_url(filename: str) -> str:
    """URL of a static file with a content hash, so it can be cached for a year."""
    cache = current_app.extensions.setdefault("bugzot.asset_hashes", {})
    digest = cache.get(filename)
    if digest is None:
        path = os.path.join(current_app.static_folder, filename)
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()[:12]
        cache[filename] = digest
    return url_for("static", filename=filename, v=digest)


# (label, endpoint) of the main navigation; entries whose blueprint is absent are skipped.
NAV = (
    ("Home", "main.home"),
    ("Bugs", "search.bug_list"),
    ("File a bug", "bugs.new"),
    ("Reports", "search.report"),
)


def nav_links() -> list[tuple[str, str]]:
    """The navigation entries this app serves."""
    return [(label, ep) for label, ep in NAV if ep in current_app.view_functions]


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _finish_response(response):
    """Set caching and security headers and log one timing line per request."""
    headers = response.headers
    if request.endpoint != "static":
        # Pages depend on who is logged in: never store them in shared caches.
        headers.setdefault("Cache-Control", "private, no-cache")
        headers.setdefault("Vary", "Cookie")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    started = g.pop("request_started", None)
    if started is not None:
        ms = (time.perf_counter() - started) * 1000
        user_id = current_user.get_id() if current_user and current_user.is_authenticated else "-"
        user_id = user_id.split(":", 1)[0] if user_id else "-"
        line = "%s %s %s %.1fms user=%s"
        args = (request.method, request.path, response.status_code, ms, user_id)
        log = current_app.logger
        if ms > current_app.config["SLOW_REQUEST_MS"]:
            log.warning("slow request: " + line, *args)
        else:
            log.info(line, *args)
    return response
