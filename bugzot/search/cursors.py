"""Keyset cursors of bug lists: the sort value and id of a row, opaque and URL-safe."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from bugzot.search.params import SearchError
from bugzot.security.inputs import check_cursor


def encode_cursor(value: Any, bug_id: int) -> str:
    """An opaque, URL-safe cursor for the row with sort value ``value`` and ``bug_id``."""
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, bug_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: type) -> tuple[Any, int]:
    """(sort value, bug id) from a cursor made by ``encode_cursor``; SearchError if bad."""
    try:
        value, bug_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if kind is datetime:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("naive")
        elif kind is float:
            value = float(value)
        elif not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError("wrong type")
        check_cursor(value, bug_id)  # what the databases can compare: in range, no NUL
    except (ValueError, TypeError, json.JSONDecodeError):
        raise SearchError("The page cursor is not valid for this sort order; "
                          "start again from the first page.", "after") from None
    return value, bug_id
