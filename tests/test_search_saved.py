"""Saved searches: saving, replacing, sharing, the navigation entry, deleting."""

from __future__ import annotations

import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.models import SavedSearch
from tests.conftest import post_form


def _save(client, name, query, shared=False):
    data = {"name": name, "query": query}
    if shared:
        data["shared"] = "y"
    return post_form(client, "/searches", data)


def test_save_shows_in_navigation_and_runs(client, login_as, make_product):
    make_product("Alpha")
    user = login_as("Reporter")
    response = _save(client, "My alpha bugs", "product=Alpha&severity=major&sort=-id&after=abc")
    assert response.status_code == 302
    assert response.headers["Location"] == "/bugs?product=Alpha&severity=major&sort=-id"
    saved = db.session.scalar(sa.select(SavedSearch))
    assert (saved.user_id, saved.name, saved.query, saved.is_shared) == (
        user.id, "My alpha bugs", "product=Alpha&severity=major&sort=-id", False)
    page = client.get("/").get_data(as_text=True)
    assert '<a href="/bugs?product=Alpha&amp;severity=major&amp;sort=-id">My alpha bugs</a>' in page
    assert client.get("/bugs?product=Alpha&severity=major&sort=-id").status_code == 200


def test_same_name_replaces(client, login_as):
    login_as("Reporter")
    _save(client, "Mine", "status=all")
    _save(client, "Mine", "severity=minor")
    assert db.session.scalars(sa.select(SavedSearch.query)).all() == ["severity=minor"]


def test_invalid_queries_and_names_are_refused(client, login_as):
    login_as("Reporter")
    response = _save(client, "Bad", "sort=password_hash")
    assert response.status_code == 302
    assert "Cannot sort by" in client.get("/searches").get_data(as_text=True)  # the flash
    _save(client, "", "status=all")
    _save(client, "x" * 65, "status=all")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)) == 0


def test_saving_needs_csrf_and_login(client, login_as, app):
    assert client.post("/searches", data={"name": "n", "query": ""}).status_code in (302, 400)
    login_as("Reporter")
    assert client.post("/searches", data={"name": "n", "query": ""}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)) == 0


def test_shared_searches_are_seen_by_others_but_only_owner_deletes(client, auth, make_user):
    owner, other = make_user("owner"), make_user("other")
    auth.login(owner.username)
    _save(client, "Team triage", "status=NEW", shared=True)
    _save(client, "Private list", "status=closed")
    auth.logout()
    auth.login(other.username)
    page = client.get("/searches").get_data(as_text=True)
    assert "Team triage" in page and "Private list" not in page
    assert "Team triage" in client.get("/").get_data(as_text=True)
    shared = db.session.scalar(sa.select(SavedSearch).where(SavedSearch.name == "Team triage"))
    assert post_form(client, f"/searches/{shared.id}/delete").status_code == 403
    assert post_form(client, "/searches/99999/delete").status_code == 404
    auth.logout()
    auth.login(owner.username)
    assert post_form(client, f"/searches/{shared.id}/delete").status_code == 302
    assert db.session.scalars(sa.select(SavedSearch.name)).all() == ["Private list"]
