"""The user's time zone preference (``users.time_zone``; shown by ``bugzot.timefmt``)."""

from __future__ import annotations

from typing import Any

from bugzot.exceptions import Forbidden, ServiceError
from bugzot.models import User
from bugzot.services import unit_of_work
from bugzot.timefmt import zone_or_none


def set_time_zone(acting: Any, user: User, name: str) -> None:
    """Show ``user`` times in the IANA zone ``name`` ("" = the browser's zone). Only the
    user themself may choose it."""
    if not getattr(acting, "is_authenticated", False) or acting.id != user.id:
        raise Forbidden("You may only choose your own time zone.", "time_zone")
    name = (name or "").strip()
    if name and zone_or_none(name) is None:
        raise ServiceError(f"There is no time zone called {name[:64]!r}.", "time_zone")
    with unit_of_work():
        user.time_zone = name
