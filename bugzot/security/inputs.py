"""The input layer: malformed input is a 400 before any view or service sees it.

Two kinds of input break the databases rather than the code, so they are refused
here for every route at once:

* NUL characters, which PostgreSQL cannot store in text (psycopg2 raises on them):
  ``refuse_nul`` checks the path, the query string, the form (names, values and
  upload file names) and JSON bodies of every request.
* integers beyond what the columns hold: SQLite raises ``OverflowError`` past 64
  bits and PostgreSQL's ``integer`` stops at 2**31 - 1. Ids in paths go through the
  ``int`` converter below (bounded to ``INT32_MAX``); forms use ``bounded_int`` and
  ``ID_RANGE``; page cursors are checked with ``check_int``. ``errors.py`` answers a
  stray ``OverflowError`` with a 400 too, as the last line of defence.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

INT32_MAX = 2**31 - 1  # ids, revisions, comment numbers: ``integer`` on PostgreSQL
ID_RANGE = (0, INT32_MAX)


class OutOfRange(BadRequest):
    """A number in the request is larger than any stored value can be."""

    description = "A number in the request is out of range."


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's ``int`` converter with ``max`` defaulting to ``INT32_MAX``; a larger
    number is a 400 (not a lookup that overflows the database)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, INT32_MAX if max is None else max, signed)

    def to_python(self, value: str) -> int:
        # A digit string too long for int() (4300 digits) is out of range as well.
        if self.max is not None and (len(value.lstrip("0")) > 19 or int(value) > self.max):
            raise OutOfRange(f"The number {value[:30]} in the address is out of range.")
        return super().to_python(value)


def check_int(value: Any, low: int = 0, high: int = INT32_MAX) -> int:
    """``value`` if it is an int (not a bool) within [low, high], else ValueError."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError("integer out of range")
    return value


def check_cursor(value: Any, bug_id: Any) -> None:
    """ValueError unless a page cursor's (sort value, bug id) can be bound as parameters:
    ints within ``ID_RANGE``, finite floats, strings without NUL."""
    check_int(bug_id)
    if isinstance(value, int):
        check_int(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a finite number")
    elif isinstance(value, str) and has_nul(value):
        raise ValueError("NUL character")


def bounded_int(value: Any) -> int:
    """A WTForms ``coerce`` for ids: int() that refuses numbers no id can have."""
    return check_int(int(value))


def has_nul(text: str | None) -> bool:
    """True when ``text`` holds a NUL character."""
    return bool(text) and "\x00" in text


def _strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON document (keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def refuse_nul() -> None:
    """before_request: 400 when any parameter of the request contains a NUL."""
    sources = {"address": [request.path],
               "query string": [text for pair in request.args.items(multi=True) for text in pair]}
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sources["form"] = [text for pair in request.form.items(multi=True) for text in pair]
        sources["upload"] = [f.filename or "" for f in request.files.values()] + list(request.files)
        if request.is_json:
            sources["JSON body"] = list(_strings(request.get_json(silent=True)))
    for where, texts in sources.items():
        if any(has_nul(text) for text in texts):
            raise BadRequest(f"The {where} contains a NUL character, which is never valid here.")


def init_app(app: Flask) -> None:
    """Install the bounded ``int`` converter and the NUL check on ``app``."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_nul)
