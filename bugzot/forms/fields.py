"""Form fields that parse what people type into the values commands carry.

A username becomes a ``User``, "3, 12" a set of bug numbers; what cannot be parsed is
an error on the field, shown next to it, and the typed text stays in the form.
Whether a user may take a role on a bug (an active account) is the services' rule.
"""

from __future__ import annotations

from typing import Any

from wtforms import StringField
from wtforms.validators import ValidationError

from bugzot.models import User
from bugzot.services.read.users import users_by_username

MAX_BUG_ID = 2**31 - 1  # the database's integer range


def usernames(text: str | None) -> list[str]:
    """Usernames from a comma- or space-separated list, lower-cased, without repeats."""
    names = [n.strip().lower() for n in (text or "").replace(",", " ").split()]
    return list(dict.fromkeys(n for n in names if n))


def _unknown(name: str) -> ValidationError:
    return ValidationError(f"There is no active user {name!r}.")


class UserField(StringField):
    """One username; ``user`` is the account after validation (None when left empty)."""

    user: User | None = None

    def pre_validate(self, form: Any) -> None:
        self.user = None
        name = (self.data or "").strip().lower()
        if name:
            self.user = users_by_username([name]).get(name)
            if self.user is None:
                raise _unknown(name)


class UserListField(StringField):
    """Usernames separated by commas or spaces; ``users`` after validation."""

    users: list[User] = []

    def pre_validate(self, form: Any) -> None:
        names = usernames(self.data)
        found = users_by_username(names)
        missing = [n for n in names if n not in found]
        if missing:
            self.users = []
            raise _unknown(missing[0])
        self.users = [found[n] for n in names]


def _bug_number(text: str) -> int | None:
    # ASCII digits only ("²" is a digit to isdigit(), not to int()), and few enough of them
    # for int() (which refuses 4300 digits and more).
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    return int(text) if 0 < int(text) <= MAX_BUG_ID else None


class BugIdsField(StringField):
    """Bug numbers separated by commas or spaces; ``ids`` (a frozenset) after validation."""

    ids: frozenset[int] = frozenset()

    def pre_validate(self, form: Any) -> None:
        parts = (self.data or "").replace(",", " ").split()
        numbers = [_bug_number(part) for part in parts]
        if any(n is None for n in numbers):
            self.ids = frozenset()
            raise ValidationError("List bug numbers separated by commas.")
        self.ids = frozenset(numbers)


class BugIdField(StringField):
    """One bug number or nothing; ``id`` after validation."""

    id: int | None = None

    def pre_validate(self, form: Any) -> None:
        text = (self.data or "").strip().lstrip("#")
        self.id = _bug_number(text) if text else None
        if text and self.id is None:
            raise ValidationError("Give the number of the bug this one duplicates.")
