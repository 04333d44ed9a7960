"""The bug list /bugs: filters, aliases, the sort allow-list, clear errors,
keyset pagination, capped counts, and GETs that never write."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import edit

from bugzot.extensions import db
from bugzot.models import Bug, User
from tests.conftest import PASSWORD
from tests.search_support import NEXT_RE, PREV_RE, link, listed_ids, planner, recorded_sql, writes


@pytest.fixture
def catalog(make_product, make_user, make_bug):
    """Two products, four users and four bugs with different field values."""

    alpha = make_product("Alpha", components=("Core", "UI"), versions=("1.0", "2.0"))
    beta = make_product("Beta", components=("Core", "Docs"), versions=("9.0",))
    ann, bob = make_user("ann"), make_user("bob")
    eve = make_user("eve", role="Employee")
    zed = make_user("zed", role="Employee")
    b1 = make_bug(alpha, ann, summary="Crash in core", component="Core", version="1.0",
                  severity="critical", priority="P1")
    edit(eve, b1, {"assigned_to": zed})
    b2 = make_bug(alpha, bob, summary="Button misaligned", component="UI", version="2.0",
                  severity="minor", priority="P3")
    edit(eve, b2, cc_add=[ann])
    b3 = make_bug(beta, ann, summary="Docs typo", component="Docs", severity="trivial",
                  priority="P2", status="RESOLVED", resolution="WONTFIX")
    b4 = make_bug(beta, eve, summary="Secret core leak", component="Core", severity="major",
                  priority="P5", is_private=True)
    return {"b1": b1.id, "b2": b2.id, "b3": b3.id, "b4": b4.id}


def _login(auth, username):
    assert auth.login(username).status_code == 302


@pytest.mark.parametrize("query, expected", [
    ("", {"b1", "b2"}),                          # default: open bugs only
    ("status=all", {"b1", "b2", "b3"}),
    ("status=closed", {"b3"}),
    ("status=open", {"b1", "b2"}),
    ("status=NEW,RESOLVED", {"b1", "b2", "b3"}),
    ("status=NEW&status=RESOLVED", {"b1", "b2", "b3"}),
    ("product=Alpha", {"b1", "b2"}),
    ("product=Beta&status=all", {"b3"}),
    ("product=Alpha&product=Beta&status=all", {"b1", "b2", "b3"}),
    ("component=Core&status=all", {"b1"}),
    ("component=Docs&status=all", {"b3"}),
    ("version=2.0", {"b2"}),
    ("severity=critical,minor", {"b1", "b2"}),
    ("priority=P3", {"b2"}),
    ("resolution=WONTFIX&status=all", {"b3"}),
    ("assignee=zed", {"b1"}),
    ("assignee=ZED", {"b1"}),
    ("assignee=nobody", {"b2"}),
    ("assignee=nobody&assignee=zed", {"b1", "b2"}),
    ("reporter=ann&status=all", {"b1", "b3"}),
    ("cc=ann", {"b2"}),
    ("q=crash", {"b1"}),
    ("product=Alpha&severity=minor&q=button", {"b2"}),
])
def test_filters_as_a_reporter(client, auth, catalog, query, expected):
    _login(auth, "ann")
    ids = listed_ids(client.get("/bugs?" + query))
    assert set(ids) == {catalog[k] for k in expected}


def test_private_bugs_only_for_those_who_may_see_them(client, auth, catalog):
    _login(auth, "bob")
    assert catalog["b4"] not in listed_ids(client.get("/bugs?status=all&q=secret"))
    assert catalog["b4"] not in listed_ids(client.get("/bugs?component=Core"))
    auth.logout()
    _login(auth, "eve")
    assert set(listed_ids(client.get("/bugs?component=Core"))) == {catalog["b1"], catalog["b4"]}


@pytest.mark.parametrize("sort, expected", [
    ("id", ["b1", "b2"]), ("-id", ["b2", "b1"]),
    ("severity", ["b1", "b2"]), ("-severity", ["b2", "b1"]),   # workflow order, not A-Z
    ("priority", ["b1", "b2"]), ("-priority", ["b2", "b1"]),
    ("summary", ["b2", "b1"]), ("component", ["b1", "b2"]),
    ("assignee", ["b2", "b1"]), ("-assignee", ["b1", "b2"]),   # unassigned first
    ("product", ["b1", "b2"]), ("status", ["b1", "b2"]), ("resolution", ["b1", "b2"]),
    ("created", ["b1", "b2"]), ("-created", ["b2", "b1"]),
    ("updated", ["b1", "b2"]), ("-updated", ["b2", "b1"]),
])
def test_every_allowed_sort(client, auth, catalog, sort, expected):
    _login(auth, "ann")
    assert listed_ids(client.get(f"/bugs?sort={sort}")) == [catalog[k] for k in expected]


@pytest.mark.parametrize("query", ["status=all", "status=all&sort=product", "status=all&sort=-component",
                                   "status=all&sort=assignee", "q=core&status=all&sort=relevance"])
def test_rows_show_the_same_names_whatever_the_sort(catalog, query):
    """Names come from subqueries, or from the join that a sort by a name needs."""
    from werkzeug.datastructures import MultiDict

    from bugzot.search import fetch_page, parse_query

    eve = db.session.scalar(sa.select(User).where(User.username == "eve"))
    rows = fetch_page(parse_query(MultiDict([p.split("=") for p in query.split("&")])), eve).rows
    assert rows
    for row in rows:
        bug = db.session.get(Bug, row.id)
        assignee = bug.assignee
        assert (row.product, row.component, row.reporter, row.reporter_name) == (
            bug.product.name, bug.component.name, bug.reporter.username, bug.reporter.real_name)
        assert (row.assignee, row.assignee_name) == (
            (assignee.username, assignee.real_name) if assignee else (None, None))


@pytest.mark.parametrize("query, message", [
    ("sort=bogus", "Cannot sort by 'bogus'"),
    ("sort=id;DROP TABLE bugs", "Cannot sort by"),
    ("sort=--id", "Cannot sort by"),
    ("sort=bugs.id", "Cannot sort by"),
    ("sort=relevance", "needs search words"),
    ("status=FOO", "Unknown status 'FOO'"),
    ("severity=huge", "Unknown severity 'huge'"),
    ("priority=P9", "Unknown priority"),
    ("resolution=MAYBE", "Unknown resolution"),
    ("limit=7", "Page size must be one of 25, 50, 100, 200"),
    ("limit=abc", "Page size"),
    ("product=Nope", "There is no product called 'Nope'"),
    ("component=Nope", "There is no component"),
    ("version=0.0.1", "There is no version"),
    ("assignee=ghost", "There is no assignee called 'ghost'"),
    ("reporter=ghost", "There is no reporter"),
    ("cc=ghost", "There is no cc"),
    ("after=notacursor", "page cursor is not valid"),
    ("after=WyJ4IiwxXQ", "page cursor is not valid"),  # ["x", 1] for a datetime sort
    ("after=WzEsMV0&before=WzEsMV0&sort=id", "either 'after' or 'before'"),
    ("q=" + "x" * 201, "too long"),
])
def test_bad_values_are_clear_400_errors(client, auth, catalog, query, message):
    _login(auth, "ann")
    page = client.get("/bugs?" + query)
    assert page.status_code == 400
    assert message.replace("'", "&#39;") in page.get_data(as_text=True)
    as_json = client.get("/bugs?" + query, headers={"Accept": "application/json"})
    assert as_json.status_code == 400 and message in as_json.get_json()["message"]
    assert "SELECT" not in page.get_data(as_text=True)


def test_filters_stay_in_links(client, auth, catalog):
    _login(auth, "ann")
    page = client.get("/bugs?product=Alpha&severity=minor&limit=25").get_data(as_text=True)
    assert 'href="?product=Alpha&amp;severity=minor&amp;sort=id&amp;limit=25"' in page
    assert "/bugs.csv?product=Alpha&amp;severity=minor&amp;limit=25" in page
    assert "/reports?product=Alpha&amp;severity=minor&amp;limit=25" in page


@pytest.fixture
def many(app):
    """130 seeded bugs (with ties in every sort column) and the seeded users."""
    from bugzot.seed.bulk import seed

    seed(130, 2, users=6, batch_size=50, password=PASSWORD, random_seed=7)
    return db.session.scalars(sa.select(User).where(User.username.like("seed%"))).all()


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
            assert f"ix_bugs_{key}_id" in plan, plan


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has no LATERAL
@pytest.mark.parametrize("query", [
    "status=all&sort=component", "sort=-component", "status=all&sort=-product",
    "status=all&sort=assignee", "sort=-assignee", "product=Atlas&sort=component",
    "product=Atlas&product=Borealis&sort=-component", "component=Core&status=all&sort=component",
    "product=Cobalt&sort=product", "assignee=seed0002&assignee=seed0003&status=all&sort=-assignee",
    "severity=normal&sort=component",  # a filter the groups cannot take: sorted as before
])
def test_name_sorts_page_exactly_like_sorting_every_bug(client, auth, app, backend, query,
                                                        monkeypatch):
    """Every page of a grouped name sort, both ways, equals the page that sorting all the
    matching bugs gives (the path SQLite and the other filters take)."""
    from bugzot.search import grouped as grouped_sorts
    from bugzot.seed.bulk import seed

    seed(700, 1, users=6, batch_size=300, password=PASSWORD, random_seed=11)  # pages for every list
    _login(auth, "seed0002")

    def walk() -> tuple[list[list[int]], list[list[int]]]:
        pages, response = [], client.get(f"/bugs?{query}&limit=25")
        pages.append(listed_ids(response))
        while (after := link(NEXT_RE, response)):
            response = client.get("/bugs?" + after)
            pages.append(listed_ids(response))
        back = [pages[-1]]
        while (before := link(PREV_RE, response)):
            response = client.get("/bugs?" + before)
            back.append(listed_ids(response))
        return pages, back[::-1]

    grouped = walk()
    monkeypatch.setattr(grouped_sorts, "groups", lambda q, dialect: None)
    assert walk() == grouped
    assert len(grouped[0]) > 1 and grouped[0] == grouped[1]


def test_count_is_capped(client, auth, many, monkeypatch):
    from bugzot.search import query as search_query

    _login(auth, "seed0001")
    assert "<strong>130</strong>" in client.get("/bugs?status=all").get_data(as_text=True)
    monkeypatch.setattr(search_query, "COUNT_CAP", 100)
    assert "<strong>More than 100</strong>" in client.get("/bugs?status=all").get_data(as_text=True)


def test_gets_never_write(client, auth, catalog):
    _login(auth, "ann")
    urls = ["/bugs", "/bugs?q=crash&status=all", "/bugs?sort=-priority&product=Alpha",
            "/bugs.csv?status=all", "/bugs.atom", "/reports", "/reports?x=assignee&y=priority",
            "/searches", "/quicksearch?quicksearch=crash", "/quicksearch?quicksearch=1",
            "/bugs?sort=bogus", "/"]
    with recorded_sql() as statements:
        for url in urls:
            assert client.get(url).status_code in (200, 302, 400), url
    assert writes(statements) == []
