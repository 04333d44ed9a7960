"""The bug list's columns: those it can show (the field table's list columns), the
default set, the sort key behind each header, and a user's stored choice
(``users.list_columns``, a comma list written by ``services.preferences``)."""

from __future__ import annotations

from collections.abc import Iterable

from bugzot.fields import FIELDS
from bugzot.search.params import SearchError

# column -> header label, in the field table's order (which is the list's order)
_LABELS = {"id": "ID", "priority": "Pri", "updated_at": "Changed", "created_at": "Reported"}
COLUMNS: dict[str, str] = {spec.column: _LABELS.get(spec.column, spec.label)
                           for spec in FIELDS if spec.column}
REQUIRED: tuple[str, ...] = ("id", "summary")  # a row must say which bug it is
DEFAULT: tuple[str, ...] = ("id", "product", "component", "status", "severity", "priority",
                            "assignee", "summary", "updated_at")
# column -> the sort key its header sorts by (None: not sortable)
SORT_KEYS: dict[str, str | None] = {
    "id": "id", "product": "product", "component": "component", "status": "status",
    "resolution": "resolution", "severity": "severity", "priority": "priority",
    "assignee": "assignee", "reporter": None, "summary": "summary", "created_at": "created",
    "updated_at": "updated"}
MAX_STORED = 255  # users.list_columns


def checked(columns: Iterable[str]) -> tuple[str, ...]:
    """``columns`` in list order with the required ones added; SearchError on an
    unknown name. No column chosen at all means the default set."""
    wanted = {c.strip() for c in columns if c and c.strip()}
    unknown = sorted(wanted - set(COLUMNS))
    if unknown:
        raise SearchError(f"There is no list column {unknown[0][:40]!r}. Columns: "
                          f"{', '.join(COLUMNS)}.", "columns")
    if not wanted:
        return DEFAULT
    return tuple(c for c in COLUMNS if c in wanted or c in REQUIRED)


def stored(value: str | None) -> tuple[str, ...]:
    """The columns of a stored comma list; unknown names (a column since removed) are
    dropped, and an empty or unusable list gives the default set."""
    names = [c for c in (value or "").split(",") if c in COLUMNS]
    return checked(names) if names else DEFAULT
