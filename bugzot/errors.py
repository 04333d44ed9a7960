"""Error pages: one handler answering JSON or HTML depending on what the client accepts."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to see this page.",
    404: "There is nothing here.",
    405: "That method is not allowed here.",
    413: "The upload is too large.",
    500: "Something went wrong on our side. The error was logged.",
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

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(400, f"The form expired or was not sent from this site "
                                   f"({exc.description}). Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        message = exc.description if exc.code not in MESSAGES or _custom(exc) else None
        return error_response(exc.code, message)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)


def _custom(exc: HTTPException) -> bool:
    """True when the code raising ``exc`` gave its own description (abort(404, "..."))."""
    return type(exc).description != exc.description and not isinstance(exc, InternalServerError)
