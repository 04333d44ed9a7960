"""Reading REST requests: query-string lists, numbers, strings and the JSON body.

Every value is checked here and turned into a Python value of the right type, or a
Bugzilla error (code 32000/104, HTTP 400): wrong types, NUL characters, numbers beyond
the database's range and malformed JSON never reach a service.
"""

from __future__ import annotations

from typing import Any

from flask import request

from bugzot.api.errors import GENERIC, ILLEGAL_VALUE, ApiError

MAX_ID = 2**31 - 1  # the database's integer range
MAX_TEXT = 65535
MAX_LIST = 1000


def _clean(value: str, name: str) -> str:
    if "\x00" in value:
        raise ApiError(ILLEGAL_VALUE, f"The value of {name!r} contains a NUL character.")
    if len(value) > MAX_TEXT:
        raise ApiError(ILLEGAL_VALUE, f"The value of {name!r} is too long.")
    return value


def arg_list(name: str) -> tuple[str, ...]:
    """All values of a query parameter: repeated keys, each also split on commas."""
    values: list[str] = []
    for raw in request.args.getlist(name):
        for part in _clean(raw, name).split(","):
            part = part.strip()
            if part and part not in values:
                values.append(part)
    if len(values) > MAX_LIST:
        raise ApiError(ILLEGAL_VALUE, f"Too many values for {name!r} (at most {MAX_LIST}).")
    return tuple(values)


def arg(name: str, default: str = "") -> str:
    """One query parameter (checked), or ``default``."""
    value = request.args.get(name)
    return default if value is None else _clean(value, name).strip()


def as_id(value: Any, name: str) -> int:
    """A bug, comment, attachment or user id: a positive int in the database's range."""
    if isinstance(value, bool):
        raise ApiError(ILLEGAL_VALUE, f"{name!r} must be a number, not {value!r}.")
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            raise ApiError(ILLEGAL_VALUE, f"{name!r} must be a number, not {value[:40]!r}.")
        value = int(value)
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise ApiError(ILLEGAL_VALUE, f"{name!r} is not a valid id: {str(value)[:40]}.")
    return value


def ids_arg(name: str) -> tuple[int, ...]:
    """A list of ids from the query string."""
    return tuple(as_id(v, name) for v in arg_list(name))


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A bounded whole number from the query string."""
    raw = arg(name)
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(ILLEGAL_VALUE, f"{name!r} must be a whole number from {low} to {high}.")
    return int(raw)


def body() -> dict[str, Any]:
    """The JSON object of a POST or PUT (an error for anything else)."""
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(GENERIC, "The request body must be a JSON object "
                                "(Content-Type: application/json).")
    if not isinstance(data, dict):
        raise ApiError(GENERIC, "The request body must be a JSON object.")
    _check_strings(data, "body")
    return data


def _check_strings(value: Any, name: str) -> None:
    if isinstance(value, str):
        _clean(value, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean(str(key), name)
            _check_strings(item, str(key))
    elif isinstance(value, list):
        for item in value:
            _check_strings(item, name)


def text(data: dict[str, Any], name: str, default: str | None = None,
         required: bool = False) -> str | None:
    """A string member of the body."""
    if name not in data or data[name] is None:
        if required:
            raise ApiError(ILLEGAL_VALUE, f"You must give {name!r}.")
        return default
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ApiError(ILLEGAL_VALUE, f"{name!r} must be a string.")
    return str(value)


def flag(data: dict[str, Any], name: str, default: bool = False) -> bool:
    """A boolean member of the body (true/false, 1/0 or "1"/"0" as Bugzilla takes)."""
    value = data.get(name, default)
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise ApiError(ILLEGAL_VALUE, f"{name!r} must be true or false.")


def string_list(value: Any, name: str) -> list[str]:
    """A list of strings (a lone string counts as a list of one)."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or any(
            isinstance(v, bool) or not isinstance(v, str | int) for v in value):
        raise ApiError(ILLEGAL_VALUE, f"{name!r} must be a list of strings.")
    if len(value) > MAX_LIST:
        raise ApiError(ILLEGAL_VALUE, f"Too many values for {name!r}.")
    return [str(v).strip() for v in value if str(v).strip()]
