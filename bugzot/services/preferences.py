"""Preferences a user sets for themselves while working: the bug list's columns."""

from __future__ import annotations

from collections.abc import Iterable

from bugzot.exceptions import Forbidden
from bugzot.models import User
from bugzot.search import columns as list_columns
from bugzot.services import unit_of_work


def set_list_columns(acting: User, columns: Iterable[str]) -> tuple[str, ...]:
    """Remember the columns ``acting`` wants in bug lists (an empty choice: the default
    set again); returns the columns now shown. Only a logged-in user has a choice."""
    if not getattr(acting, "is_authenticated", False) or not getattr(acting, "id", None):
        raise Forbidden("Log in to choose the columns of your bug lists.")
    chosen = list_columns.checked(columns)
    value = "" if chosen == list_columns.DEFAULT else ",".join(chosen)
    with unit_of_work():
        acting.list_columns = value
    return chosen
