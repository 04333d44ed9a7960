"""The refusals every layer shares: a service's ``ServiceError`` and its kinds.

Views turn them into form messages or error pages, the REST API into Bugzilla's JSON
errors, the CLI into a clear message. They live here, below every layer, so that
``search`` or ``forms`` can raise or catch them without importing the services.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user.

    ``field`` names the form field at fault, when there is one; ``status`` is the HTTP
    status a web answer should carry.
    """

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class NotFound(ServiceError):
    """The object asked for does not exist (or the user may not know it exists)."""

    def __init__(self, message: str = "Not found.", field: str | None = None):
        super().__init__(message, field, status=404)


class Forbidden(ServiceError):
    """The user may not do this."""

    def __init__(self, message: str = "You are not allowed to do that.", field: str | None = None):
        super().__init__(message, field, status=403)


class Conflict(ServiceError):
    """The object changed since the caller read it; nothing was written (HTTP 409)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field, status=409)
