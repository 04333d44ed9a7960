"""Real Chromium at a laptop's and a phone's width: no page scrolls sideways, the menu
button opens and closes the navigation from the keyboard, and no page logs an error
(no CSP violation, no missing favicon)."""

from __future__ import annotations

import pytest
from conftest import PASSWORD

pytestmark = pytest.mark.browser

PAGES = ("/", "/bugs", "/bugs?status=all&q=crash", "/reports?x=component&y=status&status=all",
         "/admin/", "/admin/users", "/admin/products", "/admin/roles", "/admin/mail", "/searches")
PUBLIC = ("/login", "/register")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_pages_fit_a_laptop_and_a_phone(live_app, live_server, browser_page, make_user,
                                        make_product, make_bug):
    page, problems = browser_page
    admin = make_user("root", role="Admin")
    product = make_product("Widget with a rather long product name", components=("Core",))
    for i in range(3):
        make_bug(product, admin, summary=f"Crash number {i} with a long summary that wraps")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 850})
        page.context.clear_cookies()
        for path in PUBLIC:
            page.goto(live_server + path)
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), (width, path)
        page.goto(live_server + "/login")
        page.fill("input[name=login]", "root")
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(live_server + "/")
        for path in PAGES:
            response = page.goto(live_server + path)
            assert response.status == 200, path
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), (width, path)
        toggle = page.locator("button.menu-toggle")
        if width == 390:
            assert toggle.is_visible() and not page.is_visible("nav#mainnav")
            toggle.focus()
            page.keyboard.press("Enter")
            assert toggle.get_attribute("aria-expanded") == "true"
            assert page.is_visible("#quicksearch") and page.is_visible("text=Log out")
            page.keyboard.press("Escape")
            assert toggle.get_attribute("aria-expanded") == "false"
            assert not page.is_visible("nav#mainnav")
        else:
            assert not toggle.is_visible() and page.is_visible("#quicksearch")
    assert problems == []
