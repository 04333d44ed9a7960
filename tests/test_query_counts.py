"""No N+1: the number of SQL queries of the bug page and of a 50-row list does
not grow with the number of rows, comments or CC entries."""

from __future__ import annotations

import re

import pytest
from conftest import edit, users_named

from bugzot.seed.bulk import seed
from tests.conftest import PASSWORD
from tests.search_support import comment, listed_ids, page_cache_off, recorded_sql


def _untokened(html: str) -> str:
    """``html`` without its CSRF tokens (signed with the second they were made in)."""
    return re.sub(r'(csrf[-_]token"[^>]*?(?:value|content)=")[^"]+', r"\1", html)


def _queries(client, url: str) -> int:
    with recorded_sql() as statements:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return len(statements)


@pytest.mark.parametrize("url", ["/bugs", "/bugs?status=all&sort=-priority&limit=50",
                                 "/bugs?q=crash+menu&status=all", "/bugs?product=Atlas&status=all",
                                 "/bugs.csv?status=all&limit=50", "/bugs.atom",
                                 "/reports?x=assignee&y=status"])
def test_list_queries_do_not_grow_with_rows(client, auth, app, url):
    with page_cache_off(app):  # pages built from their data (a kept one runs 3 statements)
        _list_queries(client, auth, url)


def _list_queries(client, auth, url: str) -> None:
    seed(5, 2, users=4, password=PASSWORD, random_seed=3)
    auth.login("seed0001")
    small = _queries(client, url)
    seed(150, 3, users=12, password=PASSWORD, random_seed=4)
    big_page = client.get(url)
    if url.startswith("/bugs?"):
        assert len(listed_ids(big_page)) > 5  # the page really shows more rows now
    if "q=" in url:
        # Relevance: the best matches are ranked first and joined; only when filters
        # leave too few of them is everything ranked (one more statement, never more).
        assert _queries(client, url) <= small
    else:
        assert _queries(client, url) == small


def test_bug_page_queries_do_not_grow_with_comments(client, auth, make_user, make_bug, app):

    reporter = make_user("rita")
    employee = make_user("emma", role="Employee")
    for name in ("cc1", "cc2", "cc3", "cc4"):
        make_user(name)
    bug = make_bug(reporter=reporter, summary="Counting queries")
    comment(bug, employee, "first reply")
    edit(employee, bug, cc_add=users_named("cc1"))
    auth.login("emma")
    url = f"/bugs/{bug.id}"
    with page_cache_off(app):
        few = _queries(client, url)
    for i in range(15):
        comment(bug, employee if i % 2 else reporter, f"reply {i}", private=i % 4 == 1)
    edit(employee, bug, cc_add=users_named("cc2, cc3, cc4"))
    page = client.get(url).get_data(as_text=True)
    assert "reply 14" in page and "cc4" in page
    with page_cache_off(app):
        assert _queries(client, url) == few
    # The budget: the user with their grants, the bug with its catalogue names, its
    # people, comments with authors, dependencies, CC, product names with the product's
    # catalogue, attachments, history, duplicates with linked bugs, saved searches.
    assert few <= 11
    # Seen before (the whole page kept under the session's login): the freshness token,
    # nothing else; the user is not loaded. (On PostgreSQL a commit anywhere in the
    # cluster, another test worker's, moves the token: then the page is built again.)
    for _ in range(20):
        with recorded_sql() as statements:
            kept = client.get(url).get_data(as_text=True)
        assert _untokened(kept) == _untokened(page)
        if len(statements) == 1:
            break
    assert len(statements) == 1, statements
