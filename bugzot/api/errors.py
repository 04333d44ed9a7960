"""Bugzilla's error answers: ``{"error": true, "code", "message", "documentation"}``.

``ApiError`` carries a Bugzilla error code and the HTTP status Bugzilla gives it (the
python-bugzilla client reads the message only on 400, 401 and 404). ``from_service``
maps a service's refusal onto the same vocabulary, so the REST API never invents its
own rules: it only translates the services' answers.
"""

from __future__ import annotations

from flask import jsonify

from bugzot.exceptions import Conflict, Forbidden, NotFound, ServiceError

DOCS = "https://bugzilla.readthedocs.io/en/5.0/api/"

# Bugzilla's codes (WebService reference), by what they mean here.
INVALID_BUG = 101
ACCESS_DENIED = 102
ILLEGAL_VALUE = 104
BAD_COMPONENT = 105
BAD_PRODUCT = 106
BAD_SUMMARY = 107
EDIT_DENIED = 109
PRIVATE_COMMENT_DENIED = 113
ILLEGAL_CHANGE = 115
DUPLICATE_LOOP = 118
LOGIN_FAILED = 300
LOGIN_REQUIRED = 410
INVALID_USER = 504
LOGIN_REQUIRED_USER = 505
NO_SUCH_OBJECT = 51
BAD_ATTACHMENT = 600
EMPTY_ATTACHMENT = 606
API_KEY_INVALID = 306
TOKEN_INVALID = 32000
SEARCH_PARAMETERS = 1000
MID_AIR = 32100  # not in Bugzilla (which has no mid-air protection for the API)
UNKNOWN_RESOURCE = 32614
GENERIC = 32000

_STATUS_OF = {51: 404, 101: 404, 32614: 404, 102: 401, 106: 401, 109: 401, 110: 401,
              113: 401, 115: 401, 120: 401, 300: 401, 301: 401, 302: 401, 303: 401,
              304: 401, 410: 401, 504: 401, 505: 401}
# A refused value, by the field the service names.
_FIELD_CODES = {"summary": BAD_SUMMARY, "component": BAD_COMPONENT, "product": BAD_PRODUCT,
                "dup_id": DUPLICATE_LOOP, "file": BAD_ATTACHMENT, "is_patch": BAD_ATTACHMENT}


class ApiError(Exception):
    """An answer in Bugzilla's error format."""

    def __init__(self, code: int, message: str, status: int | None = None):
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status or _STATUS_OF.get(code, 400)

    def response(self):
        body = {"error": True, "code": self.code, "message": self.message,
                "documentation": DOCS}
        return jsonify(body), self.status


def from_service(exc: ServiceError) -> ApiError:
    """The Bugzilla error for a service's refusal."""
    if isinstance(exc, NotFound):
        code = INVALID_BUG if "bug" in exc.message.lower() else NO_SUCH_OBJECT
        return ApiError(code, exc.message)
    if isinstance(exc, Forbidden):
        if exc.field == "is_private":
            return ApiError(PRIVATE_COMMENT_DENIED, exc.message)
        if exc.field == "bug_status":
            return ApiError(ILLEGAL_CHANGE, exc.message)
        return ApiError(EDIT_DENIED if exc.field else ACCESS_DENIED, exc.message)
    if isinstance(exc, Conflict):
        return ApiError(MID_AIR, exc.message, 400)
    return ApiError(_FIELD_CODES.get(exc.field or "", ILLEGAL_VALUE), exc.message)
