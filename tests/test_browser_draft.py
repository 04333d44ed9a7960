"""A real browser (headless Chromium) against a live server: the half-written bug
form is kept in localStorage, restored when the user comes back, and cleared after
a successful submit; the same for a comment on the bug page. Also proves the
script runs under the strict CSP (no inline JS)."""

from __future__ import annotations

import threading

import pytest
from conftest import PASSWORD, base_config, empty_database
from werkzeug.serving import make_server

from bugzot import create_app
from bugzot.extensions import db

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
NEW_KEY = "bugzot:draft:bug-new:Widget"


@pytest.fixture
def live_app(tmp_path, database_urls):
    """An app on the session's SQLite database served on a free port by a thread."""
    app = create_app(base_config(tmp_path, database_urls["sqlite"]),
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        empty_database()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        problems: list[str] = []
        # HTTP errors (400 form answers, the missing favicon) are logged too: not problems here
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error"
                and not msg.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        yield page, problems
        browser.close()


def test_bug_form_draft_is_saved_restored_and_cleared(live_app, browser_page):
    app, base = live_app
    page, problems = browser_page
    with app.app_context():
        from bugzot.models import Classification, Component, Product, Version
        from bugzot.services.accounts import create_user

        create_user("walter", "walter@example.com", PASSWORD, role_name="Reporter")
        db.session.add(Product(name="Widget", classification=Classification(name="Default"),
                               components=[Component(name="Core")],
                               versions=[Version(value="1.0")]))
        db.session.commit()

    page.goto(f"{base}/login")
    page.fill("input[name=login]", "walter")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit] >> nth=-1")
    page.wait_for_url(f"{base}/")

    # typing saves a draft
    page.goto(f"{base}/bugs/new?product=Widget")
    page.fill("#summary", "Crash when saving a draft")
    page.fill("#description", "Steps:\n1. type\n2. leave")
    page.select_option("#severity", "major")
    draft = page.evaluate(f"window.localStorage.getItem('{NEW_KEY}')")
    assert draft and "Crash when saving a draft" in draft and "major" in draft

    # leaving and coming back restores it
    page.goto(f"{base}/")
    page.goto(f"{base}/bugs/new?product=Widget")
    assert page.input_value("#summary") == "Crash when saving a draft"
    assert page.input_value("#description") == "Steps:\n1. type\n2. leave"
    assert page.input_value("#severity") == "major"
    assert page.is_visible(".draft-note")

    # a failed submit keeps it; a successful one clears it
    page.fill("#cc", "nosuchuser")
    page.click("button:has-text('File the bug')")
    page.wait_for_selector("text=There is no active user")
    assert page.input_value("#description") == "Steps:\n1. type\n2. leave"
    page.fill("#cc", "")
    assert page.evaluate(f"window.localStorage.getItem('{NEW_KEY}')") is not None
    page.click("button:has-text('File the bug')")
    page.wait_for_url(f"{base}/bugs/1")
    assert page.is_visible("text=Bug 1 was filed.")
    assert page.evaluate(f"window.localStorage.getItem('{NEW_KEY}')") is None
    page.goto(f"{base}/bugs/new?product=Widget")
    assert page.input_value("#summary") == ""

    # the comment on the bug page works the same way
    page.goto(f"{base}/bugs/1")
    page.fill("#comment", "Half a thought")
    page.reload()
    assert page.input_value("#comment") == "Half a thought"
    page.click("button:has-text('Save changes')")
    page.wait_for_selector("text=Your changes were saved.")
    assert page.evaluate("window.localStorage.getItem('bugzot:draft:bug-1')") is None
    assert page.input_value("#comment") == ""
    assert "Half a thought" in page.inner_text("#c1")

    assert problems == []  # no CSP violations, no script errors
