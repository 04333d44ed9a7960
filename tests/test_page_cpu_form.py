"""The bug page's edit form on GET is plain HTML (views/bug_form.py), not WTForms
widgets: the page it writes is the page the WTForms form writes, for every kind of
viewer, and what it shows is what ``BugEditForm`` validates when it is posted back."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from factories import edit, new_bug, new_product, new_user, users_named
from flask import g
from flask_login import current_user

from bugzot.extensions import db
from bugzot.fields import form_values
from bugzot.forms.bugs import BugEditForm
from bugzot.services.read import bug_page
from bugzot.views import bug_form
from bugzot.views import bugs as views
from tests.conftest import PASSWORD, post_form

VIEWERS = ["anonymous", "reporter", "private_reporter", "employee", "admin"]


@pytest.fixture(scope="module")
def world(module_db):
    with module_db.app_context():
        product = new_product("Forms & <Co>", components=("General", 'Parts & "Pieces" <x>'),
                              versions=("1.0", "2.0 'beta'"), milestones=("M1 & more", "M2"))
        new_product("Other", components=("Misc",))
        rita, otto = new_user("rita"), new_user("otto")
        emma, adam = new_user("emma", role="Employee"), new_user("adam", role="Admin")
        new_user("carl")
        other = new_bug(product, otto, summary="Blocker of the main one")
        bug = new_bug(product, rita, summary='Main <bug> & "quotes"',
                      component='Parts & "Pieces" <x>', version="2.0 'beta'")
        edit(emma, bug, {"target_milestone": "M1 & more", "assigned_to": emma,
                         "qa_contact": adam, "priority": "P1", "dependson": frozenset({other.id}),
                         "bug_status": "ASSIGNED"},
             comment="See bug 1 and comment 0, **bold**", cc_add=users_named("carl, otto"))
        edit(emma, bug, comment="internal", private=True)
        secret = new_bug(product, rita, summary="Rita's private one")
        edit(emma, secret, {"is_private": True})
        db.session.flush()
        return {"bug": bug.id, "secret": secret.id, "users": {
            "reporter": "otto", "private_reporter": "rita", "employee": "emma",
            "admin": "adam"}}


def _user(world, viewer):
    from bugzot.services.read.users import users_by_username

    name = world["users"].get(viewer)
    return users_by_username([name])[name] if name else None


def login(user) -> None:
    """Make ``user`` the request's user (what Flask-Login's loader would set)."""
    g._login_user = user


def _both(app, user, bug_id: int) -> tuple[str, str]:
    """The bug page as the GET writes it (plain form) and as the WTForms form writes it,
    in one request (one CSRF token)."""
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    with app.test_request_context(f"/bugs/{bug_id}"):
        g.pop("_login_user", None)  # (g outlives the request here: the test's app context)
        if user is not None:
            login(user)
        page = bug_page.bug_page(current_user, bug_id)
        plain, status = views.render_bug(page)
        assert status == 200
        wtf, _ = views.render_bug(page, views._edit_form(page, form_values(page.values)))
        return plain, wtf


@pytest.mark.parametrize("viewer", VIEWERS)
def test_plain_form_page_is_the_wtforms_page(app, world, viewer):
    user = _user(world, viewer)
    bugs = [world["bug"]] + ([world["secret"]] if viewer in ("private_reporter", "employee",
                                                              "admin") else [])
    for bug_id in bugs:
        plain, wtf = _both(app, user, bug_id)
        assert plain == wtf
        assert ('id="edit-form"' in plain) == (user is not None)


def test_get_writes_no_wtforms_widget(app, world, monkeypatch):
    """The GET's controls do not come from WTForms' widgets (they would raise here)."""
    import wtforms.widgets.core as widgets

    def refuse(self, field, **kwargs):
        raise AssertionError(f"WTForms rendered {field.name}")

    for widget in (widgets.Input, widgets.Select, widgets.TextArea):
        monkeypatch.setattr(widget, "__call__", refuse)
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    with app.test_request_context(f"/bugs/{world['bug']}"):
        login(_user(world, "employee"))
        html, _ = views.render_bug(bug_page.bug_page(current_user, world["bug"]))
    assert '<select id="bug_status" name="bug_status">' in html
    with app.test_request_context(f"/bugs/{world['bug']}"), pytest.raises(AssertionError):
        login(_user(world, "employee"))
        page = bug_page.bug_page(current_user, world["bug"])
        views.render_bug(page, views._edit_form(page, form_values(page.values)))


class _EditForm(HTMLParser):
    """What a browser would post from form#edit-form, and each select's options."""

    def __init__(self):
        super().__init__()
        self.inside, self.select, self.posted, self.options = False, None, [], {}
        self.names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == "edit-form"
        if not self.inside:
            return
        if tag in ("input", "select", "textarea") and "name" in a:
            self.names.add(a["name"])
        if tag == "input" and a.get("type") == "checkbox":
            if "checked" in a:
                self.posted.append((a["name"], a["value"]))
        elif tag == "input":
            self.posted.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select = a["name"]
            self.options[self.select] = []
        elif tag == "option":
            self.options[self.select].append(a["value"])
            if "selected" in a:
                self.posted.append((self.select, a["value"]))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


@pytest.mark.parametrize("viewer", ["reporter", "private_reporter", "employee", "admin"])
def test_get_markup_is_what_bug_edit_form_validates(app, client, auth, world, viewer):
    """Every control of the GET's form is a field of BugEditForm, each select offers the
    choices the WTForms form has for this page, and posting the page back unchanged
    validates and saves nothing ("Nothing was changed.")."""
    user = _user(world, viewer)
    bug_id = world["secret"] if viewer == "private_reporter" else world["bug"]
    assert auth.login(user.username, PASSWORD).status_code == 302
    html = client.get(f"/bugs/{bug_id}").get_data(as_text=True)
    parsed = _EditForm()
    parsed.feed(html)
    fields = {name for name, value in vars(BugEditForm).items() if getattr(value, "_formfield", 0)}
    assert parsed.names and parsed.names <= fields | {"csrf_token", "form"}
    assert set(bug_form.SPECS) == fields
    with app.test_request_context(f"/bugs/{bug_id}"):
        login(user)
        page = bug_page.bug_page(current_user, bug_id)
        form = views._edit_form(page, form_values(page.values))
        for name, options in parsed.options.items():
            expected = [c.value if hasattr(c, "value") else c for c in form[name].choices]
            assert options == expected, name
            if name != "removecc":
                assert dict(parsed.posted)[name] == form[name].data, name
    data: dict[str, list[str]] = {}
    for name, value in parsed.posted:
        data.setdefault(name, []).append(value)
    if viewer == "employee":
        assert "removecc" in parsed.options and "bug_status" in data
    response = post_form(client, f"/bugs/{bug_id}", data)
    assert response.status_code == 400
    assert "Nothing was changed." in response.get_data(as_text=True)
