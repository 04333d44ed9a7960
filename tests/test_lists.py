"""The bug list /bugs: filters, aliases, the sort allow-list, clear errors,
keyset pagination, capped counts, and GETs that never write."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from factories import edit, new_bug, new_product, new_user

from bugzot.extensions import db
from bugzot.models import Bug, User
from tests.search_support import listed_ids, recorded_sql, writes


@pytest.fixture(scope="module")
def catalog(module_db):
    """Two products, four users and four bugs with different field values; built once per
    module (and backend) in the module's transaction, which every test rolls back to."""
    with module_db.app_context():
        alpha = new_product("Alpha", components=("Core", "UI"), versions=("1.0", "2.0"))
        beta = new_product("Beta", components=("Core", "Docs"), versions=("9.0",))
        ann, bob = new_user("ann"), new_user("bob")
        eve = new_user("eve", role="Employee")
        zed = new_user("zed", role="Employee")
        b1 = new_bug(alpha, ann, summary="Crash in core", component="Core", version="1.0",
                     severity="critical", priority="P1")
        edit(eve, b1, {"assigned_to": zed})
        b2 = new_bug(alpha, bob, summary="Button misaligned", component="UI", version="2.0",
                     severity="minor", priority="P3")
        edit(eve, b2, cc_add=[ann])
        b3 = new_bug(beta, ann, summary="Docs typo", component="Docs", severity="trivial",
                     priority="P2", status="RESOLVED", resolution="WONTFIX")
        b4 = new_bug(beta, eve, summary="Secret core leak", component="Core", severity="major",
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
def test_rows_show_the_same_names_whatever_the_sort(app, catalog, query):
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
