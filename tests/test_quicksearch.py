"""The header's quick search: bug numbers, words and field:value terms
(``bugzot.search.quick``), and the /quicksearch view that turns them into a bug list."""

from __future__ import annotations

import pytest
from factories import edit, new_bug, new_product, new_user

from bugzot.search import SearchError
from bugzot.search.quick import bug_number, parse_quick
from tests.search_support import listed_ids


@pytest.mark.parametrize("text, number", [
    ("42", 42), ("#42", 42), ("bug 42", 42), (" Bug #7 ", 7), ("42 crash", None), ("x42", None),
    ("", None),
])
def test_bug_number(text, number):
    assert bug_number(text) == number


@pytest.mark.parametrize("text, params", [
    ("crash on save", [("status", "all"), ("q", "crash on save")]),
    ("product:Portal", [("product", "Portal")]),
    ('product:"Web Portal" crash', [("product", "Web Portal"), ("status", "all"), ("q", "crash")]),
    ("component:Login is:open", [("component", "Login"), ("status", "open")]),
    ("assignee:me", [("assignee", "ann")]),
    ("assignee:bob reporter:me", [("assignee", "bob"), ("reporter", "ann")]),
    ("assignee:nobody", [("assignee", "nobody")]),
    ("status:new,Assigned", [("status", "NEW"), ("status", "ASSIGNED")]),
    ("is:closed crash", [("status", "closed"), ("q", "crash")]),
    ("IS:ALL", [("status", "all")]),
    ("severity:Critical priority:p1", [("severity", "critical"), ("priority", "P1")]),
    ("cc:me changed:7d", [("cc", "ann"), ("changed", "7d")]),
])
def test_terms_become_list_parameters(text, params):
    assert parse_quick(text, "ann").params() == params


@pytest.mark.parametrize("text, message", [
    ("colour:red", "Unknown search term 'colour:'"),
    ("product:", "Give a value after 'product:'"),
    ("is:maybe", "Use is:open, is:closed or is:all"),
    ("status:SLEEPING", "Unknown status 'SLEEPING'"),
    ("changed:soon", "changed=7d"),
    ("x" * 201, "too long"),
])
def test_bad_terms_say_what_is_wrong(text, message):
    with pytest.raises(SearchError) as info:
        parse_quick(text, "ann")
    assert message in info.value.message


def test_me_needs_a_login():
    with pytest.raises(SearchError, match="Log in"):
        parse_quick("assignee:me", None)
    assert parse_quick("product:Portal", None).params() == [("product", "Portal")]


@pytest.fixture(scope="module")
def bugs(module_db):
    with module_db.app_context():
        portal = new_product("Web Portal", components=("Login", "Search"))
        tools = new_product("Tools")
        ann, bob = new_user("ann"), new_user("bob")
        eve = new_user("eve", role="Employee")
        b1 = new_bug(portal, ann, summary="Login crash", component="Login")
        edit(eve, b1, {"assigned_to": ann})
        b2 = new_bug(portal, bob, summary="Search is slow", component="Search")
        b3 = new_bug(tools, ann, summary="Tools crash on start", status="RESOLVED")
        b4 = new_bug(tools, bob, summary="Crash when printing")
        edit(eve, b4, {"assigned_to": bob})
        return {"b1": b1.id, "b2": b2.id, "b3": b3.id, "b4": b4.id}


def _search(client, text):
    response = client.get("/quicksearch", query_string={"q": text})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


@pytest.mark.parametrize("text, expected", [
    ("assignee:me", {"b1"}),
    ("reporter:me", {"b1"}),                 # open ones only, without is: or status:
    ("reporter:me is:all", {"b1", "b3"}),
    ("reporter:me is:closed", {"b3"}),
    ("crash", {"b1", "b3", "b4"}),           # words: every bug
    ("crash is:open", {"b1", "b4"}),
    ('product:"Web Portal"', {"b1", "b2"}),
    ("component:Search", {"b2"}),
    ("crash product:Tools", {"b3", "b4"}),
    ("assignee:bob", {"b4"}),
    ("status:RESOLVED", {"b3"}),
    ("status:NEW,RESOLVED product:Tools", {"b3", "b4"}),
])
def test_quick_search_finds_the_bugs_the_terms_describe(client, auth, bugs, text, expected):
    assert auth.login("ann").status_code == 302
    location = _search(client, text)
    assert location.startswith("/bugs?")
    assert set(listed_ids(client.get(location))) == {bugs[k] for k in expected}


def test_a_number_still_opens_the_bug(client, auth, bugs):
    assert auth.login("ann").status_code == 302
    assert _search(client, str(bugs["b2"])) == f"/bugs/{bugs['b2']}"
    # the old parameter name keeps working (bookmarks, browser search engines)
    response = client.get("/quicksearch", query_string={"quicksearch": str(bugs["b2"])})
    assert response.headers["Location"] == f"/bugs/{bugs['b2']}"


@pytest.mark.parametrize("text, message", [
    ("colour:red", "Unknown search term &#39;colour:&#39;"),
    ("is:maybe", "Use is:open, is:closed or is:all"),
])
def test_unknown_terms_are_a_clear_400(client, auth, bugs, text, message):
    assert auth.login("ann").status_code == 302
    response = client.get("/quicksearch", query_string={"q": text})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_unknown_names_are_a_clear_400_on_the_list(client, auth, bugs):
    assert auth.login("ann").status_code == 302
    response = client.get(_search(client, "product:Nope"))
    assert response.status_code == 400
    assert "There is no product called &#39;Nope&#39;" in response.get_data(as_text=True)


def test_the_header_has_the_box_and_its_help(client, auth, bugs):
    assert auth.login("ann").status_code == 302
    page = client.get("/bugs").get_data(as_text=True)
    assert '<form class="quicksearch"' in page and 'id="quicksearch" name="q"' in page
    assert 'class="search-help' in page and 'popovertarget="search-help"' in page
    assert "assignee:me" in page and "is:open / is:closed" in page
