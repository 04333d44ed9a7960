"""The WHERE clauses of a bug list's filters, read from the field table.

Each field of ``bugzot.fields`` with a ``filter`` parameter filters by its type: an
enumerated column (severity, priority, resolution), the status with its aliases
(``BugQuery.statuses``), a catalogue name (product, component, version) or a person
(assignee, with ``nobody`` for unassigned bugs; reporter). ``cc`` filters by the CC list,
``involves`` by any of reporter, assignee, QA contact and CC, ``changed`` by the time of
the last change.
Names are looked up first: an unknown one is a clear error, not an empty list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.fields import ATTRIBUTES, FILTERABLE, FieldSpec
from bugzot.models import Bug, BugCC, Component, Milestone, Product, User, Version
from bugzot.search.params import NOBODY, BugQuery, SearchError
from bugzot.visibility import visible_bugs_clause

# Field types whose filter values are names: the table, its name column, the bug's key.
_NAMED: dict[str, tuple[Any, Any, Callable[[FieldSpec], Any]]] = {
    "product": (Product, Product.name, lambda spec: Bug.product_id),
    "component": (Component, Component.name, lambda spec: Bug.component_id),
    "version": (Version, Version.value, lambda spec: Bug.version_id),
    "milestone": (Milestone, Milestone.value, lambda spec: Bug.milestone_id),
    "user": (User, User.username,
             lambda spec: getattr(Bug, ATTRIBUTES.get(spec.name, spec.name) + "_id")),
}


def _ids(model: Any, column: Any, names: tuple[str, ...], label: str) -> list[int]:
    """Ids of the rows whose ``column`` is in ``names`` (people: their username or email
    address); an unknown name is an error."""
    if model is User:
        found = db.session.execute(sa.select(User.id, User.username, User.email).where(
            sa.or_(User.username.in_(names), User.email.in_(names)))).all()
        known = {n for _, username, email in found for n in (username, email)}
    else:
        found = db.session.execute(sa.select(model.id, column).where(column.in_(names))).all()
        known = {row[1] for row in found}
    missing = [n for n in names if n not in known]
    if missing:
        raise SearchError(f"There is no {label} called {missing[0]!r}.", label)
    return [row[0] for row in found]


def _clause(spec: FieldSpec, values: tuple[str, ...]) -> Any:
    if spec.type in _NAMED:
        model, name, key = _NAMED[spec.type]
        key = key(spec)
        # "nobody": no one in a person field that may be empty (the assignee)
        names = tuple(v for v in values if not (spec.type == "user" and spec.editable
                                                and v == NOBODY))
        clause = key.in_(_ids(model, name, names, spec.filter)) if names else sa.false()
        return sa.or_(clause, key.is_(None)) if len(names) < len(values) else clause
    return getattr(Bug, ATTRIBUTES.get(spec.name, spec.name)).in_(values)


def conditions(q: BugQuery, user: Any) -> list[Any]:
    """WHERE clauses on ``Bug`` for the filters of ``q`` (text search excluded), under
    what ``user`` may see."""
    where = [visible_bugs_clause(user)]
    if q.statuses:
        where.append(Bug.status.in_(q.statuses))
    for spec in FILTERABLE:
        values = q.filters.get(spec.filter)
        if values and spec.type != "status":
            where.append(_clause(spec, values))
    if q.filters.get("cc"):
        ids = _ids(User, User.username, q.filters["cc"], "cc")
        where.append(Bug.id.in_(sa.select(BugCC.bug_id).where(BugCC.user_id.in_(ids))))
    if q.filters.get("involves"):
        ids = _ids(User, User.username, q.filters["involves"], "involves")
        where.append(sa.or_(Bug.reporter_id.in_(ids), Bug.assignee_id.in_(ids),
                            Bug.qa_contact_id.in_(ids),
                            Bug.id.in_(sa.select(BugCC.bug_id).where(BugCC.user_id.in_(ids)))))
    if q.changed_within is not None:
        where.append(Bug.updated_at >= datetime.now(UTC) - q.changed_within)
    return where
