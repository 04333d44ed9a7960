"""List statements are built once per shape and run with each request's values
(``search.statements``): a list or search answered from a statement another viewer's
request built is the list a fresh statement gives, for every kind of viewer, filter,
sort, cursor and text search; the pages render the same; nothing else is kept."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from factories import edit, new_bug, new_product, new_user, users_named
from flask import g
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from bugzot.extensions import db
from bugzot.models import Bug, User
from bugzot.search import query, statements
from bugzot.search.params import parse_query
from tests.conftest import PASSWORD
from tests.search_support import page_cache_off

VIEWERS = ["anonymous", "rita", "otto", "emma", "adam"]  # reporters rita and otto, Employee, Admin
QUERIES = [
    {}, {"status": "all"}, {"status": "all", "sort": "priority"}, {"status": "all", "sort": "-id"},
    {"product": "Alpha"}, {"product": "Beta", "status": "all"}, {"assignee": "nobody"},
    {"assignee": ["nobody", "emma"], "status": "all"}, {"severity": ["major", "critical"]},
    {"cc": "rita", "status": "all"}, {"involves": "otto", "status": "all"},
    {"changed": "7d"}, {"reporter": "rita", "status": "all"}, {"sort": "assignee"},
    {"q": "quuxolotl", "status": "all"}, {"q": "secretword", "status": "all"},
    {"q": "quuxolotl", "sort": "-id", "status": "all"}, {"q": "quuxolotl", "product": "Alpha"},
    {"status": "all", "limit": "25"}, {"q": "broken", "status": "all", "limit": "25"},
]


@pytest.fixture(scope="module")
def world(module_db):
    with module_db.app_context():
        alpha = new_product("Alpha", components=("Core", "UI"))
        beta = new_product("Beta")
        rita, otto = new_user("rita"), new_user("otto")
        emma = new_user("emma", role="Employee")
        new_user("adam", role="Admin")
        severities = ["normal", "major", "critical", "minor"]
        for i in range(34):
            reporter = rita if i % 3 == 0 else otto
            bug = new_bug(alpha if i % 2 else beta, reporter, summary=f"Broken thing {i}",
                          description="quuxolotl here" if i % 4 == 0 else "something broken",
                          severity=severities[i % 4])
            if i % 5 == 0:
                edit(emma, bug, {"assigned_to": emma, "priority": "P1"})
            if i % 7 == 0:
                edit(emma, bug, {"is_private": True}, comment="secretword inside", private=True)
            if i % 6 == 0:
                edit(emma, bug, cc_add=users_named("rita"))
            if i % 9 == 0:
                edit(emma, bug, {"bug_status": "RESOLVED", "resolution": "FIXED"}, comment="Done.")
        db.session.flush()
        return {"private": db.session.scalars(sa.select(Bug.id).where(Bug.is_private)).all()}


def _user(name):
    return None if name == "anonymous" else db.session.scalar(
        sa.select(User).where(User.username == name))


def _fetch(app, name, args):
    """The page of ``args`` for ``name``, as comparable values (rows, count, cursors)."""
    with app.test_request_context("/bugs"):
        g.pop("_login_user", None)  # (g outlives the request here: the test's app context)
        if name != "anonymous":
            g._login_user = _user(name)
        page = query.fetch_page(parse_query(MultiDict(args)), current_user._get_current_object())
        return ([tuple(r._mapping.items()) for r in page.rows], page.total, page.total_capped,
                page.next_cursor, page.prev_cursor)


def _cache(app) -> statements.Statements:
    with app.app_context():
        return statements.for_app()


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_kept_statement_answers_what_a_fresh_one_does(app, world, viewer):
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    cache = _cache(app)
    others = [v for v in VIEWERS if v != viewer]
    for args in QUERIES:
        cache.clear()
        fresh = _fetch(app, viewer, args)
        for other in others:  # the statement of the shape built by someone else's request
            cache.clear()
            _fetch(app, other, args)
            assert _fetch(app, viewer, args) == fresh, (args, other)
        cursor = fresh[3]
        if cursor:  # the next page and back, past a cursor
            for direction in ("after", "before"):
                paged = {**args, direction: cursor}
                cache.clear()
                expected = _fetch(app, viewer, paged)
                cache.clear()
                _fetch(app, others[0], {**args, direction: _fetch(app, others[0], args)[3]
                                        or cursor})
                assert _fetch(app, viewer, paged) == expected, (paged, others[0])
    assert len(cache) > 0


def test_reporters_see_their_own_private_bugs_only_whoever_built_the_statement(app, world):
    cache = _cache(app)
    cache.clear()
    ids = {}
    for name in ("rita", "otto", "rita"):
        rows = _fetch(app, name, {"status": "all", "limit": "200"})[0]
        ids[name] = {dict(r)["id"] for r in rows}
    assert len(cache) == 1  # one shape: rita's statement served otto and rita again
    private = set(world["private"])
    rita = {b for b in private if db.session.get(Bug, b).reporter.username == "rita"}
    assert ids["rita"] & private == rita and ids["otto"] & private == private - rita


@pytest.mark.parametrize("viewer", VIEWERS)
def test_list_and_search_pages_render_the_same(app, client, auth, world, viewer):
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    if viewer != "anonymous":
        assert auth.login(viewer, PASSWORD).status_code == 302
    other = app.test_client()  # a viewer of the same kind (the same statements)
    partner = {"rita": "otto", "otto": "rita", "emma": "adam", "adam": "emma"}.get(viewer)
    if partner:
        assert post_login(other, partner)
    client.get("/"), other.get("/")  # (the flash of the login)
    cache = _cache(app)
    for url in ("/bugs", "/bugs?status=all&sort=priority", "/bugs?q=quuxolotl&status=all",
                "/bugs?product=Alpha&severity=major"):
        with page_cache_off(app):  # (the statements, not a kept page, are under test)
            cache.clear()
            cold = _page(client, url)
            cache.clear()
            assert other.get(url).status_code == 200
            built = len(cache)
            assert _page(client, url) == cold, url
            assert len(cache) == built > 0  # every statement came from the other request


def _page(client, url: str) -> str:
    """The page without its CSRF tokens (signed with the time, they change each second)."""
    response = client.get(url)
    assert response.status_code == 200
    return re.sub(r'(csrf-token" content|name="csrf_token" value)="[^"]+"', r"\1=",
                  response.get_data(as_text=True))


def post_login(client, name) -> bool:
    from tests.conftest import csrf_token

    return client.post("/login", data={"login": name, "password": PASSWORD,
                                       "csrf_token": csrf_token(client)}).status_code == 302


def test_statements_with_other_values_are_not_kept_and_the_cache_is_bounded(app):
    kept = statements.Statements(size=2)
    stmt = sa.select(Bug.id).where(Bug.id == sa.bindparam("bug", 3)).limit(5)
    assert statements.reusable(stmt, {"bug": 3})
    assert not statements.reusable(sa.select(Bug.id).where(Bug.id == 3), {})
    assert kept.get("a", lambda: sa.select(Bug.id).where(Bug.id == 3), {}) is not None
    assert len(kept) == 0
    for key in ("a", "b", "c"):
        kept.get(key, lambda: stmt, {"bug": 1})
    assert len(kept) == 2
    built = []
    kept.get("a", lambda: built.append(1) or stmt, {"bug": 1})
    assert built == [1]  # "a", the least recently used, was dropped
