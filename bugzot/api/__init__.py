"""The Bugzilla-compatible REST API under ``/rest`` (Bugzilla 5's WebService shapes), so
that python-bugzilla, its ``bugzilla`` command and other Bugzilla tools work unchanged.

* ``blueprint``  the ``/rest`` blueprint;  ``auth``  API keys and login tokens (never
  the session cookie, so no CSRF token is needed and none can be forged);
* ``params``, ``changes``  read requests into typed values and service commands;
* ``serializers``  Bugzilla's JSON objects over the field table and the read side;
* ``bugs``, ``comments``, ``products``, ``users``  the endpoints;  ``openapi``  the
  OpenAPI 3 document at ``/rest/openapi.json``;  ``errors``  Bugzilla's error codes.
"""

from __future__ import annotations

from flask import Flask

from bugzot.api import auth, bugs, comments, openapi, products, users  # noqa: F401  (routes)
from bugzot.api.blueprint import bp
from bugzot.api.errors import ApiError, from_service
from bugzot.exceptions import ServiceError


@bp.before_request
def _identify() -> None:
    auth.identify()


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return exc.response()


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    return from_service(exc).response()


@bp.after_request
def _no_store(response):
    # Answers depend on the credentials in the URL or a header: never cache them.
    response.headers["Cache-Control"] = "no-store"
    return response


def register_api(app: Flask) -> None:
    """Mount ``/rest`` on ``app``, without CSRF protection (nothing here reads cookies)."""
    from bugzot.extensions import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)

