"""``/rest/version``, ``/rest/login``, ``/rest/logout``, ``/rest/whoami`` and
``/rest/user``: who is calling, and finding users."""

from __future__ import annotations

from flask import current_app, g, jsonify

from bugzot import permissions
from bugzot.api.auth import caller
from bugzot.api.blueprint import bp
from bugzot.api.errors import LOGIN_FAILED, LOGIN_REQUIRED_USER, ApiError
from bugzot.api.params import arg, arg_list, ids_arg
from bugzot.api.serializers import user_object
from bugzot.services import accounts, api_keys
from bugzot.services.read import users as users_read

BUGZILLA_VERSION = "5.0.4"  # the Bugzilla whose WebService this answers like


@bp.get("/version")
def version():
    """The Bugzilla version clients expect (every client asks first)."""
    return jsonify(version=BUGZILLA_VERSION)


@bp.get("/login")
def login():
    """A login token for a username/email and password (code 300 when wrong)."""
    user = accounts.authenticate(arg("login"), arg("password"))
    if user is None:
        raise ApiError(LOGIN_FAILED, "The username or password you entered is not valid.")
    return jsonify(id=user.id, token=api_keys.new_token(user))


@bp.get("/logout")
def logout():
    """End the login token the request came with."""
    api_keys.end_token(g.get("api_token"))
    return jsonify({})


@bp.get("/whoami")
def whoami():
    """The calling user."""
    user = caller()
    if not user.is_authenticated:
        raise ApiError(LOGIN_REQUIRED_USER, "You must log in to ask who you are.")
    return jsonify(user_object(user))


@bp.get("/user")
@bp.get("/user/<name>")
def users(name: str | None = None):
    """Users by ``ids``, ``names`` (logins) or ``match`` (part of a name or address)."""
    user = caller()
    if not user.is_authenticated:
        raise ApiError(LOGIN_REQUIRED_USER, "You must log in to look up users.")
    names = list(arg_list("names")) + ([name] if name and not name.isdigit() else [])
    ids = set(ids_arg("ids")) | ({int(name)} if name and name.isdigit() else set())
    found = {u.id: u for u in users_read.users_by_login(names).values()}
    found |= users_read.users_by_id(ids)
    for text in arg_list("match"):
        limit = current_app.config["API_MAX_BUGS"]
        found |= {u.id: u for u in users_read.match_users(text, limit)}
    shown = [user_object(u) for u in sorted(found.values(), key=lambda u: u.username)
             if u.is_active or permissions.can(user, permissions.ADMIN_USERS)]
    return jsonify(users=shown)
