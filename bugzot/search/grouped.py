"""Lists sorted by a name in another table (product, component, assignee) on PostgreSQL:
each name's first bugs along its (key, id) index, then only those are sorted."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.models import Bug, Component, Product, User
from bugzot.search.cursors import decode_cursor
from bugzot.search.params import NOBODY, RELEVANCE, BugQuery

# Sorts by a name in another table: the table, the name, the bug's key to it (see below).
_GROUPS: dict[str, tuple[Any, Any, Any]] = {
    "product": (Product, Product.name, Bug.product_id),
    "component": (Component, Component.name, Bug.component_id),
    "assignee": (User, User.username, Bug.assignee_id),
}


def groups(q: BugQuery, dialect: str) -> list[Any] | None:
    """For ``rows``: the conditions on the sort's table that the filters of ``q``
    imply, or None when the list should sort its matching bugs instead. That is any list
    not sorted by a name, on SQLite (no LATERAL), and any list with a filter the groups
    cannot take: a group with no matching bug is read to its end, so a severity filter,
    say, would read every bug; sorting its matches is cheaper."""
    if q.sort == RELEVANCE or q.sort_key not in _GROUPS or q.words or dialect != "postgresql":
        return None
    f = {name: values for name, values in q.filters.items() if values and name != "status"}
    products = f.pop("product", None)
    where = []
    if q.sort_key == "product" and products:
        where.append(Product.name.in_(products))
    elif q.sort_key == "component":
        if products:
            where.append(Component.product_id.in_(
                sa.select(Product.id).where(Product.name.in_(products))))
        if f.get("component"):
            where.append(Component.name.in_(f.pop("component")))
    elif q.sort_key == "assignee" and f.get("assignee") and NOBODY not in f["assignee"]:
        where.append(User.username.in_(f.pop("assignee")))
    return None if f or (products and not where) else where


def rows(q: BugQuery, conditions: list[Any], group_where: list[Any], cursor: str | None,
         descending: bool, limit: int, columns: tuple[Any, ...],
         total: sa.Select | None = None) -> list[Any]:
    """Up to ``limit`` list rows beyond ``cursor`` of a list sorted by product, component or
    assignee name (PostgreSQL). Sorting every matching bug by a joined name cost ~1 s at a
    million bugs; here each product, component or user (those ``group_where`` allows) gives
    its first ``limit`` bugs in id order along the (key, id) index (a LATERAL subquery),
    beyond the cursor, and only those are sorted: O(names x page). Bugs without an assignee
    sort as "" (first). ``columns``: the list row's; ``total``: a count to add to each row."""
    table, name, key = _GROUPS[q.sort_key]
    value, bug_id = decode_cursor(cursor, str) if cursor else (None, None)
    order = sa.desc if descending else sa.asc

    def beyond(left: Any, right: Any) -> Any:
        return left < right if descending else left > right

    def first_bugs(group_name: Any, *where: Any) -> sa.Select:
        stmt = sa.select(Bug.id, group_name.label("sort_value")).where(*conditions, *where)
        if cursor:  # a group past the cursor's name: all of it; the cursor's own: past its id
            stmt = stmt.where(sa.or_(beyond(group_name, value), beyond(Bug.id, bug_id)))
        return stmt.order_by(order(Bug.id)).limit(limit)

    groups = sa.select(table.id.label("id"), name.label("name")).where(*group_where)
    if cursor:
        groups = groups.where(name <= value if descending else name >= value)
    groups = groups.subquery("groups")
    best = first_bugs(groups.c.name, key == groups.c.id).lateral("best")
    parts = [sa.select(best.c.id, best.c.sort_value).select_from(groups).join(best, sa.true())]
    if q.sort_key == "assignee" and not group_where and (not cursor or descending or value == ""):
        nobody = sa.literal("", sa.String)
        parts.append(first_bugs(nobody, Bug.assignee_id.is_(None)).subquery().select())
    picked = sa.union_all(*parts).subquery("picked")
    page = (sa.select(picked.c.id, picked.c.sort_value)
            .order_by(order(picked.c.sort_value), order(picked.c.id)).limit(limit).subquery("page"))
    stmt = (sa.select(*columns, page.c.sort_value).join(page, page.c.id == Bug.id)
            .order_by(order(page.c.sort_value), order(page.c.id)))
    if total is not None:
        stmt = stmt.add_columns(total.scalar_subquery().label("total"))
    return list(db.session.execute(stmt).all())
