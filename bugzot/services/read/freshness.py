"""A token that changes whenever what the database holds may have changed.

``token()`` is read once per cached page, before the page's data: a cached body kept
under a token was rendered from data at least as new as that token, and once any write
is committed no reader gets that token again. It is made of:

- on PostgreSQL, ``pg_current_snapshot()``: the set of transactions whose work a new
  statement sees. Two equal snapshots see the same committed data, whichever process or
  server committed it (one more write, anywhere, gives a new one), at the cost of one
  tiny statement and no lock: nothing is written to read it;
- on SQLite, ``PRAGMA data_version`` of the request's connection, which changes when
  another connection (of this process or another one) has committed: each connection
  remembers the value it saw, and a change moves the app's epoch on;
- the app's *epoch*, a counter moved on by every write statement this process runs and
  by every rollback of a connection that wrote. It covers what the database token cannot
  see: a transaction's own writes before its commit (the test suite's transactions, and
  on SQLite the writer's own connection, whose data_version its own commits don't move),
  and writes undone by a rollback.

``install(app, engine)`` hooks the engine's events. Everything lives on the app
(``app.extensions``) and on the connections (``connection.info``): no module state.
"""

from __future__ import annotations

import itertools
import re
import threading
from typing import Any

from flask import current_app
from sqlalchemy import Text, event, func, select
from sqlalchemy.orm import scoped_session

EXTENSION = "bugzot.freshness"
SNAPSHOT = func.pg_current_snapshot().cast(Text)  # a column any PostgreSQL query may add
_NOTED = "bugzot.snapshot"  # session.info: (transaction, a snapshot another query read)
_MEMO = "bugzot.token"  # session.info: (transaction, the token read in it)
_DIRTY = "bugzot.wrote"  # connection.info: write statements this transaction ran
_MARKS = "bugzot.savepoints"  # connection.info: writes when each open savepoint began
_SEEN = "bugzot.data_version"  # connection.info (SQLite): the data_version last seen
# Statements that never change what a page shows; anything else counts as a write (a
# DDL statement, an ANALYZE or an unknown verb only costs the caches a miss).
# (A ROLLBACK's undoing is counted by the rollback events below.)
_READS = frozenset({"SELECT", "SHOW", "SET", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE",
                    "COMMIT", "ROLLBACK", "EXPLAIN", "VALUES"})
_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|COPY|TRUNCATE)\b", re.IGNORECASE)


class Freshness:
    """The app's epoch, moved on by writes; thread-safe."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self.epoch = 0

    def bump(self) -> None:
        with self._lock:
            self.epoch = next(self._counter)


def is_write(statement: str) -> bool:
    """True unless ``statement`` is one of the verbs that only read (a ``WITH`` reads
    unless it holds a data-changing verb)."""
    head = statement.lstrip()[:12].split(None, 1)
    verb = head[0].upper() if head else ""
    if verb == "WITH":
        return bool(_WRITE_WORD.search(statement))
    return verb not in _READS


def install(app: Any, engine: Any) -> Freshness:
    """Keep ``app``'s epoch for ``engine``: every write statement and every rollback of a
    connection that wrote moves it on."""
    fresh = app.extensions.get(EXTENSION)
    if fresh is None:
        fresh = app.extensions[EXTENSION] = Freshness()

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if is_write(statement):
            conn.info[_DIRTY] = conn.info.get(_DIRTY, 0) + 1
            fresh.bump()

    def ended(conn, *args) -> None:
        info = _info(conn)
        if info is None:  # a broken connection (a database restart): whatever it wrote
            fresh.bump()  # is gone or committed; count it as a change
            return
        info.pop(_MARKS, None)
        if info.pop(_DIRTY, 0):
            fresh.bump()
            info.pop(_SEEN, None)  # SQLite: its own commit never moves data_version

    # Savepoints nest: a stack of the write counts when each began (their names are
    # not known yet when the "savepoint" event fires).
    def savepoint_began(conn, name) -> None:
        conn.info.setdefault(_MARKS, []).append(conn.info.get(_DIRTY, 0))

    def savepoint_released(conn, name, context=None) -> None:
        marks = (_info(conn) or {}).get(_MARKS)
        if marks:
            marks.pop()

    def savepoint_undone(conn, name, context=None) -> None:
        info = _info(conn) or {}
        marks = info.get(_MARKS)
        if not marks or marks.pop() != info.get(_DIRTY, 0):
            fresh.bump()  # it undid writes (or nobody knows)

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    event.listen(engine, "savepoint", savepoint_began)
    event.listen(engine, "release_savepoint", savepoint_released)
    event.listen(engine, "rollback_savepoint", savepoint_undone)
    return fresh


def _info(conn: Any) -> dict | None:
    """``conn.info``, or None for a connection the pool has invalidated (reading it would
    raise while the request rolls back)."""
    if conn.invalidated or conn.closed:
        return None
    try:
        return conn.info
    except Exception:  # a connection broken under us: the caller counts a change
        return None


def _actual(session: Any) -> Any:
    """The Session behind Flask-SQLAlchemy's ``db.session`` (a scoped session)."""
    return session() if isinstance(session, scoped_session) else session


def note_snapshot(session: Any, snapshot: str) -> None:
    """``snapshot`` (``SNAPSHOT``) was read with another query of ``session``: ``token()``
    uses it instead of asking again, within the same transaction (it is as old as that
    query, so still read before the data it will vouch for)."""
    session = _actual(session)
    session.info[_NOTED] = (session.get_transaction(), snapshot)


def wants_snapshot(session: Any) -> bool:
    """Whether a query of ``session`` should bring ``SNAPSHOT`` along: not when this
    transaction already holds a token."""
    session = _actual(session)
    memo = session.info.get(_MEMO)
    return memo is None or memo[0] is not session.get_transaction()


def token(session: Any) -> tuple:
    """What the database and this process have committed or written, as a hashable
    value; read it before the data it vouches for. Read once per transaction (and
    again after a write of this process moved the epoch)."""
    fresh = current_app.extensions[EXTENSION]
    session = _actual(session)
    transaction = session.get_transaction()
    memo = session.info.get(_MEMO)
    if memo is not None and memo[0] is transaction and transaction is not None \
            and memo[1][0] == fresh.epoch:
        return memo[1]
    noted = session.info.pop(_NOTED, None)
    if noted is not None and noted[0] is transaction and transaction is not None:
        value = (fresh.epoch, noted[1])
    else:
        value = connection_token(session.connection(), fresh)
    session.info[_MEMO] = (session.get_transaction(), value)
    return value


def connection_token(conn: Any, fresh: Freshness) -> tuple:
    """``token()`` read on ``conn``, with the epoch ``fresh``."""
    if conn.dialect.name == "postgresql":
        return fresh.epoch, conn.execute(select(SNAPSHOT)).scalar()
    version = conn.exec_driver_sql("PRAGMA data_version").scalar()
    if conn.info.get(_SEEN) != version:
        conn.info[_SEEN] = version
        fresh.bump()
    return (fresh.epoch,)
