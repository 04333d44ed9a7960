"""Services: the only code that writes data.

Every public function is one unit of work: it validates, writes, and commits once;
on any error nothing is written (``unit_of_work`` rolls back). Views and the REST
API call these and turn ``ServiceError`` into a form message or a JSON error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bugzot.extensions import db


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user.

    ``field`` names the form field at fault, when there is one.
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


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block wrote, or roll all of it back if it raises."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
