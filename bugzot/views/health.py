"""``GET /_health``: a JSON liveness probe for monitoring and deployment checks.

It needs no login and shows nothing secret: which mod_wsgi process group and
process answered (empty outside mod_wsgi's daemon mode) and whether the request's
``Authorization`` header reached the app (Apache strips it unless
``WSGIPassAuthorization On``).
"""

from __future__ import annotations

import os

from flask import Blueprint, jsonify, request

bp = Blueprint("health", __name__)


@bp.get("/_health")
def health():
    """Report that this process serves requests, and how it was reached."""
    response = jsonify(
        status="ok",
        process_group=request.environ.get("mod_wsgi.process_group"),
        pid=os.getpid(),
        authorization_seen=bool(request.headers.get("Authorization")),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
