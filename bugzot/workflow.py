"""The bug lifecycle as data: statuses, resolutions and allowed transitions."""

from __future__ import annotations

OPEN_STATUSES: tuple[str, ...] = ("UNCONFIRMED", "NEW", "ASSIGNED", "REOPENED")
CLOSED_STATUSES: tuple[str, ...] = ("RESOLVED", "VERIFIED", "CLOSED")
STATUSES: tuple[str, ...] = OPEN_STATUSES + CLOSED_STATUSES
RESOLUTIONS: tuple[str, ...] = ("FIXED", "INVALID", "WONTFIX", "DUPLICATE", "WORKSFORME")
