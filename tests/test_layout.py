"""The site's chrome and the list's columns, in the markup: the header's menu button and
navigation, scripts and icon (no inline JS: the CSP forbids it), /favicon.ico, sortable
headers with aria-sort, and the column chooser remembered per user."""

from __future__ import annotations

import re

import pytest
from conftest import post_form
from factories import new_bug, new_product, new_user

from bugzot.extensions import db
from bugzot.models import User


@pytest.fixture(scope="module")
def bugs(module_db):
    with module_db.app_context():
        product = new_product("Layout")
        ann = new_user("ann")
        for i in range(3):
            new_bug(product, ann, summary=f"Layout bug {i}")


def test_header_has_menu_button_nav_scripts_and_icon(client, auth, bugs):
    assert auth.login("ann").status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<button type="button" class="menu-toggle" aria-expanded="false" '
                     r'aria-controls="mainnav">', page)
    assert '<nav id="mainnav"' in page and page.count("<main") == 1
    nav = page.split('<nav id="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert 'class="quicksearch"' in nav and "Log out" in nav  # both inside the menu
    for asset in ("js/nav.js", "js/timezone.js", "favicon.svg"):
        assert f"/static/{asset}?v=" in page
    assert client.get(re.search(r'src="(/static/js/nav.js\?v=\w+)"', page).group(1)).status_code == 200


def test_favicon_ico_answers_everyone(client):
    response = client.get("/favicon.ico")  # not logged in: no redirect to the login page
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml" and b"<svg" in response.data


def test_sortable_headers_say_how_the_list_is_sorted(client, auth, bugs):
    assert auth.login("ann").status_code == 302
    page = client.get("/bugs?sort=priority").get_data(as_text=True)
    assert re.search(r'<th class="c-priority" scope="col" aria-sort="ascending">', page)
    assert re.search(r'<th class="c-summary" scope="col" aria-sort="none">', page)
    page = client.get("/bugs").get_data(as_text=True)
    assert re.search(r'<th class="c-updated_at" scope="col" aria-sort="descending">', page)


def _headers(page: str) -> list[str]:
    return re.findall(r'<th class="c-(\w+)"', page)


def test_column_chooser_is_remembered_per_user(client, auth, bugs):
    assert auth.login("ann").status_code == 302
    page = client.get("/bugs").get_data(as_text=True)
    assert '<details class="column-chooser">' in page
    assert _headers(page) == ["id", "product", "component", "status", "severity", "priority",
                              "assignee", "summary", "updated_at"]
    response = post_form(client, "/bugs/columns", {
        "columns": ["reporter", "created_at", "status"], "query": "product=Layout"})
    assert response.status_code == 302 and response.headers["Location"] == "/bugs?product=Layout"
    page = client.get("/bugs?product=Layout").get_data(as_text=True)
    assert _headers(page) == ["id", "status", "reporter", "summary", "created_at"]
    assert re.search(r'<td class="c-reporter" data-label="Reporter">ann</td>', page)
    assert re.search(r'<td class="c-created_at" data-label="Reported"><time datetime=', page)
    db.session.expire_all()
    assert db.session.scalar(db.select(User.list_columns).where(User.username == "ann")) \
        == "id,status,reporter,summary,created_at"
    # another user keeps the default; "Default columns" brings it back
    new_user("bob")
    auth.logout()
    assert auth.login("bob").status_code == 302
    assert "c-product" in client.get("/bugs").get_data(as_text=True)
    auth.logout()
    assert auth.login("ann").status_code == 302
    post_form(client, "/bugs/columns", {"action": "reset", "query": ""})
    assert "c-product" in client.get("/bugs").get_data(as_text=True)


def test_column_chooser_refuses_unknown_columns_and_visitors(app, client, auth, bugs):
    assert auth.login("ann").status_code == 302
    response = post_form(client, "/bugs/columns", {"columns": ["salary"]})
    assert response.status_code == 400
    assert "There is no list column &#39;salary&#39;" in response.get_data(as_text=True)
    auth.logout()
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    page = client.get("/bugs").get_data(as_text=True)
    assert "column-chooser" not in page and "c-product" in page
    assert post_form(client, "/bugs/columns", {"columns": ["id"]}).status_code == 302  # to login


def test_a_message_reported_twice_is_shown_once(app):
    from flask import render_template_string

    from bugzot.forms.accounts import LoginForm

    with app.test_request_context("/login", method="POST", data={"login": "", "password": ""}):
        form = LoginForm()
        form.validate()
        form.login.errors = list(form.login.errors) * 2
        form.form_errors.extend(["The directory is down.", "The directory is down."])
        html = render_template_string(
            '{% from "_macros.html" import field, form_errors %}'
            "{{ form_errors(form) }}{{ field(form.login) }}", form=form)
    assert html.count("The directory is down.") == 1
    assert html.count(form.login.errors[0]) == 1
