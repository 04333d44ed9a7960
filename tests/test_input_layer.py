"""The input layer: NUL characters and out-of-range integers are a 400 on every route,
never a 500 (SQLite overflows past 64 bits; PostgreSQL refuses NUL in text).

The class-wide tests walk the whole ``url_map`` as an admin (who reaches every
view) and send each rule every method it takes, with malformed values in the path,
the query string and the form.
"""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
from werkzeug.routing import IntegerConverter

from bugzot.extensions import db
from bugzot.security.inputs import INT32_MAX
from bugzot.services import search as search_service
from tests.conftest import csrf_token, post_form

HUGE = "9" * 25  # past 64 bits
NUL = "a\x00b"
# Every form field and query parameter name the app reads, so each view meets bad values.
NAMES = ("login", "password", "confirm", "username", "email", "real_name", "remember", "next",
         "revision", "product", "component", "version", "severity", "priority", "platform", "op_sys",
         "summary", "description", "cc", "bug_status", "resolution", "dup_id", "assigned_to",
         "qa_contact", "dependson", "blocked", "newcc", "removecc", "comment", "is_private",
         "target_milestone", "name", "query", "shared", "sortkey", "classification_id", "role_id",
         "is_active", "value", "default_assignee", "default_qa_contact", "page", "q", "status",
         "limit", "sort", "after", "before", "x", "y", "hidden", "action", "quicksearch",
         "attachment_description", "is_patch", "is_obsolete", "permissions", "text",
         "profile-real_name", "pw-current_password", "pw-new_password", "email-email")


def _cursor(value, bug_id) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, bug_id]).encode()).decode().rstrip("=")


@pytest.fixture
def admin_client(client, login_as, make_bug, make_user, make_product):
    """An admin's client, with a bug, an attachment and a saved search to aim at."""
    from bugzot.services import attachments
    from bugzot.services.commands import Upload

    admin = login_as("Admin")
    bug = make_bug(product=make_product(milestones=("M1",)), summary="Target bug")
    attachments.add_attachment(admin, bug, Upload("notes.txt", io.BytesIO(b"notes"), description="Notes"))
    search_service.save_search(admin, "Mine", "status=all")
    make_user("victim")
    return client


# URL argument -> the model whose first row it names (the walks aim at existing rows)
TARGETS = {"bug_id": "Bug", "attachment_id": "Attachment", "product_id": "Product",
           "component_id": "Component", "version_id": "Version", "milestone_id": "Milestone",
           "classification_id": "Classification", "user_id": "User", "role_id": "Role",
           "search_id": "SavedSearch", "session_id": "LoginSession"}


def _existing(name: str) -> str:
    """The id of an existing row for URL argument ``name`` (comment numbers: 0)."""
    from bugzot import models
    from bugzot.models.sessions import LoginSession

    model = LoginSession if name == "session_id" else getattr(models, TARGETS.get(name, "Bug"), None)
    if name == "number" or model is None:
        return "0"
    return str(db.session.scalar(db.select(db.func.min(model.id))))


def _path(rule, value_for_int: str | None, value_for_text: str) -> str:
    """``rule``'s path with ``value_for_int`` for its int arguments (None: an existing id)."""
    args = {name: ((value_for_int or _existing(name)) if isinstance(conv, IntegerConverter)
                   else value_for_text) for name, conv in rule._converters.items()}
    path = rule.rule
    for name, value in args.items():
        path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", value, path)
    return path


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _send(client, method: str, path: str, params: dict):
    if method == "GET":
        return client.get(path, query_string=params)
    return post_form(client, path, params) if method == "POST" else client.open(path, method=method)


def _no_5xx(app, client, values: dict, int_in_path: str | None, text_in_path: str) -> list[str]:
    problems = []
    for rule, method in _routes(app):
        path = _path(rule, int_in_path, text_in_path)
        response = _send(client, method, path, dict(values))
        if response.status_code >= 500:
            problems.append(f"{method} {path!r} -> {response.status_code}")
    return problems


def test_nul_in_any_parameter_of_any_route_is_not_a_500(app, admin_client):
    values = {name: NUL for name in NAMES}
    assert _no_5xx(app, admin_client, values, None, "x%00y") == []


def test_huge_numbers_in_any_parameter_of_any_route_are_not_a_500(app, admin_client):
    values = {name: HUGE for name in NAMES}
    values.update(after=_cursor(int(HUGE), int(HUGE)), before="", sort="id")
    assert _no_5xx(app, admin_client, values, HUGE, HUGE) == []


def test_the_walk_reaches_every_view(app, admin_client):
    """The walks above would prove little if most routes answered 404 or 403."""
    reached = {rule.endpoint for rule, method in _routes(app)
               if method == "GET" and _send(admin_client, "GET", _path(rule, None, "Widget"), {})
               .status_code in (200, 302, 400)}
    gets = {rule.endpoint for rule, method in _routes(app) if method == "GET"}
    assert len(reached) >= 0.8 * len(gets), sorted(gets - reached)


@pytest.mark.parametrize("path", ["/bugs/" + HUGE, "/attachments/" + HUGE, "/admin/users/" + HUGE,
                                  f"/bugs/{INT32_MAX + 1}"])
def test_ids_beyond_any_column_are_a_400_with_a_message(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 400
    assert "out of range" in response.get_data(as_text=True)


def test_the_largest_id_is_a_plain_404(admin_client):
    assert admin_client.get(f"/bugs/{INT32_MAX}").status_code == 404


@pytest.mark.parametrize("where", ["query", "form", "path", "json"])
def test_nul_is_a_400_that_names_where(app, client, where):
    if where == "query":
        response = client.get("/login", query_string={"next": NUL})
    elif where == "form":
        response = client.post("/login", data={"login": NUL, "password": "x",
                                                "csrf_token": csrf_token(client)})
    elif where == "path":
        response = client.get("/products/a%00b")
    else:
        response = client.post("/login", json={"login": NUL})
    assert response.status_code == 400
    expected = {"query": "query string", "form": "form", "path": "address", "json": "JSON body"}[where]
    assert f"The {expected} contains a NUL character" in response.get_data(as_text=True)


def test_nul_in_an_upload_file_name_is_a_400(admin_client):
    bug_id = db.session.scalar(db.select(db.func.min(db.text("id"))).select_from(db.text("bugs")))
    response = post_form(admin_client, f"/bugs/{bug_id}/attachments", {
        "file": (io.BytesIO(b"data"), "evil\x00.txt")}, content_type="multipart/form-data")
    assert response.status_code == 400


@pytest.mark.parametrize("cursor", [_cursor(int(HUGE), 1), _cursor(1, int(HUGE)), _cursor("a\x00", 1),
                                    _cursor(1e400, 1)])
def test_page_cursors_with_impossible_values_are_a_400(admin_client, cursor):
    # (a huge number is a fine relevance rank: ranks are floats)
    for sort in ("id", "summary") + (("relevance",) if cursor != _cursor(int(HUGE), 1) else ()):
        response = admin_client.get("/bugs", query_string={"after": cursor, "sort": sort,
                                                           "q": "target" if sort == "relevance" else ""})
        assert response.status_code == 400, (sort, response.status_code)


def test_bug_number_fields_refuse_numbers_no_bug_can_have(app, admin_client):
    from bugzot.models import Bug

    bug = db.session.scalar(db.select(Bug))
    for field in ("dup_id", "dependson", "blocked"):
        for value in (HUGE, "²", str(INT32_MAX + 1)):
            response = post_form(admin_client, f"/bugs/{bug.id}", {
                "revision": bug.revision, field: value, "comment": "x"})
            assert response.status_code == 400, (field, value)
            assert re.search(r"bug numbers|number of the bug", response.get_data(as_text=True))
    response = post_form(admin_client, f"/bugs/{bug.id}", {"revision": HUGE, "comment": "x"})
    assert response.status_code == 400
