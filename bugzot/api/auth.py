"""Who is calling the REST API: an API key (``Bugzilla_api_key`` or ``api_key``
parameter, the ``X-BUGZILLA-API-KEY`` header, or ``Authorization: Bearer KEY``) or a
login token (``Bugzilla_token``).

The browser's session cookie never counts here: the API needs no CSRF token and cannot
be driven by a cross-site request. The caller is put where Flask-Login looks first
(``g._login_user``), so the rest of the app (permissions, logging) sees the API's user
and never loads the cookie's.
"""

from __future__ import annotations

from flask import g, request
from flask_login import AnonymousUserMixin

from bugzot.api.errors import API_KEY_INVALID, TOKEN_INVALID, ApiError
from bugzot.services import api_keys

KEY_PARAMETERS = ("Bugzilla_api_key", "api_key")
KEY_HEADER = "X-BUGZILLA-API-KEY"
TOKEN_PARAMETER = "Bugzilla_token"


def _given(*names: str) -> str | None:
    for name in names:
        value = request.args.get(name)
        if value:
            return value
    return None


def _bearer() -> str | None:
    """``Authorization: Bearer KEY`` (Bugzilla 5.1 and Red Hat's clients send the key so)."""
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def identify() -> None:
    """Set the request's user from its credentials; bad credentials are an error
    (a wrong key must not quietly read as an anonymous visitor)."""
    key = _given(*KEY_PARAMETERS) or request.headers.get(KEY_HEADER) or _bearer()
    token = _given(TOKEN_PARAMETER)
    user = None
    if key:
        user = api_keys.user_for_key(key)
        if user is None:
            raise ApiError(API_KEY_INVALID, "The API key you specified is invalid. Please check "
                                            "that you typed it correctly.")
    elif token:
        user = api_keys.user_for_token(token)
        if user is None:
            raise ApiError(TOKEN_INVALID, "The token you specified is invalid or has expired. "
                                          "Please log in again.", 401)
    g._login_user = user or AnonymousUserMixin()
    g.api_token = token if user is not None and not key else None


def caller():
    """The API caller (an anonymous visitor when no credentials came)."""
    return g._login_user
