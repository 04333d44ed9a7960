"""A real browser (headless Chromium) against a live server: the half-written bug
form is kept in localStorage, restored when the user comes back, and cleared after
a successful submit; the same for a comment on the bug page. Also proves the
script runs under the strict CSP (no inline JS)."""

from __future__ import annotations

import pytest
from conftest import PASSWORD

pytestmark = pytest.mark.browser

NEW_KEY = "bugzot:draft:bug-new:Widget"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_bug_form_draft_is_saved_restored_and_cleared(live_app, live_server, browser_page,
                                                      make_user, make_product):
    base = live_server
    page, problems = browser_page
    make_user("walter")
    make_product("Widget", components=("Core",), versions=("1.0",))

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
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector("text=Your changes were saved.")
    assert page.evaluate("window.localStorage.getItem('bugzot:draft:bug-1')") is None
    assert page.input_value("#comment") == ""
    assert "Half a thought" in page.inner_text("#c1")

    assert problems == []  # no CSP violations, no script errors
