"""Bug list statements built once per shape and kept on the app.

Building a list's statement and SQLAlchemy's cache key for it cost about 1 ms per
request, the same for every request of one *shape*: the filters used (not their
values), the kind of viewer (``visibility.bug_viewer``), sort, page size, cursor or
not, dialect. A statement kept here is run with the request's values for its named
bound parameters (``filters.bound``, ``fts.bound_values``, the cursor), so nothing of
the request that built it stays in it: ``reusable`` refuses a statement holding any
other bound value (a LIMIT aside, which is part of the shape).

The cache lives in ``app.extensions`` (no module state: one Apache process may serve
many apps and threads), holds at most ``SIZE`` statements and drops the least used.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app
from sqlalchemy.sql.selectable import _OffsetLimitParam

SIZE = 256
EXTENSION = "bugzot.list_statements"


class Statements:
    """A bounded, thread-safe, least-recently-used map of shape -> statement."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, build: Callable[[], Any], values: dict[str, Any]) -> Any:
        """The statement kept for ``key``, else ``build()`` (kept when ``reusable``)."""
        with self._lock:
            stmt = self._items.get(key)
            if stmt is not None:
                self._items.move_to_end(key)
                return stmt
        stmt = build()
        if reusable(stmt, values):
            with self._lock:
                self._items[key] = stmt
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return stmt

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def reusable(stmt: Any, values: dict[str, Any]) -> bool:
    """True when every bound parameter of ``stmt`` is one of ``values`` (given again on
    every run) or a LIMIT (a part of the shape)."""
    key = stmt._generate_cache_key()
    return key is not None and all(p.key in values or isinstance(p, _OffsetLimitParam)
                                   for p in key.bindparams)


def for_app() -> Statements:
    """The current app's statements."""
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        found = current_app.extensions.setdefault(EXTENSION, Statements())
    return found
