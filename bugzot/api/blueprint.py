"""The ``/rest`` blueprint: every request is identified by its API credentials (never
the session cookie), needs no CSRF token, and every answer, errors included, is JSON."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/rest")
