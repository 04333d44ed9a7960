"""Full-text search over bug summaries and comment text, on PostgreSQL and SQLite.

Both databases keep a ``bug_search`` index (created and maintained by triggers in
migration 0003), one entry per bug:

* PostgreSQL: ``public_tsv`` (summary weight A, description B, public comments D)
  and ``all_tsv`` (the same plus private comments; NULL when there are none),
  each with a GIN index; ranked with ``ts_rank``.
* SQLite: two FTS5 tables (rowid = bug id; migration 0011): ``bug_search`` with
  the public text (summary, description, comments) and ``bug_search_all`` with the
  same plus the private comments; ranked with ``bm25``. bm25 normalises over the
  whole row and counts a word's frequency over the whole table, so private text
  must not be in the table a non-insider is ranked on at all.

On PostgreSQL the index row also holds copies of the bug's filter columns (status,
is_private, reporter_id, product_id; migration 0004): ``on_index`` rewrites a
WHERE clause on ``bugs`` onto them, so a search filters and counts its matches
without visiting ``bugs`` once per match.

Users who may not see private comments (``visibility.sees_private``) are matched
against the public text only, and private text does not influence their ranking,
so a word that appears only in a private comment never finds the bug for them.
Hidden comments are not indexed. Matching is by words (AND); stemming is English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ColumnElement, Subquery, visitors
from sqlalchemy.sql.elements import ColumnClause

from bugzot.models import Bug
from bugzot.visibility import sees_private

_PG = sa.table("bug_search", sa.column("bug_id", sa.Integer),
               sa.column("public_tsv", postgresql.TSVECTOR),
               sa.column("all_tsv", postgresql.TSVECTOR),
               # copies of the bug's columns of the same names (migration 0004)
               sa.column("status", sa.String), sa.column("is_private", sa.Boolean),
               sa.column("reporter_id", sa.Integer), sa.column("product_id", sa.Integer))
_FILTER_COLUMNS = frozenset(("status", "is_private", "reporter_id", "product_id"))
# (FTS5 table, bm25 column weights) for those who do and do not see private comments.
_SQLITE_ALL = (sa.table("bug_search_all", sa.column("rowid", sa.Integer)),
               (10.0, 4.0, 1.0, 1.0))  # summary, description, comments, private
_SQLITE_PUBLIC = (sa.table("bug_search", sa.column("rowid", sa.Integer)),
                  (10.0, 4.0, 1.0))  # summary, description, comments


@dataclass(frozen=True)
class Window:
    """Only the ``size`` best matches beyond the keyset ``bound`` (rank, bug id)."""

    size: int
    descending: bool = True
    bound: tuple[float, int] | None = None


def on_index(dialect: str, clause: ColumnElement[bool]) -> ColumnElement[bool] | None:
    """``clause`` (a WHERE clause on ``bugs``) evaluated on the index row's copies of the
    bug's columns, or None when it needs a column the index does not copy (or on SQLite)."""
    if dialect != "postgresql":
        return None
    missing = []

    def copy_of(element: Any, **_: Any) -> Any:
        if isinstance(element, ColumnClause) and getattr(element, "table", None) is Bug.__table__:
            if element.name in _FILTER_COLUMNS:
                return _PG.c[element.name]
            missing.append(element.name)
        return None

    rewritten = visitors.replacement_traverse(clause, {}, copy_of)
    return None if missing else rewritten


def matches(dialect: str, user: Any, words: tuple[str, ...], window: Window | None = None,
            where: list[ColumnElement[bool]] | None = None, counted: bool = False) -> Subquery:
    """A subquery (``bug_id``, ``rank``) of the bugs whose text ``user`` may read
    contains every word; a higher ``rank`` is a better match. With a ``window``,
    only that many, ranked inside the index table before any join. ``where``: clauses
    made by ``on_index``; ``counted`` adds ``total``, the number of matches before the
    window is cut (one scan ranks and counts)."""
    private = sees_private(user)
    terms = sa.bindparam("words", search_terms(dialect, words), type_=sa.String)
    stmt = _postgres(terms, private) if dialect == "postgresql" else _sqlite(terms, private)
    if where:
        stmt = stmt.where(*where)
    bug_id, rank = stmt.selected_columns.bug_id, stmt.selected_columns.rank
    descending = window is None or window.descending
    order = (rank.desc(), bug_id.desc()) if descending else (rank.asc(), bug_id.asc())
    if counted:  # ordered like the window, so the rows counted are narrow (rank, not text)
        stmt = stmt.add_columns(sa.func.count().over(order_by=order, rows=(None, None)).label("total"))
    if window is not None:
        if window.bound is not None:
            key = sa.tuple_(rank, bug_id)
            bound = sa.tuple_(sa.bindparam("rank_bound", window.bound[0], type_=sa.Float),
                              sa.bindparam("rank_bound_id", window.bound[1], type_=sa.Integer))
            stmt = stmt.where(key < bound if window.descending else key > bound)
        stmt = stmt.order_by(*order).limit(window.size)
    return stmt.subquery("fts")


def search_terms(dialect: str, words: tuple[str, ...]) -> str:
    """The bound value the text match compares with: ``plainto_tsquery``'s text, or an
    FTS5 expression of quoted strings (so no user input is FTS5 syntax)."""
    if dialect == "postgresql":
        return " ".join(words)
    return " AND ".join('"' + word.replace('"', '""') + '"' for word in words)


def bound_values(dialect: str, words: tuple[str, ...], window: Window | None) -> dict[str, Any]:
    """The values of the bound parameters ``matches`` writes (statements kept per shape
    are run with them)."""
    values: dict[str, Any] = {"words": search_terms(dialect, words)}
    if window is not None and window.bound is not None:
        values["rank_bound"], values["rank_bound_id"] = window.bound
    return values


def _postgres(terms: Any, private: bool) -> sa.Select:
    tsquery = sa.func.plainto_tsquery(sa.literal_column("'english'"), terms)
    public, full = _PG.c.public_tsv, _PG.c.all_tsv
    if private:
        where = sa.or_(public.op("@@")(tsquery), full.op("@@")(tsquery))
        rank = sa.func.ts_rank(sa.func.coalesce(full, public), tsquery)
    else:
        where = public.op("@@")(tsquery)
        rank = sa.func.ts_rank(public, tsquery)
    return sa.select(_PG.c.bug_id.label("bug_id"), sa.cast(rank, sa.Float).label("rank")).where(where)


def _sqlite(terms: Any, private: bool) -> sa.Select:
    fts_table, weights = _SQLITE_ALL if private else _SQLITE_PUBLIC
    table = sa.literal_column(fts_table.name)
    rank = -sa.func.bm25(table, *[sa.literal_column(repr(w)) for w in weights])
    return (sa.select(fts_table.c.rowid.label("bug_id"), sa.cast(rank, sa.Float).label("rank"))
            .where(table.op("MATCH")(terms)))
