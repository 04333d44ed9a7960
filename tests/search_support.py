"""Helpers shared by the search, list, export, report and query-count tests."""

from __future__ import annotations

import re
from contextlib import contextmanager

import sqlalchemy as sa

from bugzot.extensions import db

ROW_RE = re.compile(r'<tr>\s*<td><a href="/bugs/(\d+)">')
NEXT_RE = re.compile(r'rel="next" href="\?([^"]+)"')
PREV_RE = re.compile(r'rel="prev" href="\?([^"]+)"')
SAVEPOINT_RE = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN)\b", re.I)


def comment(bug, user, body: str, private: bool = False):
    """Add a comment through the bugs service (as the bug page would)."""
    from conftest import edit

    db.session.refresh(bug)
    return edit(user, bug, comment=body, private=private).comment


def listed_ids(response) -> list[int]:
    """The bug ids of a /bugs page, in display order."""
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return [int(i) for i in ROW_RE.findall(response.get_data(as_text=True))]


def link(pattern: re.Pattern, response) -> str | None:
    """The query string of the next/previous link of a /bugs page (unescaped)."""
    match = pattern.search(response.get_data(as_text=True))
    return match.group(1).replace("&amp;", "&") if match else None


@contextmanager
def recorded_sql():
    """Collect every SQL statement the app runs inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not SAVEPOINT_RE.match(statement):  # the test harness's, not the app's
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


@contextmanager
def page_cache_off(app):
    """Every page built from its data, as with ``PAGE_CACHE_BYTES = 0``."""
    kept = app.extensions.pop("bugzot.page_cache", None)
    try:
        yield
    finally:
        if kept is not None:
            app.extensions["bugzot.page_cache"] = kept


def writes(statements: list[str]) -> list[str]:
    """The statements that change data."""
    return [s for s in statements
            if re.match(r"\s*(INSERT|UPDATE|DELETE|COPY|TRUNCATE|ALTER|CREATE|DROP)\b", s, re.I)]


@contextmanager
def planner():
    """A connection to ask the planner on; settings made in it (``SET LOCAL``) are undone
    afterwards (a savepoint rolled back). On PostgreSQL the tables are analyzed first, in
    the savepoint: the planner then costs the rows this module's transaction holds, not
    the size the files grew to under earlier modules' rolled-back rows (which changed
    plans with the order of the modules, e.g. under pytest-xdist)."""
    conn = db.session.connection()
    nested = conn.begin_nested()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE bugs, users, products, components")
    try:
        yield conn
    finally:
        nested.rollback()
