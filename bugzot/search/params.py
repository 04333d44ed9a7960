"""The query string of a bug list, parsed and validated into a ``BugQuery``.

Filters live in the URL so a list can be bookmarked, shared and saved; ``params()``
gives back the canonical form. Every value is checked against an allow-list or
length limit here; names (products, users...) are checked against the database
in ``bugzot.search.query``. Anything wrong raises ``SearchError`` (HTTP 400).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from urllib.parse import urlencode

from bugzot.exceptions import ServiceError
from bugzot.fields import FILTERABLE
from bugzot.workflow import CLOSED_STATUSES, OPEN_STATUSES, STATUSES

PAGE_SIZES: tuple[int, ...] = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
# Sortable columns (the only values ``sort`` accepts, optionally prefixed with "-").
SORT_KEYS: tuple[str, ...] = ("id", "summary", "product", "component", "status", "resolution",
                              "severity", "priority", "assignee", "created", "updated")
RELEVANCE = "relevance"  # best match first; only with a text search
DEFAULT_SORT = "-updated"
STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    "open": OPEN_STATUSES, "closed": CLOSED_STATUSES, "all": STATUSES}
NOBODY = "nobody"  # assignee=nobody: unassigned bugs
MAX_TEXT = 200
MAX_VALUES = 50  # per filter
MAX_NAME = 254
WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12

# URL parameter -> allowed values for the enumerated filters (the field table's choices).
ENUMS: dict[str, tuple[str, ...]] = {
    spec.filter: (STATUSES + tuple(STATUS_ALIASES)) if spec.type == "status" else spec.choices
    for spec in FILTERABLE if spec.choices or spec.type == "status"}
# Every filter parameter, in the order canonical URLs list them: the field table's, then
# CC, "involves" (reporter, assignee, QA contact or CC) and "changed" (e.g. 7d: changed in
# the last 7 days; h hours, d days, w weeks).
FILTERS: tuple[str, ...] = (*(spec.filter for spec in FILTERABLE), "cc", "involves", "changed")
PEOPLE = (*(spec.filter for spec in FILTERABLE if spec.type == "user"), "cc",
          "involves")  # lower-cased
CHANGED_RE = re.compile(r"^(\d{1,4})([hdw])$")
CHANGED_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


class SearchError(ServiceError):
    """A query string value that is not allowed; the message says which and why."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field, status=400)


@dataclass(frozen=True)
class BugQuery:
    """One bug list request: filters, text, sort, page size and keyset cursor."""

    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    text: str = ""
    sort: str = DEFAULT_SORT
    limit: int = DEFAULT_PAGE_SIZE
    after: str | None = None
    before: str | None = None

    @property
    def words(self) -> tuple[str, ...]:
        """The words of the text search (what the full-text index matches)."""
        return tuple(WORD_RE.findall(self.text.lower()))[:MAX_WORDS]

    @property
    def statuses(self) -> tuple[str, ...]:
        """Concrete statuses to show (aliases expanded); empty means any status."""
        wanted: list[str] = []
        for value in self.filters.get("status", ("open",)):
            for status in STATUS_ALIASES.get(value, (value,)):
                if status not in wanted:
                    wanted.append(status)
        return () if set(wanted) == set(STATUSES) else tuple(wanted)

    @property
    def which_bugs(self) -> str:
        """Which bugs the list searches, in words: "open bugs", "all bugs"..."""
        statuses = set(self.statuses)
        if not statuses:
            return "all bugs"
        for alias in ("open", "closed"):
            if statuses == set(STATUS_ALIASES[alias]):
                return f"{alias} bugs"
        return "bugs in " + ", ".join(s for s in STATUSES if s in statuses)

    @property
    def changed_within(self) -> timedelta | None:
        """How recently the bugs must have changed ("changed=7d"), or None."""
        values = self.filters.get("changed")
        if not values:
            return None
        number, unit = CHANGED_RE.match(values[0]).groups()
        return timedelta(**{CHANGED_UNITS[unit]: int(number)})

    @property
    def sort_key(self) -> str:
        """The sort column name without its direction."""
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        """True for a descending sort (relevance is always best first)."""
        return self.sort.startswith("-") or self.sort == RELEVANCE

    def params(self, *, cursors: bool = False, **overrides: str | int | None) -> list[tuple[str, str]]:
        """Canonical URL parameters (filters, text, non-default sort and size)."""
        query = replace(self, **overrides) if overrides else self
        pairs = [(name, value) for name in FILTERS for value in query.filters.get(name, ())]
        if query.text:
            pairs.append(("q", query.text))
        if query.sort != default_sort(query.text):
            pairs.append(("sort", query.sort))
        if query.limit != DEFAULT_PAGE_SIZE:
            pairs.append(("limit", str(query.limit)))
        if cursors and query.after:
            pairs.append(("after", query.after))
        if cursors and query.before:
            pairs.append(("before", query.before))
        return pairs

    def query_string(self, **overrides: str | int | None) -> str:
        """``params()`` encoded for a URL (no cursor unless passed as an override)."""
        cursors = bool(overrides.get("after") or overrides.get("before"))
        if cursors:  # a link goes one way: after one row or before another
            overrides = {"after": None, "before": None, **overrides}
        return urlencode(self.params(cursors=cursors, **overrides))


def default_sort(text: str) -> str:
    """Relevance when searching text, else most recently changed first."""
    return RELEVANCE if WORD_RE.search(text or "") else DEFAULT_SORT


def parse_query(args: Mapping, *, allow_cursor: bool = True) -> BugQuery:
    """Validate request arguments (a MultiDict) into a ``BugQuery``; raises SearchError."""
    filters: dict[str, tuple[str, ...]] = {}
    for name in FILTERS:
        values = _values(args, name)
        if len(values) > MAX_VALUES:
            raise SearchError(f"Too many values for {name} (at most {MAX_VALUES}).", name)
        allowed = ENUMS.get(name)
        for value in values:
            if allowed is not None and value not in allowed:
                raise SearchError(
                    f"Unknown {name} {value!r}. Use one of: {', '.join(allowed)}.", name)
            if len(value) > MAX_NAME:
                raise SearchError(f"The {name} value is too long.", name)
        if name == "changed" and values and (len(values) > 1 or not CHANGED_RE.match(values[0])):
            raise SearchError("Give 'changed' as a number and h, d or w, e.g. changed=7d "
                              "(changed in the last 7 days).", name)
        if values:
            filters[name] = values
    text = (args.get("q") or "").strip()
    if len(text) > MAX_TEXT:
        raise SearchError(f"The search text is too long (at most {MAX_TEXT} characters).", "q")
    sort = (args.get("sort") or "").strip() or default_sort(text)
    if sort == RELEVANCE:
        if not WORD_RE.search(text):
            raise SearchError("Sorting by relevance needs search words (q=...).", "sort")
    elif sort.lstrip("-") not in SORT_KEYS or sort.startswith("--"):
        raise SearchError(
            f"Cannot sort by {sort[:40]!r}. Sortable columns: {', '.join(SORT_KEYS)} "
            f"(prefix '-' for descending){', relevance' if text else ''}.", "sort")
    limit = _limit(args.get("limit"))
    after, before = (args.get("after") or None), (args.get("before") or None)
    if (after or before) and not allow_cursor:
        raise SearchError("Page cursors are not allowed here.", "after")
    if after and before:
        raise SearchError("Give either 'after' or 'before', not both.", "after")
    for cursor in (after, before):
        if cursor is not None and len(cursor) > 600:
            raise SearchError("The page cursor is not valid.", "after")
    return BugQuery(filters=filters, text=text, sort=sort, limit=limit, after=after, before=before)


def _values(args: Mapping, name: str) -> tuple[str, ...]:
    """All non-empty values of ``name``; enumerated filters also accept commas."""
    raw = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)] if args.get(name) else []
    out: list[str] = []
    for item in raw:
        parts = item.split(",") if name in ENUMS else [item]
        for part in parts:
            part = part.strip()
            if name in PEOPLE:
                part = part.lower()
            if part and part not in out:
                out.append(part)
    return tuple(out)


def _limit(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        limit = int(raw)
    except ValueError:
        limit = -1
    if limit not in PAGE_SIZES:
        raise SearchError(
            f"Page size must be one of {', '.join(map(str, PAGE_SIZES))}.", "limit")
    return limit
