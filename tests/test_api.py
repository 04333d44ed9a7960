"""The REST API through Flask's test client: credentials, Bugzilla's error codes, what a
Reporter's key may see, workflow and field permissions, mid-air protection and the
statement count of a batch read. (The real python-bugzilla client: test_api_cli.py.)"""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
from conftest import edit, post_form
from search_support import recorded_sql
from sqlalchemy import func, select

from bugzot.extensions import db
from bugzot.models import Bug, BugChange, Comment
from bugzot.permissions import SYSTEM
from bugzot.services import accounts, api_keys, attachments
from bugzot.services.commands import Upload
from bugzot.services.roles import role_by_name


@pytest.fixture
def api(client):
    """``api(method, path, key=None, **kwargs)`` -> (status, JSON)."""

    def call(method: str, path: str, key: str | None = None, **kwargs):
        if key:
            path += ("&" if "?" in path else "?") + f"Bugzilla_api_key={key}"
        response = client.open(path, method=method, **kwargs)
        assert response.mimetype == "application/json", response.get_data(as_text=True)[:300]
        return response.status_code, response.get_json()

    return call


def key_of(user) -> str:
    return api_keys.create_key(user, "tests")[1]


@pytest.fixture
def people(app, make_user):
    reporter, employee = make_user("rita"), make_user("emma", role="Employee")
    return {"reporter": reporter, "employee": employee, "rk": key_of(reporter),
            "ek": key_of(employee)}


def test_version_needs_no_credentials_and_unknown_paths_are_bugzilla_errors(api):
    assert api("GET", "/rest/version") == (200, {"version": "5.0.4"})
    status, body = api("GET", "/rest/nothing/here")
    assert status == 404 and body["error"] is True and body["code"] == 32614
    status, body = api("DELETE", "/rest/bug/1")
    assert status == 405 and body["code"] == 32614


def test_credentials_by_parameter_header_or_token(api, client, people, make_bug):
    bug = make_bug(reporter=people["employee"], is_private=True)
    path = f"/rest/bug/{bug.id}"
    assert api("GET", path)[0] == 404  # anonymous: no such bug for them
    assert api("GET", path, people["ek"])[0] == 200
    assert client.get(path, headers={"X-BUGZILLA-API-KEY": people["ek"]}).status_code == 200
    assert client.get(path + f"?api_key={people['ek']}").status_code == 200
    status, body = api("GET", "/rest/login?login=emma&password=correct-horse-battery")
    assert status == 200 and body["id"] == people["employee"].id
    assert client.get(path + f"?Bugzilla_token={body['token']}").status_code == 200
    assert api("GET", f"/rest/logout?Bugzilla_token={body['token']}") == (200, {})
    status, body = api("GET", f"{path}?Bugzilla_token={body['token']}")
    assert (status, body["code"]) == (401, 32000)
    status, body = api("GET", path, "not-a-key")
    assert (status, body["code"]) == (400, 306)
    status, body = api("GET", "/rest/login?login=emma&password=wrong")
    assert (status, body["code"]) == (401, 300)


def test_the_browser_session_cookie_is_never_the_api_caller(api, client, auth, people, make_bug):
    bug = make_bug(reporter=people["employee"], is_private=True)
    auth.login("emma")
    assert client.get(f"/bugs/{bug.id}").status_code == 200  # the cookie works on pages
    status, body = api("GET", f"/rest/bug/{bug.id}")
    assert (status, body["code"]) == (404, 101)  # but not on the API
    status, body = api("POST", "/rest/bug", json={"product": "x", "component": "y",
                                                   "summary": "CSRF?"})
    assert (status, body["code"]) == (401, 410)


def test_a_key_follows_its_user(api, people, make_bug):
    bug = make_bug(reporter=people["reporter"])
    edit(people["employee"], bug, comment="INSIDER-NOTE", private=True)
    path = f"/rest/bug/{bug.id}/comment"
    texts = lambda key: [c["text"] for c in api("GET", path, key)[1]["bugs"][str(bug.id)]["comments"]]  # noqa: E731
    assert "INSIDER-NOTE" in texts(people["ek"])
    accounts.admin_update_user(SYSTEM, people["employee"], role=role_by_name("Reporter"),
                               is_active=True, real_name="")
    assert "INSIDER-NOTE" not in texts(people["ek"])  # demoted: the key sees less at once
    accounts.admin_update_user(SYSTEM, people["employee"], role=role_by_name("Employee"),
                               is_active=False, real_name="")
    assert api("GET", path, people["ek"])[1]["code"] == 306  # disabled: the key is dead
    key = db.session.scalars(select(api_keys.ApiKey).where(
        api_keys.ApiKey.user_id == people["reporter"].id)).one()
    api_keys.revoke_key(people["reporter"], key.id)
    assert api("GET", path, people["rk"])[1]["code"] == 306


def test_last_use_is_recorded(api, people):
    api("GET", "/rest/bug?id=1", people["rk"])
    db.session.expire_all()
    [key] = api_keys.keys_of(people["reporter"])
    assert key.last_used_at is not None and key.revoked_at is None


def test_a_reporters_key_sees_nothing_private(api, people, make_bug, make_user):
    employee, reporter = people["employee"], people["reporter"]
    secret = make_bug(reporter=employee, is_private=True, summary="SECRET-BUG")
    bug = make_bug(reporter=reporter, summary="Public bug")
    original = make_bug(reporter=reporter, summary="Original")
    edit(employee, bug, {"dependson": frozenset({secret.id})}, comment="SECRET-COMMENT",
         private=True)
    edit(employee, secret, {"bug_status": "RESOLVED", "resolution": "DUPLICATE",
                            "dup_id": original.id}, comment="dup")
    attachments.add_attachment(employee, bug, Upload("secret.txt", io.BytesIO(
        b"SECRET-FILE\n"), description="SECRET-ATTACHMENT", is_private=True))
    key = people["rk"]
    everything = []
    for path in (f"/rest/bug?product={bug.product.name}&include_fields=_all",
                 f"/rest/bug/{bug.id}?include_fields=_all", f"/rest/bug/{bug.id}/comment",
                 f"/rest/bug/{bug.id}/history", f"/rest/bug/{bug.id}/attachment",
                 f"/rest/bug/{original.id}/comment", f"/rest/bug/{original.id}/history",
                 f"/rest/bug?id={secret.id}", "/rest/bug?short_desc=SECRET"):
        status, body = api("GET", path, key)
        assert status == 200, (path, body)
        everything.append(str(body))
    text = "\n".join(everything)
    for marker in ("SECRET-BUG", "SECRET-COMMENT", "SECRET-ATTACHMENT", "secret.txt"):
        assert marker not in text, marker
    for path in (f"/rest/bug/{bug.id}/history", f"/rest/bug/{original.id}/history"):
        history = api("GET", path, key)[1]["bugs"][0]["history"]
        values = [c[k] for h in history for c in h["changes"] for k in ("added", "removed")]
        assert all(str(secret.id) not in v.replace(",", " ").split() for v in values), values
    assert api("GET", f"/rest/bug/{secret.id}", key)[0] == 404
    status, body = api("GET", f"/rest/bug/{bug.id}", key)
    assert body["bugs"][0]["depends_on"] == []
    assert [b["id"] for b in api("GET", f"/rest/bug?id={bug.id}&id={secret.id}", key)[1]["bugs"]] \
        == [bug.id]
    # an Employee's key sees them all
    status, body = api("GET", f"/rest/bug/{bug.id}?include_fields=depends_on,comments",
                       people["ek"])
    assert body["bugs"][0]["depends_on"] == [secret.id]
    assert "SECRET-COMMENT" in str(body)


def test_permissions_and_workflow_are_the_services(api, people, make_bug):
    bug = make_bug(reporter=people["reporter"])
    path = f"/rest/bug/{bug.id}"
    status, body = api("PUT", path, people["rk"], json={"priority": "P1"})
    assert (status, body["code"]) == (401, 109) and "priority" in body["message"]
    status, body = api("PUT", path, people["rk"], json={"status": "ASSIGNED"})
    assert (status, body["code"]) == (401, 115)
    status, body = api("PUT", path, people["ek"], json={"status": "UNCONFIRMED"})
    assert status == 400 and "cannot go from NEW to UNCONFIRMED" in body["message"]
    status, body = api("PUT", path, people["ek"], json={"status": "VERIFIED",
                                                         "resolution": "FIXED"})
    assert status == 400 and "comment when moving a bug to RESOLVED" in body["message"]
    status, body = api("PUT", path, people["ek"], json={"status": "RESOLVED",
                                                         "resolution": "FIXED"})
    assert status == 400 and "comment" in body["message"]
    status, body = api("PUT", path, people["rk"], json={"comment": {"comment": "x",
                                                                     "is_private": True}})
    assert (status, body["code"]) == (401, 113)
    db.session.expire_all()
    assert (bug.priority, bug.status, bug.revision) == ("P3", "NEW", 1)


@pytest.mark.parametrize("body, message", [
    ({"summary": ["not", "text"]}, "must be a string"),
    ({"priority": "P9"}, "Choose a valid priority"),
    ({"depends_on": {"add": ["x"]}}, "must be a number"),
    ({"depends_on": {"add": [10**20]}}, "not a valid id"),
    ({"dupe_of": True}, "must be a number"),
    ({"assigned_to": "nobody@nowhere"}, "There is no user named"),
    ({"whiteboard": "hello"}, "has no 'whiteboard' field"),
    ({"creation_time": "2020-01-01T00:00:00Z"}, "no field 'creation_time' that can be changed"),
    ({"summary": "nul\x00byte"}, "NUL character"),
    ({"revision": "7"}, "'revision' must be a whole number"),
    ({"last_change_time": 5}, "YYYY-MM-DDTHH:MM:SSZ"),
])
def test_bad_values_are_clear_400s(api, people, make_bug, body, message):
    bug = make_bug(reporter=people["reporter"])
    status, answer = api("PUT", f"/rest/bug/{bug.id}", people["ek"], json=body)
    assert status in (400, 401) and answer["error"] is True and message in answer["message"], answer
    assert db.session.scalar(select(func.count()).select_from(BugChange)) == 0


@pytest.mark.parametrize("path, data", [
    ("/rest/bug", "{not json"), ("/rest/bug", "[1, 2]"), ("/rest/bug", "null"),
    ("/rest/bug/1", '{"ids": [1e400]}'), ("/rest/bug/1/attachment", '{"data": "%%%"}'),
])
def test_malformed_bodies_are_400s(api, people, make_bug, path, data):
    make_bug()
    method = "POST" if path != "/rest/bug/1" else "PUT"
    status, body = api(method, path, people["ek"], data=data, content_type="application/json")
    assert status in (400, 404) and body["error"] is True


@pytest.mark.parametrize("path", ["/rest/bug/99999999999999999999", "/rest/bug/%00",
                                  "/rest/bug?id=99999999999999999", "/rest/bug?limit=-1",
                                  "/rest/bug?product=%00", "/rest/bug/attachment/abc",
                                  "/rest/user?ids=0", "/rest/bug?last_change_time=yesterday"])
def test_strange_query_strings_are_400_or_404(api, people, path):
    status, body = api("GET", path, people["ek"])
    assert status in (400, 404) and body["error"] is True


def test_mid_air_protection_names_what_changed(api, people, make_bug):
    bug = make_bug(reporter=people["reporter"])
    status, body = api("GET", f"/rest/bug/{bug.id}", people["ek"])
    seen, revision = body["bugs"][0]["last_change_time"], body["bugs"][0]["revision"]
    edit(people["employee"], bug, {"priority": "P1", "severity": "major"})
    # Bugzilla's times have whole seconds: make the change land in a later one.
    changed = db.session.get(Bug, bug.id)
    changed.updated_at += timedelta(seconds=2)
    db.session.execute(BugChange.__table__.update().values(changed_at=changed.updated_at))
    db.session.commit()
    status, body = api("PUT", f"/rest/bug/{bug.id}", people["ek"],
                       json={"summary": "Mine", "last_change_time": seen})
    assert (status, body["code"]) == (400, 32100)
    assert "Priority" in body["message"] and "Severity" in body["message"]
    status, body = api("PUT", f"/rest/bug/{bug.id}", people["ek"],
                       json={"summary": "Mine", "revision": revision})
    assert (status, body["code"]) == (400, 32100)
    db.session.expire_all()
    assert db.session.get(Bug, bug.id).summary == "Something is broken"
    current = db.session.get(Bug, bug.id).revision
    status, body = api("PUT", f"/rest/bug/{bug.id}", people["ek"],
                       json={"summary": "Mine", "revision": current})
    assert status == 200 and body["bugs"][0]["changes"]["summary"]["added"] == "Mine"


def test_create_update_and_read_back(api, people, make_product, make_user):
    make_product("Widget", components=("Core", "UI"), versions=("1.0", "2.0"))
    olga = make_user("olga")
    status, body = api("POST", "/rest/bug", people["ek"], json={
        "product": "Widget", "component": "Core", "version": "2.0", "summary": "Made by API",
        "description": "Details", "severity": "major", "cc": ["olga@example.com"],
        "assigned_to": "emma"})
    assert status == 200 and isinstance(body["id"], int)
    bug_id = body["id"]
    other = api("POST", "/rest/bug", people["ek"], json={
        "product": "Widget", "component": "UI", "version": "1.0", "summary": "Blocker",
        "blocks": [bug_id]})[1]["id"]
    status, body = api("PUT", f"/rest/bug/{bug_id}", people["ek"], json={
        "ids": [str(bug_id)], "status": "CLOSED", "resolution": "FIXED", "priority": "P2",
        "cc": {"add": ["rita"], "remove": ["olga@example.com"]},
        "depends_on": {"remove": [other]},
        "comment": {"comment": "Fixed and closed.", "is_private": True}})
    assert status == 200, body
    changes = body["bugs"][0]["changes"]
    assert changes["status"] == {"removed": "NEW", "added": "CLOSED"}
    assert changes["resolution"]["added"] == "FIXED" and changes["priority"]["added"] == "P2"
    assert changes["cc"] == {"removed": "olga", "added": "rita"}
    assert changes["depends_on"] == {"removed": str(other), "added": ""}
    status, body = api("GET", f"/rest/bug/{bug_id}?include_fields=_all", people["ek"])
    got = body["bugs"][0]
    assert (got["status"], got["resolution"], got["severity"], got["assigned_to"]) == (
        "CLOSED", "FIXED", "major", "emma@example.com")
    assert got["cc"] == ["rita@example.com"] and got["is_open"] is False
    assert got["comments"][-1]["text"] == "Fixed and closed." and got["comments"][-1]["is_private"]
    assert got["creation_time"].endswith("Z") and isinstance(got["id"], int)
    history = api("GET", f"/rest/bug/{bug_id}/history", people["ek"])[1]["bugs"][0]["history"]
    assert {c["field_name"] for h in history for c in h["changes"]} >= {"status", "cc", "priority"}
    assert olga.id


def test_attachments_round_trip(api, people, make_bug):
    bug = make_bug(reporter=people["reporter"])
    data = base64.b64encode(b"line one\nline two\n").decode()
    status, body = api("POST", f"/rest/bug/{bug.id}/attachment", people["rk"], json={
        "ids": [bug.id], "file_name": "log.txt", "summary": "The log", "data": data,
        "content_type": "text/plain", "comment": "Here it is."})
    assert status == 201 and isinstance(body["ids"][0], int)
    att = body["ids"][0]
    status, body = api("GET", f"/rest/bug/attachment/{att}", people["rk"])
    got = body["attachments"][str(att)]
    assert (got["file_name"], got["summary"], got["data"], got["bug_id"]) == (
        "log.txt", "The log", data, bug.id)
    listed = api("GET", f"/rest/bug/{bug.id}/attachment", people["rk"])[1]["bugs"][str(bug.id)]
    assert [a["id"] for a in listed] == [att]
    status, body = api("POST", f"/rest/bug/{bug.id}/attachment", people["rk"], json={
        "file_name": "empty.txt", "summary": "x", "data": ""})
    assert (status, body["code"]) == (400, 606)
    assert db.session.scalar(select(func.count()).select_from(Comment)
                             .where(Comment.bug_id == bug.id)) == 2


def test_products_fields_and_users(api, people, make_product):
    widget = make_product("Widget", components=("Core",), versions=("1.0",))
    make_product("Closed", is_active=False)
    assert widget.id in api("GET", "/rest/product_accessible", people["rk"])[1]["ids"]
    enterable = api("GET", "/rest/product_enterable", people["rk"])[1]["ids"]
    assert widget.id in enterable and len(enterable) == 1
    [product] = api("GET", "/rest/product/get?names=Widget", people["rk"])[1]["products"]
    assert product["components"][0]["name"] == "Core" and product["versions"] == [
        {"id": widget.versions[0].id, "name": "1.0", "is_active": True}]
    names = {f["name"] for f in api("GET", "/rest/field/bug")[1]["fields"]}
    assert {"status", "depends_on", "blocks", "dupe_of", "summary", "assigned_to"} <= names
    status, body = api("GET", "/rest/user?ids=1", people["rk"])
    assert status == 200 and "users" in body
    assert api("GET", "/rest/user?ids=1")[1]["code"] == 505
    found = api("GET", "/rest/user?match=emm", people["rk"])[1]["users"]
    assert [u["name"] for u in found] == ["emma@example.com"]


def test_a_batch_read_runs_the_same_statements_for_5_or_500_bugs(api, people, make_product,
                                                                    make_user):
    from bugzot.seed.bulk import seed

    seed(500, 2, users=5, password="correct-horse-battery", random_seed=5)
    ids = sorted(db.session.scalars(select(Bug.id)))
    key = people["ek"]
    fields = "id,summary,status,assigned_to,creator,cc,depends_on,blocks,dupe_of,comments,product"

    def statements(chosen):
        query = "&".join(f"id={i}" for i in chosen)
        with recorded_sql() as ran:
            status, body = api("GET", f"/rest/bug?{query}&include_fields={fields}", key)
        assert status == 200 and len(body["bugs"]) == len(chosen)
        return len(ran)

    statements(ids[:1])  # the key's first use is noted once (a write), not on every call
    few, many = statements(ids[:5]), statements(ids[:500])
    # the key, the search, the bugs with their catalogue, their people, dependencies,
    # the visible ones among the bugs they name, CC, comments
    assert few == many <= 8, (few, many)


def test_wrong_passwords_are_refused_alike_on_the_page_and_the_api(api, client, people):
    """The API login takes the same service as the web login (no second password rule)."""
    assert post_form(client, "/login", {"login": "rita", "password": "wrong"}).status_code == 200
    assert api("GET", "/rest/login?login=rita&password=wrong")[1]["code"] == 300


def test_one_comment_new_since_and_attachment_updates(api, people, make_bug):
    bug = make_bug(reporter=people["reporter"])
    edit(people["employee"], bug, comment="INSIDER", private=True)
    comments = api("GET", f"/rest/bug/{bug.id}/comment", people["ek"])[1]["bugs"][str(bug.id)]
    private_id = comments["comments"][-1]["id"]
    status, body = api("GET", f"/rest/bug/comment/{private_id}", people["ek"])
    assert status == 200 and body["comments"][str(private_id)]["text"] == "INSIDER"
    assert api("GET", f"/rest/bug/comment/{private_id}", people["rk"])[0] == 404
    later = api("GET", f"/rest/bug/{bug.id}/comment?new_since=2999-01-01T00:00:00Z",
                people["ek"])[1]
    assert later["bugs"][str(bug.id)]["comments"] == []
    att = attachments.add_attachment(people["reporter"], bug, Upload("a.txt", io.BytesIO(b"a\n")))
    status, body = api("PUT", f"/rest/bug/attachment/{att.id}", people["rk"],
                       json={"summary": "Better name", "is_obsolete": True})
    assert status == 200 and body["attachments"][0]["changes"]["summary"]["added"] == "Better name"
    status, body = api("PUT", f"/rest/bug/attachment/{att.id}", people["rk"],
                       json={"is_private": True})
    assert (status, body["code"]) == (401, 113)  # a Reporter may not make files private
