"""Full-text search over bug summaries and comment text, on PostgreSQL and SQLite.

Both databases keep a ``bug_search`` index (created and maintained by triggers in
migration 0003), one entry per bug:

* PostgreSQL: ``public_tsv`` (summary weight A, description B, public comments D)
  and ``all_tsv`` (the same plus private comments; NULL when there are none),
  each with a GIN index; ranked with ``ts_rank``.
* SQLite: an FTS5 table (rowid = bug id) with the columns summary, description,
  comments and private; ranked with ``bm25``.

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
from sqlalchemy.sql import Subquery

from bugzot.visibility import sees_private

_PG = sa.table("bug_search", sa.column("bug_id", sa.Integer),
               sa.column("public_tsv", postgresql.TSVECTOR),
               sa.column("all_tsv", postgresql.TSVECTOR))
_SQLITE = sa.table("bug_search", sa.column("rowid", sa.Integer))
_SQLITE_PUBLIC = "{summary description comments}"
# bm25 column weights: summary, description, comments, private.
_SQLITE_WEIGHTS_ALL = (10.0, 4.0, 1.0, 1.0)
_SQLITE_WEIGHTS_PUBLIC = (10.0, 4.0, 1.0, 0.0)


@dataclass(frozen=True)
class Window:
    """Only the ``size`` best matches beyond the keyset ``bound`` (rank, bug id)."""

    size: int
    descending: bool = True
    bound: tuple[float, int] | None = None


def matches(dialect: str, user: Any, words: tuple[str, ...], window: Window | None = None
            ) -> Subquery:
    """A subquery (``bug_id``, ``rank``) of the bugs whose text ``user`` may read
    contains every word; a higher ``rank`` is a better match. With a ``window``,
    only that many, ranked inside the index table before any join."""
    private = sees_private(user)
    stmt = _postgres(words, private) if dialect == "postgresql" else _sqlite(words, private)
    if window is not None:
        bug_id, rank = stmt.selected_columns.bug_id, stmt.selected_columns.rank
        if window.bound is not None:
            key = sa.tuple_(rank, bug_id)
            bound = sa.tuple_(sa.literal(window.bound[0], sa.Float), sa.literal(window.bound[1]))
            stmt = stmt.where(key < bound if window.descending else key > bound)
        order = (rank.desc(), bug_id.desc()) if window.descending else (rank.asc(), bug_id.asc())
        stmt = stmt.order_by(*order).limit(window.size)
    return stmt.subquery("fts")


def _postgres(words: tuple[str, ...], private: bool) -> sa.Select:
    tsquery = sa.func.plainto_tsquery(sa.literal_column("'english'"), " ".join(words))
    public, full = _PG.c.public_tsv, _PG.c.all_tsv
    if private:
        where = sa.or_(public.op("@@")(tsquery), full.op("@@")(tsquery))
        rank = sa.func.ts_rank(sa.func.coalesce(full, public), tsquery)
    else:
        where = public.op("@@")(tsquery)
        rank = sa.func.ts_rank(public, tsquery)
    return sa.select(_PG.c.bug_id.label("bug_id"), sa.cast(rank, sa.Float).label("rank")).where(where)


def _sqlite(words: tuple[str, ...], private: bool) -> sa.Select:
    # Each word becomes a quoted FTS5 string, so no user input is FTS5 syntax.
    phrases = ['"' + word.replace('"', '""') + '"' for word in words]
    if private:
        expression, weights = " AND ".join(phrases), _SQLITE_WEIGHTS_ALL
    else:
        expression = " AND ".join(f"{_SQLITE_PUBLIC} : {p}" for p in phrases)
        weights = _SQLITE_WEIGHTS_PUBLIC
    table = sa.literal_column("bug_search")
    rank = -sa.func.bm25(table, *[sa.literal_column(repr(w)) for w in weights])
    return (sa.select(_SQLITE.c.rowid.label("bug_id"), sa.cast(rank, sa.Float).label("rank"))
            .where(table.op("MATCH")(expression)))
