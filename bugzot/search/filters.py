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
from bugzot.visibility import bug_viewer, bugs_rule

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


def _key(spec: FieldSpec) -> Any:
    if spec.type in _NAMED:
        return _NAMED[spec.type][2](spec)
    return getattr(Bug, ATTRIBUTES.get(spec.name, spec.name))


def bound(q: BugQuery, user: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The filters of ``q`` under what ``user`` may see as a *shape* (what the SQL's
    structure depends on: which filters, the kind of viewer) and the *values* of its
    bound parameters (names looked up here). ``clauses`` turns them into SQL; one
    statement serves every request of a shape (``search.statements``)."""
    viewer = bug_viewer(user)
    shape: list[Any] = [viewer]
    values: dict[str, Any] = {"viewer_id": getattr(user, "id", None)}
    if q.statuses:
        shape.append("status")
        values["statuses"] = list(q.statuses)
    for spec in FILTERABLE:
        given = q.filters.get(spec.filter)
        if not given or spec.type == "status":
            continue
        if spec.type in _NAMED:
            model, name, _ = _NAMED[spec.type]
            # "nobody": no one in a person field that may be empty (the assignee)
            names = tuple(v for v in given if not (spec.type == "user" and spec.editable
                                                   and v == NOBODY))
            if names:
                values[spec.filter] = _ids(model, name, names, spec.filter)
            shape.append((spec.filter, bool(names), len(names) < len(given)))
        else:
            values[spec.filter] = list(given)
            shape.append((spec.filter, True, False))
    for name in ("cc", "involves"):
        if q.filters.get(name):
            values[name] = _ids(User, User.username, q.filters[name], name)
            shape.append(name)
    if q.changed_within is not None:
        values["changed_since"] = datetime.now(UTC) - q.changed_within
        shape.append("changed")
    return tuple(shape), values


def _param(values: dict[str, Any], name: str, **kw: Any) -> Any:
    """The bound parameter ``name`` with its value (a kept statement is run with others)."""
    return sa.bindparam(name, values[name], **kw)


def clauses(shape: tuple[Any, ...], values: dict[str, Any]) -> list[Any]:
    """WHERE clauses on ``Bug`` for a ``bound`` shape and its values (every value is a
    named bound parameter)."""
    where = [bugs_rule(shape[0], _param(values, "viewer_id", type_=sa.Integer))]
    specs = {spec.filter: spec for spec in FILTERABLE}
    for part in shape[1:]:
        if part == "status":
            where.append(Bug.status.in_(_param(values, "statuses", expanding=True)))
        elif part in ("cc", "involves"):
            ids = _param(values, part, expanding=True)
            on_cc = Bug.id.in_(sa.select(BugCC.bug_id).where(BugCC.user_id.in_(ids)))
            where.append(on_cc if part == "cc" else sa.or_(
                Bug.reporter_id.in_(ids), Bug.assignee_id.in_(ids), Bug.qa_contact_id.in_(ids),
                on_cc))
        elif part == "changed":
            where.append(Bug.updated_at >= _param(values, "changed_since",
                                                  type_=Bug.updated_at.type))
        else:
            name, any_names, nobody = part
            key = _key(specs[name])
            clause = key.in_(_param(values, name, expanding=True)) if any_names else sa.false()
            where.append(sa.or_(clause, key.is_(None)) if nobody else clause)
    return where


def conditions(q: BugQuery, user: Any) -> list[Any]:
    """WHERE clauses on ``Bug`` for the filters of ``q`` (text search excluded), under
    what ``user`` may see."""
    return clauses(*bound(q, user))
