"""Error pages: one handler answering JSON or HTML depending on what the client accepts."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to see this page.",
    404: "There is nothing here.",
    405: "That method is not allowed here.",
    413: "The upload is too large.",
    429: "Too many attempts in a short time. Wait a few minutes, then try again.",
    500: "Something went wrong on our side. The error was logged.",
    503: "The database is not reachable at the moment. Try again in a few seconds.",
}


def wants_json() -> bool:
    """True for API paths and clients that prefer JSON over HTML."""
    if request.path.startswith("/rest/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    accept = request.accept_mimetypes
    return best == "application/json" and accept[best] > accept["text/html"]


# The REST API answers in Bugzilla's error format: its code for an HTTP error.
BUGZILLA_CODES = {404: 32614, 405: 32614, 413: 600}


def error_response(status: int, message: str | None = None):
    """Render ``status`` as JSON or as the friendly error page."""
    message = message or MESSAGES.get(status, "Error.")
    if status == 413:
        limit_mb = current_app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024)
        message = f"The upload is too large: the limit is {limit_mb:g} MB."
    if request.path.startswith("/rest/") or request.path == "/rest":
        code = BUGZILLA_CODES.get(status, 32000)
        return jsonify(error=True, code=code, message=message,
                       documentation="https://bugzilla.readthedocs.io/en/5.0/api/"), status
    if wants_json():
        return jsonify(error=True, code=status, message=message), status
    return render_template("errors/error.html", status=status, message=message), status


def register_errorhandlers(app: Flask) -> None:
    """Install handlers for HTTP errors, CSRF failures and unexpected exceptions."""

    @app.teardown_appcontext
    def release_session(exc: BaseException | None) -> None:
        """Close the request's database session before Flask-SQLAlchemy removes it: if the
        database dropped the connection (a restart), the rollback fails, and the answer
        already made must not turn into a 500; the connection is thrown away instead."""
        from bugzot.extensions import db

        try:
            db.session.close()
        except (OperationalError, InterfaceError) as error:
            app.logger.warning("database connection lost at the end of a request: %s", error.orig)
            db.session().invalidate()  # (the session itself: the scoped proxy has no invalidate)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(400, f"The form expired or was not sent from this site "
                                   f"({exc.description}). Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        # Flask-Limiter describes a 429 by its limit ("3 per 1 minute"): say it plainly.
        custom = _custom(exc) and exc.code != 429
        message = exc.description if exc.code not in MESSAGES or custom else None
        return error_response(exc.code, message)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        if isinstance(exc, OverflowError | DataError):
            # A value the input layer (bugzot.security.inputs) did not catch, refused
            # by the database: bad input, not a crash.
            app.logger.warning("value refused by the database on %s %s: %s", request.method,
                               request.path, exc)
            return error_response(400, "A value in the request is out of range or malformed.")
        if isinstance(exc, OperationalError):
            app.logger.error("database unavailable on %s %s: %s", request.method, request.path,
                             exc.orig if exc.orig is not None else exc)
            return _unavailable()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)


def _unavailable() -> Response:
    """503 without touching the database (the usual page asks it who is logged in)."""
    message = MESSAGES[503]
    if wants_json():
        response = jsonify(error=True, code=503, message=message)
    else:
        response = Response(f"<!doctype html><html lang=en><meta charset=utf-8><title>503 – BugZot"
                            f"</title><h1>503</h1><p>{message}</p></html>", mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


def _custom(exc: HTTPException) -> bool:
    """True when the code raising ``exc`` gave its own description (abort(404, "..."))."""
    return type(exc).description != exc.description and not isinstance(exc, InternalServerError)
