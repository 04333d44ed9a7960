"""SQL for bug lists: filters, allow-listed sort, keyset pagination, counts, reports.

Pages use keyset pagination: a cursor holds the sort value and id of the last
(or first) row shown, and the next page is ``WHERE (sort, id) > (value, id)``
along an index, so page 500 costs what page 1 costs. Counts stop at
``COUNT_CAP`` so that they stay cheap on a million bugs. Text searches in
relevance order rank a window of the best matches inside the full-text table
before joining anything (``fetch_page``). Every query runs under
``visible_bugs_clause``; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from bugzot import visibility
from bugzot.extensions import db
from bugzot.fields import ATTRIBUTES, FIELDS, NAMED_TYPES
from bugzot.models import Bug, Component, Product, User
from bugzot.models.bugs import RESOLUTION_ORDER, workflow_order
from bugzot.search import filters, fts, grouped, statements
from bugzot.search.cursors import decode_cursor, encode_cursor
from bugzot.search.params import RELEVANCE, BugQuery, SearchError
from bugzot.workflow import PRIORITIES, SEVERITIES, STATUSES

RANK_WINDOW = 200  # text matches ranked per page before joining (see fetch_page)
COUNT_CAP = 1_000  # "More than 1,000 bugs": exact counts of huge lists cost a scan each
Assignee = aliased(User, name="assignee")
Reporter = aliased(User, name="reporter")


# Allow-listed sort keys -> (SQL expression, kind of cursor value).
SORTS: dict[str, tuple[Any, type]] = {
    "id": (Bug.id, int),
    "summary": (Bug.summary, str),
    "product": (Product.name, str),
    "component": (Component.name, str),
    "status": (workflow_order(Bug.status, STATUSES), int),
    "resolution": (RESOLUTION_ORDER, str),
    "severity": (workflow_order(Bug.severity, SEVERITIES), int),
    "priority": (workflow_order(Bug.priority, PRIORITIES), int),
    "assignee": (sa.func.coalesce(Assignee.username, ""), str),
    "created": (Bug.created_at, datetime),
    "updated": (Bug.updated_at, datetime),
}

# The bug's own columns of a list row (one query per page: no per-row round trips): every
# field of the table with a list column that is not a name looked up in another table.
_BUG_COLUMNS = (Bug.is_private, *(
    getattr(Bug, ATTRIBUTES.get(spec.name, spec.name)).label(spec.column)
    for spec in FIELDS if spec.column and spec.type not in NAMED_TYPES))
# The names a list row shows: label -> (table, its column, the bug's key to it); the
# table's name-typed list columns must be among them (tests/test_exports.py).
_NAMES: dict[str, tuple[Any, Any, Any]] = {
    "product": (Product, Product.name, Bug.product_id),
    "component": (Component, Component.name, Bug.component_id),
    "assignee": (User, User.username, Bug.assignee_id),
    "assignee_name": (User, User.real_name, Bug.assignee_id),
    "reporter": (User, User.username, Bug.reporter_id),
    "reporter_name": (User, User.real_name, Bug.reporter_id),
}
# Sort keys whose value lives in another table: the join, and the names it then gives.
_SORT_JOINS: dict[str, tuple[Any, Any, dict[str, Any]]] = {
    "product": (Product, Product.id == Bug.product_id, {"product": Product.name}),
    "component": (Component, Component.id == Bug.component_id, {"component": Component.name}),
    "assignee": (Assignee, Assignee.id == Bug.assignee_id,
                 {"assignee": Assignee.username, "assignee_name": Assignee.real_name}),
}


def _list_columns(joined: dict[str, Any]) -> tuple[Any, ...]:
    """The columns of a list row: names from ``joined`` columns, the others looked up by
    correlated scalar subqueries (an index probe per row shown, after the LIMIT). Joining
    all four name tables cost PostgreSQL ~2 ms of planning, twice the execution."""
    names = []
    for label, (table, column, key) in _NAMES.items():
        name = joined.get(label)
        if name is None:
            name = sa.select(column).where(table.id == key).correlate(Bug).scalar_subquery()
        names.append(name.label(label))
    return (*_BUG_COLUMNS, *names)


# Built once: sort key -> its list columns (None: no join).
_LIST_COLUMNS = {key: _list_columns(joined) for key, (_, _, joined) in _SORT_JOINS.items()}
_LIST_COLUMNS[None] = _list_columns({})


@dataclass
class Page:
    """One page of a bug list, with cursors to its neighbours and a capped count."""

    rows: list[Any]
    next_cursor: str | None
    prev_cursor: str | None
    total: int
    total_capped: bool


def _dialect() -> str:
    return db.session.get_bind().dialect.name


class _Where:
    """The filters of one list request: their shape and values (``filters.bound``, cheap)
    and, only when a statement must be built, the WHERE clauses and their copy on the
    full-text index row (``fts.on_index``)."""

    def __init__(self, q: BugQuery, user: Any) -> None:
        self.q = q
        self.shape, self.values = filters.bound(q, user)

    @cached_property
    def clauses(self) -> list[Any]:
        return filters.clauses(self.shape, self.values)

    @cached_property
    def index(self) -> list[Any] | None:
        """The clauses rewritten onto the full-text index row, when the list searches
        text on PostgreSQL and every clause can be; else None."""
        dialect = _dialect()
        if not self.q.words or dialect != "postgresql":
            return None
        index = [fts.on_index(dialect, clause) for clause in self.clauses]
        return None if any(clause is None for clause in index) else index


def filtered(q: BugQuery, user: Any, columns: Sequence[Any], window: fts.Window | None = None,
             conditions: list[Any] | None = None, index: list[Any] | None = None,
             counted: bool = False) -> tuple[sa.Select, Any]:
    """SELECT ``columns`` FROM the filtered bugs; also returns the text-match subquery.
    ``index``: the conditions on the index row too, so a window holds only bugs that pass."""
    conditions = filters.conditions(q, user) if conditions is None else conditions
    stmt = sa.select(*columns).select_from(Bug).where(*conditions)
    match = None
    if q.words:
        match = fts.matches(_dialect(), user, q.words, window, index, counted)
        stmt = stmt.join(match, match.c.bug_id == Bug.id)
    return stmt, match


def with_names(stmt: sa.Select, reporter: bool = True) -> sa.Select:
    """Join the product, component, assignee (and reporter) names in (reports group by them)."""
    stmt = (stmt.join(Product, Product.id == Bug.product_id)
            .join(Component, Component.id == Bug.component_id)
            .outerjoin(Assignee, Assignee.id == Bug.assignee_id))
    return stmt.join(Reporter, Reporter.id == Bug.reporter_id) if reporter else stmt


def _sort(q: BugQuery, match: Any) -> tuple[Any, type]:
    if q.sort == RELEVANCE:
        if match is None:
            raise SearchError("Sorting by relevance needs search words (q=...).", "sort")
        return match.c.rank, float
    return SORTS[q.sort_key]


def _list_statement(q: BugQuery, user: Any, conditions: list[Any], window: fts.Window | None = None,
                    index: list[Any] | None = None, counted: bool = False
                    ) -> tuple[sa.Select, Any, type]:
    """The unpaginated list query of ``q`` with its sort expression and cursor kind
    (``counted``: and the window's ``total``). Only a sort by a name joins its table."""
    join = _SORT_JOINS.get(q.sort_key) if q.sort != RELEVANCE else None
    columns = _LIST_COLUMNS[q.sort_key if join else None]
    stmt, match = filtered(q, user, columns, window, conditions, index, counted)
    expr, kind = _sort(q, match)
    if join:
        stmt = stmt.join(join[0], join[1], isouter=join[0] is Assignee)
    stmt = stmt.add_columns(expr.label("sort_value"))
    return (stmt.add_columns(match.c.total) if counted else stmt), expr, kind


def _paged(stmt: sa.Select, expr: Any, cursor: tuple[Any, int] | None, descending: bool,
           limit: int) -> sa.Select:
    """``stmt`` cut to ``limit`` rows strictly beyond the keyset ``cursor`` (sort value,
    bug id), in the given order; the cursor's values are the parameters ``cursor_value``
    and ``cursor_id``."""
    if cursor:
        key = sa.tuple_(expr, Bug.id)
        bound = sa.tuple_(sa.bindparam("cursor_value", cursor[0], type_=expr.type),
                          sa.bindparam("cursor_id", cursor[1], type_=sa.Integer))
        stmt = stmt.where(key < bound if descending else key > bound)
    order = (expr.desc(), Bug.id.desc()) if descending else (expr.asc(), Bug.id.asc())
    return stmt.order_by(*order).limit(limit)


def _page(stmt: sa.Select, expr: Any, kind: type, cursor: str | None, descending: bool,
          limit: int) -> list[Any]:
    """Up to ``limit`` rows of ``stmt`` strictly beyond ``cursor`` in the given order."""
    bound = decode_cursor(cursor, kind) if cursor else None
    return list(db.session.execute(_paged(stmt, expr, bound, descending, limit)).all())


def fetch_page(q: BugQuery, user: Any) -> Page:
    """The page of ``q`` that ``user`` asked for, plus cursors and the capped count."""
    backwards = q.before is not None
    descending = q.descending != backwards  # walking backwards flips the order ...
    cursor = q.before or q.after
    where = _Where(q, user)
    index = where.index
    window, total = None, None
    if q.sort == RELEVANCE:
        # Rank inside the index table and join only the best matches (a few pages' worth):
        # ranking never needs the bugs table. When the filters can be checked in the index
        # table too (``index``), the window holds only bugs that pass and also counts them;
        # otherwise, if the filters leave too few of its bugs, everything is ranked and joined.
        bound = decode_cursor(cursor, float) if cursor else None
        window = fts.Window(max(RANK_WINDOW, 4 * (q.limit + 1)), descending, bound)
    rows = _rows(q, user, where, cursor, descending, window, index)
    if window is not None and index is None and len(rows) <= q.limit:
        total = rows[0].total if rows else None
        rows = _rows(q, user, where, cursor, descending, with_count=total is None)
    more = len(rows) > q.limit
    rows = rows[:q.limit]
    if backwards:
        rows.reverse()  # ... and the rows are turned around afterwards
    first = encode_cursor(rows[0].sort_value, rows[0].id) if rows else None
    last = encode_cursor(rows[-1].sort_value, rows[-1].id) if rows else None
    has_next = (more and not backwards) or (backwards and bool(rows))
    has_prev = (more and backwards) or (q.after is not None and bool(rows))
    if total is None and rows:
        total = rows[0].total
    if total is None:  # no rows: none match, unless a cursor skipped past them
        total = db.session.scalar(_count_statement(q, user, where.clauses, index)) \
            if cursor else 0
    total, capped = _capped(total)
    return Page(rows, last if has_next else None, first if has_prev else None, total, capped)


def _rows(q: BugQuery, user: Any, where: _Where, cursor: str | None, descending: bool,
          window: fts.Window | None = None, index: list[Any] | None = None,
          with_count: bool = True) -> list[Any]:
    """Up to ``q.limit + 1`` list rows beyond ``cursor`` (each with the count). The
    statement is built once per shape (``search.statements``) and run with this
    request's values."""
    dialect = _dialect()
    groups = grouped.groups(q, dialect)
    if groups is not None:
        total = _count_statement(q, user, where.clauses) if with_count else None
        return grouped.rows(q, where.clauses, groups, cursor, descending, q.limit + 1,
                            _LIST_COLUMNS[None], total)
    counted = with_count and index is not None and window is not None and window.bound is None
    values = dict(where.values)
    if q.words:
        values |= fts.bound_values(dialect, q.words, window)
    bound = None
    if cursor:
        bound = decode_cursor(cursor, float if q.sort == RELEVANCE else SORTS[q.sort_key][1])
        values["cursor_value"], values["cursor_id"] = bound

    def build() -> sa.Select:
        stmt, expr, _ = _list_statement(q, user, where.clauses, window, index, counted)
        if with_count and not counted:  # an uncorrelated subquery: no extra round trip
            stmt = stmt.add_columns(_count_statement(q, user, where.clauses, index)
                                    .scalar_subquery().label("total"))
        return _paged(stmt, expr, bound, descending, q.limit + 1)

    key = ("page", dialect, where.shape, visibility.sees_private(user), q.sort, bool(q.words),
           window and (window.size, window.descending, window.bound is not None),
           index is not None, counted, with_count, cursor is not None, descending, q.limit,
           COUNT_CAP)
    stmt = statements.for_app().get(key, build, values)
    return list(db.session.execute(stmt, values).all())


def _count_statement(q: BugQuery, user: Any, conditions: list[Any] | None = None,
                     index: list[Any] | None = None) -> sa.Select:
    """SELECT the number of matching bugs, counting at most ``COUNT_CAP + 1`` (in the
    full-text index table alone when ``index`` gives the conditions there)."""
    if index is not None:
        match = fts.matches(_dialect(), user, q.words, where=index)
        stmt = sa.select(match.c.bug_id)
    else:
        stmt, _ = filtered(q, user, (Bug.id,), conditions=conditions)
    return sa.select(sa.func.count()).select_from(stmt.limit(COUNT_CAP + 1).subquery())


def _capped(n: int | None) -> tuple[int, bool]:
    return min(n or 0, COUNT_CAP), (n or 0) > COUNT_CAP


def count(q: BugQuery, user: Any) -> tuple[int, bool]:
    """(number of matching bugs, True if there are more than ``COUNT_CAP``)."""
    return _capped(db.session.scalar(_count_statement(q, user)))


def iter_rows(q: BugQuery, user: Any, max_rows: int, chunk: int = 500) -> Iterator[Any]:
    """Every row of ``q`` from its cursor on, in sort order (at most ``max_rows``)."""
    where, groups = filters.conditions(q, user), grouped.groups(q, _dialect())
    stmt, expr, kind = _list_statement(q, user, where)
    cursor, sent = q.after, 0
    while sent < max_rows:
        size = min(chunk, max_rows - sent)
        rows = (_page(stmt, expr, kind, cursor, q.descending, size) if groups is None else
                grouped.rows(q, where, groups, cursor, q.descending, size, _LIST_COLUMNS[None]))
        yield from rows
        sent += len(rows)
        if len(rows) < chunk:
            return
        cursor = encode_cursor(rows[-1].sort_value, rows[-1].id)
