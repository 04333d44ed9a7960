"""Typed commands for the bug and attachment services: what a caller asks for, as Python values.

The web forms (``forms/bugs.py``) and the REST API (``api/``) parse their input into
these; the services never see a form string. People are ``User`` objects, bug
references are ints, multi-valued fields are sets with add/remove/set semantics
(Bugzilla's ``{"add": [...], "remove": [...], "set": [...]}``), values of the field
table (``bugzot.fields``) are keyed by their internal names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Generic, TypeVar

from bugzot import workflow
from bugzot.models import User

T = TypeVar("T")


@dataclass(frozen=True)
class SetEdit(Generic[T]):
    """A change to a set: replace it (``set``), or add and remove members."""

    add: frozenset[T] = frozenset()
    remove: frozenset[T] = frozenset()
    set: frozenset[T] | None = None

    def apply(self, current: frozenset[T]) -> frozenset[T]:
        """The set after this change."""
        base = frozenset(self.set) if self.set is not None else frozenset(current)
        return (base | frozenset(self.add)) - frozenset(self.remove)

    def __bool__(self) -> bool:
        return bool(self.add or self.remove or self.set is not None)


@dataclass(frozen=True)
class NewComment:
    """A comment to add, public unless ``is_private``."""

    body: str
    is_private: bool = False


@dataclass(frozen=True)
class Upload:
    """A file to attach: its name as the client gave it and a binary stream of its bytes."""

    filename: str
    stream: BinaryIO
    description: str = ""
    is_patch: bool = False
    is_private: bool = False
    comment: str = ""


@dataclass(frozen=True)
class BugEdit:
    """One save of a bug: fields, CC, a comment, all in one transaction.

    ``fields`` maps internal field names (``bugzot.fields.FIELD``) to typed values:
    names (str) for product/component/version/milestone/status/resolution/choices,
    ``User | None`` for people, ``int | None`` for ``dup_id``, ``frozenset[int]`` or a
    ``SetEdit[int]`` for ``dependson``/``blocked``, ``bool`` for ``is_private``.
    ``revision`` is the one the caller saw: a newer current one is a mid-air collision
    and nothing is written; None skips the check (API callers that send no
    ``last_change_time``). ``route``: a status that is no single move of the workflow
    may be reached through intermediate ones the user may take (Bugzilla clients close
    an open bug with one request); the web page offers single moves only.
    """

    revision: int | None
    fields: Mapping[str, Any] = field(default_factory=dict)
    cc: SetEdit[User] = field(default_factory=SetEdit)
    comment: NewComment | None = None
    route: bool = False


@dataclass(frozen=True)
class NewBug:
    """A bug to file. ``status`` is for imports and tests (normal filing: the workflow's)."""

    product: str
    component: str
    summary: str
    description: str = ""
    version: str = ""
    severity: str = workflow.DEFAULT_SEVERITY
    priority: str = workflow.DEFAULT_PRIORITY
    platform: str = "All"
    op_sys: str = "All"
    cc: frozenset[User] = frozenset()
    is_private: bool = False
    attachment: Upload | None = None
    status: str | None = None
    # Usually left to the component's defaults and later edits; the REST API sets them.
    assignee: User | None = None
    qa_contact: User | None = None
    target_milestone: str = ""
    dependson: frozenset[int] = frozenset()
    blocked: frozenset[int] = frozenset()
