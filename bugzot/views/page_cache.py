"""Rendered page bodies, kept per process under a key that covers everything they show.

A hot page (the bug page, the list, search) is a *shell* (``base.html``: the header with
the viewer's name, flash messages, the CSRF token of the session) around a *body*
rendered from its own template. ``body()`` keeps bodies of GET requests under a key of:

- the page's own key (the bug's id; the list's query string), and the request's query
  string and script root (``url_for`` writes it into every link);
- the viewer (user id, 0 when anonymous): their role, permissions, preferences and CC or
  ignore state are database rows, covered by the next part;
- ``freshness.token()``: it changes whenever anything in the database may have changed
  (any bug, user name, role, product...), read *before* the body's data;
- the viewer's time zone (``timefmt.viewer_zone``: a preference, else the ``tz``
  cookie) and the settings the body reads (``CONFIG``).

Relative times ("5 minutes ago") go out of date by themselves: while a body renders,
``timefmt.when`` notes the first moment one of its texts changes, and the body is kept
until then. The CSRF token is per session: bodies hold ``PLACEHOLDER`` where it goes,
replaced per request. ``INPUTS`` names every variable the cached templates may read and
says what covers it; ``tests/test_page_cache.py`` fails when a template reads one that
is not there.

``page()`` also keeps the whole page (shell and body) when the shell shows nothing of
the session but its token: no flashed messages, no draft to clear. The shell's inputs
(``SHELL_INPUTS``: the viewer's name, role and saved searches, the endpoint) are
covered by the same key. That whole page is also kept under the session's *login
token* (``serve_kept``, a ``before_request`` hook for ``SERVED_BEFORE_VIEW``): a
later GET of the same session finds it before the user is loaded or the view runs,
at the cost of the freshness token. The token covers the login itself (a logout, an
ended session, a role change all write), Flask-Login's strong session protection is
checked first, and the entry never outlives the login's expiry; a session holding
flashes, a draft to clear or only a remember-me cookie takes the full path.

The store is bounded by ``PAGE_CACHE_BYTES`` (0 switches it off) and drops the least
recently used body; it lives in ``app.extensions``, one per app and process.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from flask import current_app, g, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from bugzot import timefmt
from bugzot.extensions import db
from bugzot.services.read import freshness

EXTENSION = "bugzot.page_cache"
DRAFT_CLEAR = "bugzot_draft_clear"  # session key: a localStorage draft to drop on the next page
SERVED_BEFORE_VIEW = frozenset({"bugs.show", "search.bug_list"})  # see serve_kept
_QUICK = "bugzot.page_cache_quick"  # g: the login-token key this request may fill
MAX_AGE = 3600  # seconds: a body with no relative time in it is kept at most this long
_RENDERING = "bugzot.cached_render"  # request.environ: the body being rendered is kept
# Settings a cached body depends on (templates read ``config``; ``permissions`` reads
# ALLOW_ANONYMOUS_BROWSE for visitors): part of every key.
CONFIG = ("ALLOW_ANONYMOUS_BROWSE", "ALLOW_REGISTRATION", "MAX_CONTENT_LENGTH")

# Every name the cached templates read, and what covers it in the key. Names the view
# passes are data the view loaded for (page key, viewer, token); the rest are globals.
INPUTS = {
    # -- what the views pass: loaded from the database for this viewer ------------------
    "page": "data", "bug": "data", "form": "data", "editable": "data", "values": "data",
    "comments": "data", "readable": "data", "attachments": "data", "timeline": "data",
    "labels": "data", "cc": "data", "upload": "data", "comment_html": "data",
    "query": "data", "products": "data", "choices": "data", "option_tags": "data",
    "columns": "data", "all_columns": "data", "required_columns": "data",
    "sort_keys": "data", "rows_html": "data",
    # -- what only a POST sets (never kept: on a GET they are None) ---------------------
    "conflict": "POST only", "errors": "POST only", "posted": "POST only",
    # -- globals ----------------------------------------------------------------------
    "current_user": "viewer (user id) + token",
    "can": "viewer + token + CONFIG (ALLOW_ANONYMOUS_BROWSE)",
    "url_for": "script root + page key",
    "asset_url": "fixed for the process (static files' versions)",
    "when": "time zone + the expiry when() notes",
    "exact_time": "time zone",
    "csrf_token": "PLACEHOLDER, replaced per request",
    "config": "CONFIG",
    "quick_search_help": "fixed (code)",
    # -- set by the templates themselves before use (Jinja's analysis counts a name set
    #    inside an if, or by the includer, as one it may look up) ------------------------
    "c": "local", "a": "local", "current": "local", "target": "local",
    "dropzone_id": "local",
    # -- Jinja's own -------------------------------------------------------------------
    "range": "builtin", "loop": "builtin", "dict": "builtin",
}

# What a shell kept whole (``page``) may read besides INPUTS, and what covers it.
SHELL_INPUTS = {
    "body": "the kept body", "title": "the kept body", "head": "the kept body",
    "draft_clear": "kept whole only when empty",
    "get_flashed_messages": "kept whole only when the session holds no flashed messages",
    "nav_links": "fixed (the app's views)", "saved_searches_nav": "viewer + token",
    "request": "only the attributes in SHELL_REQUEST",
    "messages": "local", "browsing": "local", "saved": "local",
}
SHELL_REQUEST = {"endpoint"}  # request attributes a shell reads: the key holds them


@dataclass(frozen=True)
class Body:
    """A rendered body: its HTML (with ``PLACEHOLDER`` for the token) and what the body
    template sets for the shell (its ``title`` and ``head``)."""

    title: str
    head: str
    html: str
    expires: float  # time.time() after which it may be out of date
    size: int
    viewer_id: int | None = None  # (a page kept under a login token: whose it is)


class PageCache:
    """A thread-safe, byte-bounded, least-recently-used map of key -> Body."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = self.misses = 0
        self.placeholder = f"csrf-{secrets.token_hex(16)}"  # no user text can guess it
        self._items: OrderedDict[Hashable, Body] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> Body | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None and body.expires <= time.time():
                self._drop(key)
                body = None
            if body is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: Hashable, body: Body) -> None:
        if body.size > self.max_bytes // 4 or body.expires <= time.time():
            return
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = body
            self.bytes += body.size
            while self.bytes > self.max_bytes:
                self._drop(next(iter(self._items)))

    def _drop(self, key: Hashable) -> None:
        self.bytes -= self._items.pop(key).size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0


def init_app(app: Any) -> None:
    """Give ``app`` its page cache (none when ``PAGE_CACHE_BYTES`` is 0) and hook the
    database engine's writes (``freshness.install``). Call it after the other
    ``before_request`` hooks are registered: ``serve_kept`` runs last of them."""
    size = int(app.config.get("PAGE_CACHE_BYTES", 0) or 0)
    if size > 0:
        app.extensions[EXTENSION] = PageCache(size)
        app.before_request(serve_kept)
    with app.app_context():
        freshness.install(app, db.engine)


def cache() -> PageCache | None:
    return current_app.extensions.get(EXTENSION)


def csrf() -> str:
    """The CSRF token to write into a body: the placeholder while a kept body renders."""
    placeholder = request.environ.get(_RENDERING)
    return placeholder if placeholder is not None else generate_csrf()


def _settings() -> tuple:
    """The values of the settings a kept page depends on (``CONFIG``)."""
    cfg = current_app.config
    return tuple(cfg.get(name) for name in CONFIG)


@contextmanager
def _placeholder_while_rendering(store: PageCache) -> Iterator[None]:
    """Inside the block, ``csrf()`` writes the store's placeholder, not the token."""
    request.environ[_RENDERING] = store.placeholder
    try:
        yield
    finally:
        request.environ.pop(_RENDERING, None)


def key(page_key: Hashable) -> tuple:
    """The whole key of a body of this request (see the module's docstring)."""
    return (request.endpoint, page_key, request.query_string, request.script_root,
            current_user.id if current_user.is_authenticated else 0,
            freshness.token(db.session), timefmt.viewer_zone().key, _settings())


def render(template: str, build: Callable[[], dict[str, Any]],
           store: PageCache | None = None) -> Body:
    """Render ``template`` (a body template: its ``title`` and ``head`` are top-level
    ``set``s) with ``build()``'s context; for ``store``, with the placeholder for the
    token, noting when its first relative time goes stale (``build`` too may write
    times, e.g. the list's rows)."""
    environ = request.environ
    if store is not None:
        environ[timefmt.RECORDING] = [time.time() + MAX_AGE]
    try:
        with _placeholder_while_rendering(store) if store is not None else nullcontext():
            values = build()
            tmpl = current_app.jinja_env.get_or_select_template(template)
            current_app.update_template_context(values)
            values["csrf_token"] = csrf
            module = tmpl.make_module(values)
            html = str(module)
    finally:
        expires = environ.pop(timefmt.RECORDING, [0.0])[0]
    title, head = str(getattr(module, "title", "")), str(getattr(module, "head", ""))
    return Body(title, head, html, expires, len(html) + len(title) + len(head))


def _shown(found: Body, html: str) -> dict[str, Markup]:
    """What the shell template takes: ``body``, ``title``, ``head``."""
    # Every part was rendered by Jinja with autoescape (the token: generate_csrf's).
    body, title, head = (Markup(part) for part in (html, found.title, found.head))  # nosec B704
    return {"body": body, "title": title, "head": head}


def _kept_body(store: PageCache, full: tuple, template: str,
               build: Callable[[], dict[str, Any]]) -> Body:
    found = store.get(full)
    if found is None:
        found = render(template, build, store)
        store.put(full, found)
    return found


def body(template: str, page_key: Hashable, build: Callable[[], dict[str, Any]], *,
         keep: bool = True) -> dict[str, Markup]:
    """This request's page body (``body``, ``title``, ``head``: the shell's variables):
    kept, or ``build()``'s context rendered (and kept, on a GET with ``keep``).
    ``build`` may abort or raise (a 404, a bad query); what it raises is never kept."""
    store = cache() if keep and request.method == "GET" else None
    if store is None:
        found = render(template, build)
        return _shown(found, found.html)
    found = _kept_body(store, key(page_key), template, build)
    return _shown(found, found.html.replace(store.placeholder, generate_csrf()))


def page(shell: str, template: str, page_key: Hashable, build: Callable[[], dict[str, Any]],
         **shell_vars: Any) -> str:
    """The whole page: ``shell`` (with ``shell_vars``) around the body of ``template``.

    On a GET whose shell shows nothing of the session but its token (no flashed
    messages, every ``shell_vars`` value empty) the whole page is kept as well, under
    the body's key and the shell's name: the header's inputs (the viewer's name, role
    and saved searches, the endpoint, the settings) are covered by that key. Otherwise
    the shell is rendered around the kept body."""
    store = cache() if request.method == "GET" else None
    if store is None or any(shell_vars.values()) or session.get("_flashes"):
        return render_template(shell, **body(template, page_key, build), **shell_vars)
    full = key(page_key)
    found = store.get((full, shell))
    if found is None:
        part = _kept_body(store, full, template, build)
        with _placeholder_while_rendering(store):
            html = render_template(shell, **_shown(part, part.html), **shell_vars,
                                   csrf_token=csrf)
        found = Body("", "", html, part.expires, len(html))
        store.put((full, shell), found)
    _keep_for_login(store, found)
    return found.html.replace(store.placeholder, generate_csrf())


# -- pages served before the view ---------------------------------------------------------
def _session_viewer() -> str | None:
    """Who this request's session says the viewer is, without loading them: their login
    token ("" for a visitor), or None when only the full path may answer (flashed
    messages or a draft to clear in the session, a remember-me cookie to log in with,
    a session Flask-Login's "strong" protection would refuse)."""
    if session.get("_flashes") or session.get(DRAFT_CLEAR):
        return None
    token = session.get("_user_id")
    if token is None:
        remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        return None if request.cookies.get(remember) else ""
    manager = current_app.login_manager
    if session.get("_id") != manager._session_identifier_generator():
        return None
    return str(token)


def _login_key(login_token: str) -> tuple:
    """The key of a whole page under the session's login token (which names one login of
    one user: any change to that login, the user, their role or anything else in the
    database moves the freshness token)."""
    return ("login", request.endpoint, tuple(sorted((request.view_args or {}).items())),
            request.query_string, request.script_root, login_token,
            request.cookies.get(timefmt.COOKIE, ""), freshness.token(db.session), _settings())


def serve_kept():
    """``before_request``: a whole page kept under this session's login token, served
    without loading the user or running the view. Kept only by a request that loaded
    the user and passed the view's permission check with the same token, freshness
    token and inputs, so the answer is the one the view would give; it never outlives
    the login (its expiry)."""
    store = cache()
    if store is None or request.method != "GET" or request.endpoint not in SERVED_BEFORE_VIEW:
        return None
    viewer = _session_viewer()
    if viewer is None:
        return None
    login_key = _login_key(viewer)
    found = store.get(login_key)
    if found is None:
        g.setdefault(_QUICK, (login_key, viewer))
        return None
    response = current_app.response_class(
        found.html.replace(store.placeholder, generate_csrf()), mimetype="text/html")
    if found.viewer_id is not None:  # (hooks: a logged-in user's page is never stored)
        g.kept_viewer_id = found.viewer_id
    return response


def _keep_for_login(store: PageCache, found: Body) -> None:
    """Keep the whole page this request built (or found) under its login-token key too,
    when ``serve_kept`` asked for it and the user loaded is that login's."""
    quick = g.pop(_QUICK, None)
    if quick is None:
        return
    login_key, viewer = quick
    if not viewer:
        if not current_user.is_authenticated:
            store.put(login_key, found)
        return
    login = getattr(current_user, "login_session", None)
    if not current_user.is_authenticated or current_user.login_token != viewer or login is None:
        return
    ends = login.expires_at.replace(tzinfo=login.expires_at.tzinfo or UTC).timestamp()
    store.put(login_key, Body("", "", found.html, min(found.expires, ends), found.size,
                              current_user.id))
