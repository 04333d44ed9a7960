"""Bug lists over 130 seeded bugs (built once per module and backend): keyset pages cover
every row once both ways, deep pages cost what page 1 costs, sorts walk their indexes,
counts are capped."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.models import Bug, User
from tests.conftest import PASSWORD
from tests.search_support import (
    NEXT_RE,
    PREV_RE,
    link,
    listed_ids,
    page_cache_off,
    planner,
    recorded_sql,
)


def _login(auth, username):
    assert auth.login(username).status_code == 302


@pytest.fixture(scope="module")
def many(module_db):
    """130 seeded bugs (with ties in every sort column) and the seeded users (as plain
    records), built once per module and backend."""
    from bugzot.seed.bulk import seed

    with module_db.app_context():
        seed(130, 2, users=6, batch_size=50, password=PASSWORD, random_seed=7)
        users = db.session.scalars(sa.select(User).where(User.username.like("seed%"))
                                   .order_by(User.username)).all()
        return [SimpleNamespace(id=u.id, username=u.username, role=SimpleNamespace(name=u.role.name))
                for u in users]


@pytest.mark.parametrize("sort", ["id", "-updated", "priority", "-severity", "summary", "assignee",
                                  "-assignee", "-component", "component", "product", "-product",
                                  "status", "resolution"])
def test_keyset_pages_cover_every_row_once_both_ways(client, auth, many, sort):
    reporter = next(u for u in many if u.role.name == "Reporter")
    _login(auth, reporter.username)
    visible = set(db.session.scalars(sa.select(Bug.id).where(
        sa.or_(Bug.is_private.is_(False), Bug.reporter_id == reporter.id))))
    pages, query = [], f"status=all&sort={sort}&limit=25"
    while query:
        response = client.get("/bugs?" + query)
        pages.append(listed_ids(response))
        query = link(NEXT_RE, response)
    seen = [i for page in pages for i in page]
    assert len(seen) == len(set(seen)) and set(seen) == visible
    assert len(pages) == -(-len(visible) // 25)
    # ... and back again with the "previous" links, page by page.
    response = client.get("/bugs?" + f"status=all&sort={sort}&limit=25")
    for _ in range(len(pages) - 1):
        response = client.get("/bugs?" + link(NEXT_RE, response))
    back = [listed_ids(response)]
    while (query := link(PREV_RE, response)):
        response = client.get("/bugs?" + query)
        back.append(listed_ids(response))
    assert back[::-1] == pages


def test_deep_pages_use_keyset_not_offset(client, auth, many):
    _login(auth, "seed0001")
    response = client.get("/bugs?status=all&limit=25")
    for _ in range(3):
        response = client.get("/bugs?" + link(NEXT_RE, response))
    with recorded_sql() as statements:
        listed_ids(client.get("/bugs?" + link(NEXT_RE, response)))
    pages = [s for s in statements if "ORDER BY bugs.updated_at DESC, bugs.id DESC" in s]
    assert len(pages) == 1
    assert "(bugs.updated_at, bugs.id) < (" in pages[0]  # WHERE (sort, id) < last row


def two_pages_statements(client, sort: str, marker: str) -> list[tuple[str, object]]:
    """The statements (with parameters) holding ``marker`` that the first two pages of all
    bugs sorted by ``sort`` ran, to EXPLAIN them."""
    ran: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if marker in statement:
            ran.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        with page_cache_off(client.application):  # the statements run: no kept page
            response = client.get(f"/bugs?status=all&sort={sort}&limit=25")
            client.get("/bugs?" + link(NEXT_RE, response))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return ran


@pytest.mark.parametrize("sort, expression, index", [
    ("priority", "CASE bugs.priority", "ix_bugs_priority_order"),
    ("-severity", "CASE bugs.severity", "ix_bugs_severity_order"),
    ("status", "CASE bugs.status", "ix_bugs_status_order"),
    ("resolution", "coalesce(bugs.resolution, '')", "ix_bugs_resolution_order"),
    ("-summary", "bugs.summary", "ix_bugs_summary_id"),
])
def test_sorts_walk_their_index(client, auth, many, backend, sort, expression, index):
    """A sort by status, severity, priority, resolution or summary reads its index in order
    (migrations 0005 and 0007) instead of sorting every bug, on the first page and past a
    cursor. The planner is asked whether it can: on PostgreSQL with sorting disabled (a
    table this small would otherwise be sorted), so a query whose expression differs from
    the index's must still Sort."""
    _login(auth, many[0].username)
    ran = two_pages_statements(client, sort, "ORDER BY " + expression)
    assert len(ran) == 2 and f"({expression}" in ran[1][0]  # the second past a cursor
    with planner() as conn:
        for statement, parameters in ran:
            if backend == "postgresql":
                conn.exec_driver_sql("SET LOCAL enable_sort = off")
                plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
                assert not any("Sort" in line for line in plan), plan
            else:
                plan = [r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                            parameters)]
                assert not any("TEMP B-TREE FOR ORDER BY" in line for line in plan), plan
            assert any(index in line for line in plan), plan


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has no LATERAL
@pytest.mark.parametrize("sort", ["product", "-component", "assignee", "-assignee"])
def test_name_sorts_take_each_groups_first_bugs_along_an_index(client, auth, many, backend, sort):
    """PostgreSQL: a sort by product, component or assignee name reads each one's first bugs
    in id order from the (key, id) index (LATERAL), not every matching bug; past a cursor too.
    (SQLite sorts the matching bugs; the keyset test above covers every sort on both.)"""
    key = {"product": "product_id", "component": "component_id", "assignee": "assignee_id"}[
        sort.lstrip("-")]
    _login(auth, many[0].username)
    ran = two_pages_statements(client, sort, "LATERAL")
    assert len(ran) == 2
    with planner() as conn:
        for statement, parameters in ran:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a small table is read whole
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
            # Each group's bugs are read in id order under the page's LIMIT: along the
            # (key, id) index, or, on this module's 130 bugs, the id index filtered by the
            # key (the planner's cheaper choice at this size); never a scan of all bugs.
            assert "Seq Scan on bugs" not in plan, plan
            assert f"ix_bugs_{key}_id" in plan or re.search(
                r"->  Limit .*\n\s+->  Index Scan using pk_bugs on bugs \w+ .*\n\s+Filter: \(+"
                + key + r" = ", plan), plan


def test_count_is_capped(client, auth, many, monkeypatch):
    from bugzot.search import query as search_query

    _login(auth, "seed0001")
    assert "<strong>130</strong>" in client.get("/bugs?status=all").get_data(as_text=True)
    monkeypatch.setattr(search_query, "COUNT_CAP", 100)  # (code: no page key covers it)
    with page_cache_off(client.application):
        assert "<strong>More than 100</strong>" in client.get("/bugs?status=all").get_data(
            as_text=True)
