"""Webhooks against a real HTTP receiver: admins register endpoints on the admin pages;
each public change is POSTed as JSON with an X-BugZot-Signature the receiver verifies;
product and event filters; retries with backoff; the delivery log; never private data."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from conftest import edit, post_form
from mail_support import MARKER, make_due, rows, send_due
from sqlalchemy import select

from bugzot.extensions import db
from bugzot.models import Webhook
from bugzot.services import notifications
from bugzot.services.notifications import WebhookEdit

SECRET = "s3cret-for-the-receiver-only"
ALL_KINDS = frozenset({"bug.filed", "bug.changed", "comment.added", "attachment.added"})


@pytest.fixture
def hook(app, receiver, make_user, make_product):
    """An endpoint for every event of product Widget, and the people who change it."""
    receiver.posts.clear()
    receiver.answers.clear()
    make_product("Widget")
    make_product("Other")
    admin = make_user("root", role="Admin")
    endpoint = notifications.save_webhook(admin, None, WebhookEdit(
        name="CI", url=receiver.url + "/hook", kinds=ALL_KINDS, product="Widget", secret=SECRET))
    return endpoint, {n: make_user(n, role=r) for n, r in (("rita", "Reporter"), ("ed", "Employee"))}


def verified(receiver) -> list[dict]:
    """The bodies of every POST, after checking each signature as a receiver would."""
    bodies = []
    for path, headers, body in receiver.posts:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, headers["X-BugZot-Signature"]), "bad signature"
        assert path == "/hook" and headers["Content-Type"] == "application/json"
        data = json.loads(body)
        assert headers["X-BugZot-Event"] == data["event"]
        assert headers["X-BugZot-Delivery"] == str(data["delivery"])
        bodies.append(data)
    return bodies


def test_public_changes_are_posted_signed(hook, receiver, make_bug):
    endpoint, people = hook
    bug = make_bug("Widget", reporter=people["rita"], summary="Hooked")
    make_bug("Other", reporter=people["rita"])  # another product: not this endpoint's
    edit(people["ed"], bug, {"priority": "P1"}, comment="Public words")
    send_due()
    filed, changed = verified(receiver)
    assert filed["event"] == "bug.filed" and filed["bug"]["summary"] == "Hooked"
    assert filed["bug"]["url"] == f"http://bugzot.test/bugs/{bug.id}"
    assert filed["comments"][0]["kind"] == "new"
    assert changed["events"] == ["bug.changed", "comment.added"]
    assert changed["changes"] == [{"field": "priority", "removed": "P3", "added": "P1"}]
    assert changed["comments"][0]["text"] == "Public words" and changed["changed_by"] == "ed"
    assert "email" not in json.dumps(changed)
    a_tampered_body = receiver.posts[1][2] + b" "
    assert hmac.new(SECRET.encode(), a_tampered_body, hashlib.sha256).hexdigest() \
        not in receiver.posts[1][1]["X-BugZot-Signature"]


def test_nothing_private_is_posted(hook, receiver, make_bug):
    endpoint, people = hook
    bug = make_bug("Widget", reporter=people["rita"])
    send_due()
    receiver.posts.clear()
    edit(people["ed"], bug, comment=f"Internal {MARKER}", private=True)
    edit(people["ed"], bug, {"priority": "P2"}, comment=f"Mixed {MARKER}", private=True)
    secret = make_bug("Widget", reporter=people["ed"], is_private=True, summary=f"Secret {MARKER}")
    edit(people["ed"], secret, comment="public words on a private bug")
    send_due()
    [only] = verified(receiver)  # the private comment alone was not posted at all
    assert only["events"] == ["bug.changed"] and only["comments"] == []
    for _, _, body in receiver.posts:
        assert MARKER.encode() not in body
    assert {r.status for r in rows(kind="webhook", bug_id=secret.id)} == {"skipped"}


def test_event_kinds_filter_deliveries(hook, receiver, make_user, make_bug):
    endpoint, people = hook
    notifications.save_webhook(make_user(role="Admin"), endpoint, WebhookEdit(
        name="CI", url=endpoint.url, kinds=frozenset({"comment.added"}), product="Widget"))
    bug = make_bug("Widget", reporter=people["rita"])
    edit(people["ed"], bug, {"priority": "P1"})
    edit(people["ed"], bug, comment="Hello")
    send_due()
    [posted] = verified(receiver)  # the secret was kept although the form left it empty
    assert posted["events"] == ["comment.added"]


def test_failed_deliveries_back_off_and_the_log_shows_them(hook, receiver, make_bug, client, auth):
    endpoint, people = hook
    receiver.answers.extend([500, 503])
    make_bug("Widget", reporter=people["rita"], summary="Retried")
    send_due()
    [row] = rows(kind="webhook")
    assert row.status == "pending" and row.response_status == 500 and "HTTP 500" in row.last_error
    make_due()
    send_due()
    assert rows(kind="webhook")[0].attempts == 2
    make_due()
    send_due()
    [row] = rows(kind="webhook")
    assert row.status == "sent" and row.response_status == 200 and row.attempts == 3
    assert len(receiver.posts) == 3 and len({p[1]["X-BugZot-Delivery"] for p in receiver.posts}) == 1
    auth.login("root")
    log = client.get(f"/admin/webhooks/{endpoint.id}/deliveries").get_data(as_text=True)
    assert "sent" in log and "200" in log and f"r{row.last_revision}" in log


def test_a_dead_endpoint_ends_up_failed(hook, receiver, make_bug, app):
    endpoint, people = hook
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    receiver.answers.extend([404, 404])
    make_bug("Widget", reporter=people["rita"])
    send_due()
    make_due()
    send_due()
    [row] = rows(kind="webhook")
    assert row.status == "failed" and row.response_status == 404


def test_admins_register_endpoints_on_the_admin_pages(app, receiver, client, auth, make_user,
                                                      make_product):
    make_product("Widget")
    make_user("root", role="Admin")
    auth.login("root")
    form = {"name": "Chat", "url": receiver.url + "/chat", "product": "Widget",
            "kinds": ["bug.filed", "comment.added"], "is_active": "y", "secret": ""}
    assert post_form(client, "/admin/webhooks/new", form).status_code == 302
    [endpoint] = db.session.scalars(select(Webhook)).all()
    assert endpoint.kinds == "bug.filed comment.added" and len(endpoint.secret) == 48
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert endpoint.secret in page and "Delivery log" in page
    bad = post_form(client, "/admin/webhooks/new", {**form, "url": "ftp://nowhere"})
    assert bad.status_code == 200 and "http:// or https://" in bad.get_data(as_text=True)
    listing = client.get("/admin/webhooks").get_data(as_text=True)
    assert "Chat" in listing and "Public comment added" in listing
    assert post_form(client, f"/admin/webhooks/{endpoint.id}/delete").status_code == 302
    assert "No webhooks yet" in client.get("/admin/webhooks").get_data(as_text=True)
