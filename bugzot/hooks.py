"""Per-request hooks: timing log, Cache-Control, security headers, fingerprinted assets,
and the Origin/Referer check on state-changing requests."""

from __future__ import annotations

import hashlib
import os
import time
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request, url_for
from sqlalchemy import inspect as sa_inspect

from bugzot import permissions, timefmt

YEAR = 365 * 24 * 3600
SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE"))


def register_hooks(app: Flask) -> None:
    """Attach the before/after request hooks and the ``asset_url`` template helper."""
    app.logger.setLevel(app.config["LOG_LEVEL"])
    app.before_request(_start_timer)
    app.before_request(_check_origin)
    app.after_request(_finish_response)
    app.jinja_env.globals["asset_url"] = asset_url
    app.jinja_env.globals["can"] = permissions.can
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.globals["when"] = timefmt.when
    app.jinja_env.globals["exact_time"] = timefmt.exact
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


def _check_origin() -> None:
    """Refuse a state-changing request that says it comes from another site.

    Browsers send ``Origin`` (or at least ``Referer``) with a form POST; when either
    is there it must name this site: ``BASE_URL``'s host or the host the request was
    sent to. Requests with neither (scripts, the CLI) are left to the CSRF token."""
    if request.method in SAFE_METHODS or request.path.startswith("/rest/"):
        return  # (the REST API: no cookie ever authenticates it, so no cross-site forgery)
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return
    host = urlsplit(source).netloc.lower() if source != "null" else "null"
    ours = {urlsplit(current_app.config["BASE_URL"]).netloc.lower(), request.host.lower()}
    if host not in ours:
        abort(403, "This request came from another site, so it was refused. "
                   "Open the page on this site and try again.")


def _request_user_id() -> int | None:
    """The id of the user who made this request, if one was loaded, without a query: after
    a failed write the user's row is expired, and the database may be gone (a restart)."""
    user = g.get("_login_user")
    if user is None:  # a page served before the view (views/page_cache.py) names its user
        return g.get("kept_viewer_id")
    state = sa_inspect(user, raiseerr=False)
    return state.identity[0] if state is not None and state.identity else None


def _finish_response(response):
    """Set caching and security headers and log one timing line per request."""
    headers = response.headers
    if request.endpoint != "static":
        # Pages depend on who is logged in: never store them in shared caches; what a
        # logged-in user sees may be private, so not on their disk either.
        logged_in = _request_user_id() is not None
        headers.setdefault("Cache-Control", "private, no-store" if logged_in else "private, no-cache")
        headers.setdefault("Vary", "Cookie")
    if current_app.config["BASE_URL"].startswith("https://"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
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
        user_id = _request_user_id() or "-"
        line = "%s %s %s %.1fms user=%s"
        args = (request.method, request.path, response.status_code, ms, user_id)
        log = current_app.logger
        if ms > current_app.config["SLOW_REQUEST_MS"]:
            log.warning("slow request: " + line, *args)
        else:
            log.info(line, *args)
    return response
