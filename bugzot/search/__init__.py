"""Finding bugs: URL parameters, the filtered/sorted/paginated query, full-text search.

* ``params``  parses and validates the query string of ``/bugs`` (and its CSV,
  Atom and report variants) into a ``BugQuery``; bad values raise ``SearchError``.
* ``query``   turns a ``BugQuery`` plus the current user into SQL: filters, the
  allow-listed sort, keyset pagination, capped counts and report grouping.
* ``fts``     the full-text abstraction over PostgreSQL tsvector and SQLite FTS5.

Nothing here writes to the database.
"""

from bugzot.search.params import BugQuery, SearchError, parse_query
from bugzot.search.query import Page, fetch_page, iter_rows
from bugzot.search.reports import AXES, report_counts

__all__ = ["AXES", "BugQuery", "Page", "SearchError", "fetch_page", "iter_rows", "parse_query",
           "report_counts"]
