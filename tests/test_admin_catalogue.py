"""Admin pages of the catalogue: creating and editing classifications, products,
components, versions and milestones, and a clear form error for every bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import Classification, Component, Milestone, Product, Version
from bugzot.permissions import SYSTEM
from bugzot.services import catalogue
from tests.conftest import post_form


@pytest.fixture
def admin(login_as):
    return login_as("Admin")


@pytest.fixture
def widget(app):
    """Product "Widget" (classification "Tools") with component General, version 1.0,
    milestone M1; and product "Gadget" in the same classification."""
    tools = catalogue.save_classification(SYSTEM, None, name="Tools")
    widget = catalogue.save_product(SYSTEM, None, name="Widget", classification_id=tools.id)
    catalogue.save_component(SYSTEM, widget, None, name="General")
    catalogue.save_version(SYSTEM, widget, None, value="1.0")
    catalogue.save_milestone(SYSTEM, widget, None, value="M1")
    catalogue.save_product(SYSTEM, None, name="Gadget", classification_id=tools.id)
    return widget


def count(model, **where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def page_text(response) -> str:
    return response.get_data(as_text=True)


# -- the happy path ----------------------------------------------------------------
def test_admin_builds_a_product_through_the_pages(client, admin, make_user):
    make_user("dev", role="Employee")
    make_user("qa", role="Supervisor")
    r = post_form(client, "/admin/classifications/new",
                  {"name": "Client Software", "description": "Apps", "sortkey": "2", "is_active": "y"})
    assert r.status_code == 302
    cls = db.session.scalar(select(Classification).where(Classification.name == "Client Software"))
    assert (cls.description, cls.sortkey, cls.is_active) == ("Apps", 2, True)

    r = post_form(client, "/admin/products/new",
                  {"name": "Desktop", "description": "The app", "classification_id": cls.id,
                   "is_active": "y", "allows_unconfirmed": "y"})
    product = db.session.scalar(select(Product).where(Product.name == "Desktop"))
    assert r.status_code == 302 and r.headers["Location"] == f"/admin/products/{product.id}"
    assert product.allows_unconfirmed and product.classification_id == cls.id

    r = post_form(client, f"/admin/products/{product.id}/components/new",
                  {"name": "Installer", "description": "Setup", "default_assignee": "DEV",
                   "default_qa_contact": "qa", "is_active": "y"})
    assert r.status_code == 302
    comp = db.session.scalar(select(Component).where(Component.name == "Installer"))
    assert comp.default_assignee.username == "dev" and comp.default_qa_contact.username == "qa"
    assert post_form(client, f"/admin/products/{product.id}/versions/new",
                     {"value": "1.0", "is_active": "y"}).status_code == 302
    assert post_form(client, f"/admin/products/{product.id}/milestones/new",
                     {"value": "2.0", "sortkey": "10", "is_active": "y"}).status_code == 302

    page = page_text(client.get(f"/admin/products/{product.id}"))
    for text in ("Installer", "dev", "qa", "1.0", "2.0", "Save product"):
        assert text in page
    public = page_text(client.get("/products/Desktop"))
    assert "Installer" in public and "2.0" in public


def test_edit_forms_show_current_values(client, admin, widget, make_user):
    dev = make_user("dev", role="Employee")
    comp = widget.components[0]
    catalogue.save_component(SYSTEM, widget, comp, name="General", default_assignee=dev)
    page = page_text(client.get(f"/admin/products/{widget.id}/components/{comp.id}"))
    assert 'value="General"' in page and 'value="dev"' in page
    page = page_text(client.get(f"/admin/classifications/{widget.classification_id}"))
    assert 'value="Tools"' in page


def test_deactivated_items_are_greyed_in_lists(client, admin, widget):
    tools_id, version = widget.classification_id, widget.versions[0]
    post_form(client, f"/admin/products/{widget.id}",
              {"name": "Widget", "classification_id": tools_id})  # is_active unticked
    post_form(client, f"/admin/products/{widget.id}/versions/{version.id}", {"value": "1.0"})
    post_form(client, f"/admin/classifications/{tools_id}", {"name": "Tools", "sortkey": "0"})
    db.session.expire_all()
    assert not widget.is_active and not version.is_active
    products = page_text(client.get("/admin/products"))
    assert '<tr class="inactive">' in products and '<tr class="">' in products  # Gadget is active
    assert "inactive" in page_text(client.get("/admin/classifications"))
    product_page = page_text(client.get(f"/admin/products/{widget.id}"))
    assert product_page.count('<tr class="inactive">') == 1  # the version
    assert "Widget" not in page_text(client.get("/"))  # inactive products leave the home page


def test_component_of_another_product_is_404(client, admin, widget):
    gadget = db.session.scalar(select(Product).where(Product.name == "Gadget"))
    comp = widget.components[0]
    assert client.get(f"/admin/products/{gadget.id}/components/{comp.id}").status_code == 404
    assert client.get(f"/admin/products/{widget.id}/versions/9999").status_code == 404
    assert client.get("/admin/products/9999").status_code == 404


# -- duplicates ----------------------------------------------------------------------
DUPLICATES = {
    # kind: (url builder, form data with a clashing name, model, where-clause of the clash)
    "classification": (lambda w: "/admin/classifications/new", {"name": "tools", "sortkey": "0"},
                       Classification, {}),
    "product": (lambda w: "/admin/products/new", {"name": "WIDGET"}, Product, {}),
    "component": (lambda w: f"/admin/products/{w.id}/components/new", {"name": "general"},
                  Component, {}),
    "version": (lambda w: f"/admin/products/{w.id}/versions/new", {"value": "1.0"}, Version, {}),
    "milestone": (lambda w: f"/admin/products/{w.id}/milestones/new", {"value": "m1", "sortkey": "0"},
                  Milestone, {}),
}


@pytest.mark.parametrize("kind", list(DUPLICATES))
def test_duplicate_name_is_a_form_error(client, admin, widget, kind):
    url, data, model, _ = DUPLICATES[kind]
    data = dict(data, classification_id=widget.classification_id)
    before = count(model)
    r = post_form(client, url(widget), data)
    assert r.status_code == 200
    assert "already" in page_text(r) and 'role="alert"' in page_text(r)
    assert count(model) == before


@pytest.mark.parametrize("kind", list(DUPLICATES))
def test_duplicate_on_rename_is_a_form_error(client, admin, widget, kind):
    """Renaming onto another row's name is refused too (not only creating)."""
    gadget = db.session.scalar(select(Product).where(Product.name == "Gadget"))
    other = {
        "classification": lambda: (f"/admin/classifications/"
                                   f"{catalogue.save_classification(SYSTEM, None, name='Other').id}",
                                   {"name": "TOOLS", "sortkey": "0"}),
        "product": lambda: (f"/admin/products/{gadget.id}",
                            {"name": "widget", "classification_id": gadget.classification_id}),
        "component": lambda: (f"/admin/products/{widget.id}/components/"
                              f"{catalogue.save_component(SYSTEM, widget, None, name='Other').id}",
                              {"name": "General"}),
        "version": lambda: (f"/admin/products/{widget.id}/versions/"
                            f"{catalogue.save_version(SYSTEM, widget, None, value='2.0').id}",
                            {"value": "1.0"}),
        "milestone": lambda: (f"/admin/products/{widget.id}/milestones/"
                              f"{catalogue.save_milestone(SYSTEM, widget, None, value='M2').id}",
                              {"value": "M1", "sortkey": "0"}),
    }[kind]
    url, data = other()
    r = post_form(client, url, data)
    assert r.status_code == 200 and "already" in page_text(r)


@pytest.mark.parametrize("kind,url,data", [
    ("component", "components/new", {"name": "General"}),
    ("version", "versions/new", {"value": "1.0"}),
    ("milestone", "milestones/new", {"value": "M1"}),
])
def test_same_name_in_another_product_is_fine(client, admin, widget, kind, url, data):
    gadget = db.session.scalar(select(Product).where(Product.name == "Gadget"))
    r = post_form(client, f"/admin/products/{gadget.id}/{url}", dict(data, is_active="y"))
    assert r.status_code == 302, page_text(r)


def test_saving_unchanged_name_is_not_a_duplicate(client, admin, widget):
    r = post_form(client, f"/admin/products/{widget.id}",
                  {"name": "Widget", "classification_id": widget.classification_id,
                   "description": "new text", "is_active": "y"})
    assert r.status_code == 302
    db.session.expire_all()
    assert widget.description == "new text"


# -- races: the database constraint still answers with a form error -------------------------
@pytest.mark.parametrize("kind", list(DUPLICATES))
def test_integrity_error_race_becomes_form_error(client, admin, widget, kind, monkeypatch):
    """Simulate a concurrent insert between the check and the write: the pre-check
    sees nothing, the unique constraint fires, and the user gets the same form error."""
    monkeypatch.setattr(catalogue, "_taken", lambda *args, **kwargs: False)
    url, data, model, _ = DUPLICATES[kind]
    # The DB constraint is case-sensitive, so race with the exact stored spelling.
    exact = {"classification": "Tools", "product": "Widget", "component": "General",
             "version": "1.0", "milestone": "M1"}[kind]
    key = "value" if "value" in data else "name"
    data = dict(data, **{key: exact}, classification_id=widget.classification_id)
    before = count(model)
    r = post_form(client, url(widget), data)
    assert r.status_code == 200, page_text(r)
    assert "already" in page_text(r)
    assert count(model) == before
    # the session is usable afterwards
    assert client.get("/admin/products").status_code == 200


# -- missing and too-long values -----------------------------------------------------------
FORMS = {
    "classification": (lambda w: "/admin/classifications/new", "name", {"sortkey": "0"}, Classification),
    "product": (lambda w: "/admin/products/new", "name", {}, Product),
    "component": (lambda w: f"/admin/products/{w.id}/components/new", "name", {}, Component),
    "version": (lambda w: f"/admin/products/{w.id}/versions/new", "value", {}, Version),
    "milestone": (lambda w: f"/admin/products/{w.id}/milestones/new", "value", {"sortkey": "0"},
                  Milestone),
}


@pytest.mark.parametrize("value", ["", "   "])
@pytest.mark.parametrize("kind", list(FORMS))
def test_missing_name_is_a_form_error(client, admin, widget, kind, value):
    url, field, extra, model = FORMS[kind]
    before = count(model)
    r = post_form(client, url(widget), dict(extra, **{field: value},
                                            classification_id=widget.classification_id))
    assert r.status_code == 200
    assert "This field is required." in page_text(r)
    assert count(model) == before


@pytest.mark.parametrize("kind", list(FORMS))
def test_too_long_name_is_a_form_error(client, admin, widget, kind):
    url, field, extra, model = FORMS[kind]
    before = count(model)
    r = post_form(client, url(widget), dict(extra, **{field: "x" * 65},
                                            classification_id=widget.classification_id))
    assert r.status_code == 200
    assert "64 characters" in page_text(r)
    assert count(model) == before
    ok = post_form(client, url(widget), dict(extra, **{field: "y" * 64},
                                             classification_id=widget.classification_id))
    assert ok.status_code == 302, page_text(ok)


def test_product_needs_a_valid_classification(client, admin, widget):
    for data in ({"name": "NoClass"}, {"name": "NoClass", "classification_id": "9999"},
                 {"name": "NoClass", "classification_id": "abc"}):
        r = post_form(client, "/admin/products/new", data)
        assert r.status_code == 200 and 'role="alert"' in page_text(r)
    assert count(Product, name="NoClass") == 0


def test_product_name_with_slash_is_refused(client, admin, widget):
    r = post_form(client, "/admin/products/new",
                  {"name": "A/B", "classification_id": widget.classification_id})
    assert r.status_code == 200 and "cannot contain" in page_text(r)


def test_new_product_without_classifications_goes_to_classification_form(client, admin):
    r = client.get("/admin/products/new")
    assert r.status_code == 302 and r.headers["Location"] == "/admin/classifications/new"


@pytest.mark.parametrize("sortkey", ["abc", "99999999"])
def test_bad_sortkey_is_a_form_error(client, admin, widget, sortkey):
    r = post_form(client, f"/admin/products/{widget.id}/milestones/new", {"value": "M9", "sortkey": sortkey})
    assert r.status_code == 200 and 'role="alert"' in page_text(r)
    assert count(Milestone, value="M9") == 0


def test_too_long_description_is_a_form_error(client, admin, widget):
    r = post_form(client, "/admin/classifications/new", {"name": "Long", "description": "d" * 4001})
    assert r.status_code == 200 and "4000" in page_text(r)
    assert count(Classification, name="Long") == 0


# -- default assignee and QA contact ------------------------------------------------------------
@pytest.mark.parametrize("field", ["default_assignee", "default_qa_contact"])
def test_default_people_must_be_active_users(client, admin, widget, make_user, field):
    make_user("gone", role="Employee", active=False)
    url = f"/admin/products/{widget.id}/components/new"
    for username in ("nobody", "gone"):
        r = post_form(client, url, {"name": "Engine", field: username})
        assert r.status_code == 200 and f"no active user {username!r}" in page_text(r).replace("&#39;", "'")
    assert count(Component, name="Engine") == 0
    make_user("here", role="Employee")
    assert post_form(client, url, {"name": "Engine", field: "here"}).status_code == 302


def test_disabled_default_assignee_may_stay_when_editing(client, admin, widget, make_user):
    dev = make_user("dev", role="Employee")
    comp = catalogue.save_component(SYSTEM, widget, widget.components[0], name="General",
                                    default_assignee=dev)
    dev.is_active = False
    db.session.commit()
    r = post_form(client, f"/admin/products/{widget.id}/components/{comp.id}",
                  {"name": "General", "description": "kept", "default_assignee": "dev", "is_active": "y"})
    assert r.status_code == 302
    db.session.expire_all()
    assert comp.description == "kept" and comp.default_assignee_id == dev.id
    # clearing the field removes the default
    post_form(client, f"/admin/products/{widget.id}/components/{comp.id}",
              {"name": "General", "default_assignee": "", "is_active": "y"})
    db.session.expire_all()
    assert comp.default_assignee_id is None


# -- the service on its own ----------------------------------------------------------------------
def test_service_errors_name_their_field(app, widget, make_user):
    ghost = make_user("ghost", active=False)
    cases = [
        (lambda: catalogue.save_classification(SYSTEM, None, name=" "), "name"),
        (lambda: catalogue.save_product(SYSTEM, None, name="P" * 65, classification_id=1), "name"),
        (lambda: catalogue.save_product(SYSTEM, None, name="New", classification_id=None),
         "classification_id"),
        (lambda: catalogue.save_component(SYSTEM, widget, None, name="General"), "name"),
        (lambda: catalogue.save_component(SYSTEM, widget, None, name="X", default_qa_contact=ghost),
         "default_qa_contact"),
        (lambda: catalogue.save_version(SYSTEM, widget, None, value=""), "value"),
        (lambda: catalogue.save_milestone(SYSTEM, widget, None, value="M5", sortkey=10**6), "sortkey"),
    ]
    for call, field in cases:
        with pytest.raises(ServiceError) as info:
            call()
        assert info.value.field == field, info.value.message


def test_every_form_page_renders_with_a_csrf_token(client, admin, widget, make_user):
    comp, version, milestone = widget.components[0], widget.versions[0], widget.milestones[0]
    victim = make_user("victim")
    urls = ["/admin/", "/admin/classifications", "/admin/classifications/new",
            f"/admin/classifications/{widget.classification_id}", "/admin/products",
            "/admin/products/new", f"/admin/products/{widget.id}",
            f"/admin/products/{widget.id}/components/new",
            f"/admin/products/{widget.id}/components/{comp.id}",
            f"/admin/products/{widget.id}/versions/new",
            f"/admin/products/{widget.id}/versions/{version.id}",
            f"/admin/products/{widget.id}/milestones/new",
            f"/admin/products/{widget.id}/milestones/{milestone.id}",
            "/admin/users", "/admin/users/new", f"/admin/users/{victim.id}",
            "/admin/roles", "/admin/roles/new", "/admin/roles/1"]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        page = page_text(r)
        # strict CSP possible: scripts only from files, no inline styles
        assert not re.search(r"<script(?![^>]*\ssrc=)", page) and "style=" not in page, url
        posts = len(re.findall(r'<form[^>]*method="post"', page))
        assert posts >= 1 and page.count('name="csrf_token"') == posts, url
