"""A new user's first day, in real Chromium, at 1366 px and at 390 px.

Register, open the activation link from the mail (a real SMTP server), log in; file a
bug with a pasted screenshot (the progress bar shows, the thumbnail appears); reload
mid-typing and get the draft back; comment publicly, and as an Employee privately (the
Reporter's browser does not show it); the Employee moves the bug through ASSIGNED,
RESOLVED FIXED and VERIFIED in edit mode; the bug is found with the quick search and
with ``assignee:me``; "My bugs" lists it; the same bug open in two browser contexts gives
the second the mid-air page. Every page visited passes ``Tab.audit`` (no console errors,
no CSP violations, no horizontal overflow, zero axe violations; a screenshot each).
"""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD
from mail_support import smtp_settings
from test_browser_pages import log_in, png

pytestmark = pytest.mark.browser

SUMMARY = "Export to PDF drops the footer on the last page"
# Remembers (across the navigation that follows the upload) that a progress bar was
# shown: the upload of a small file on loopback is over too fast to poll for it.
SEE_PROGRESS = """
new MutationObserver(() => {
  for (const bar of document.querySelectorAll('progress.upload-progress')) {
    if (bar.getClientRects().length) { sessionStorage.setItem('tour:progress-seen', '1'); }
  }
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


def send_mail(app) -> None:
    from bugzot.notify import worker

    with app.app_context():
        worker.run_once()


def activation_path(smtp_server, address: str) -> str:
    for recipients, message in reversed(smtp_server.received):
        if address in recipients:
            body = message.get_body(("plain",)).get_content()
            match = re.search(r"https?://[^/\s]+(/activate/\S+)", body)
            assert match, body
            return match.group(1)
    raise AssertionError(f"no mail to {address}: {smtp_server.received}")


def paste_image(page, selector: str) -> None:
    """Paste a PNG into ``selector`` as a browser does for a screenshot on the clipboard."""
    data = list(png(64, 40))
    page.evaluate("""([selector, bytes]) => {
        const file = new File([new Uint8Array(bytes)], 'screenshot.png', {type: 'image/png'});
        const data = new DataTransfer();
        data.items.add(file);
        const target = document.querySelector(selector);
        target.focus();
        target.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                                          cancelable: true}));
    }""", [selector, data])


def quick_search(tab, words: str) -> None:
    page = tab.page
    if not page.is_visible("#quicksearch"):
        page.click("button.menu-toggle")
    page.fill("#quicksearch", words)
    page.press("#quicksearch", "Enter")
    page.wait_for_load_state("load")


def edit_fields(tab, base: str, bug_id: int, **values) -> None:
    """Open edit mode on the bug page, set ``values`` (control id -> value), save."""
    page = tab.page
    tab.goto(f"{base}/bugs/{bug_id}")
    page.click("button#edit-fields")
    for field, value in values.items():
        control = page.locator(f"form#edit-form #{field}")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    page.click("button#save-changes")
    page.wait_for_load_state("load")
    errors = page.locator("#form-errors")
    assert not errors.count() or not errors.is_visible(), errors.inner_text()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_a_new_users_first_day(device, live_app, live_server, tabs, smtp, make_user,
                               make_product):
    from bugzot.extensions import db

    live_app.config.update(smtp_settings(smtp), ALLOW_REGISTRATION=True)
    smtp.received.clear()
    make_product("Reports", components=("PDF", "CSV"), versions=("3.1",))
    make_user("emma", role="Employee", real_name="Emma Employee")
    db.session.commit()
    base = live_server

    # register, activate from the mail, log in
    rita = tabs(device)
    rita.goto(f"{base}/register")
    rita.page.fill("#username", "rita")
    rita.page.fill("#email", "rita@example.com")
    rita.page.fill("#real_name", "Rita Reporter")
    rita.page.fill("#password", PASSWORD)
    rita.page.fill("#confirm", PASSWORD)
    rita.page.locator("main form button[type=submit]").last.click()
    rita.page.wait_for_load_state("load")
    rita.audit("registered")
    send_mail(live_app)
    rita.goto(base + activation_path(smtp, "rita@example.com"))
    rita.audit("activated")
    log_in(rita, base, "rita")
    rita.audit("first-home")

    # file a bug with a pasted screenshot: the progress bar shows, then the thumbnail
    rita.context.add_init_script(SEE_PROGRESS)
    rita.goto(f"{base}/bugs/new?product=Reports")
    rita.page.fill("#summary", SUMMARY)
    rita.page.fill("#description", "Export any report with two pages; the footer is gone.")
    paste_image(rita.page, "#description")
    rita.audit("new-bug-with-screenshot")

    rita.page.click("button:has-text('File the bug')")
    rita.page.wait_for_url(re.compile(r".*/bugs/\d+$"))
    assert rita.page.evaluate("sessionStorage.getItem('tour:progress-seen')") == "1"
    bug_id = int(rita.page.url.rsplit("/", 1)[1])
    thumb = rita.page.locator("li.timeline-item img.thumbnail").first
    thumb.wait_for()
    assert rita.page.evaluate("img => img.complete && img.naturalWidth === 64", thumb.element_handle())
    rita.audit("bug-filed")

    # reload mid-typing: the draft comes back
    rita.page.fill("#comment", "It also happens with three pages.")
    rita.page.reload()
    assert rita.page.input_value("#comment") == "It also happens with three pages."
    rita.page.click("form#comment-form button[type=submit]")
    rita.page.wait_for_load_state("load")
    assert rita.page.locator("li.timeline-item.comment", has_text="three pages").count() == 1

    # the Employee comments privately; the Reporter does not see it
    emma = tabs(device)
    log_in(emma, base, "emma")
    emma.goto(f"{base}/bugs/{bug_id}")
    emma.page.fill("#comment", "Internal: the customer is ACME.")
    emma.page.check("#comment-private")
    emma.page.click("form#comment-form button[type=submit]")
    emma.page.wait_for_load_state("load")
    assert emma.page.locator("li.timeline-item.comment.private", has_text="ACME").count() == 1
    emma.audit("bug-as-employee")
    rita.goto(f"{base}/bugs/{bug_id}")
    assert "ACME" not in rita.page.content()
    assert rita.page.locator("li.timeline-item.comment.private").count() == 0

    # edit mode: ASSIGNED to herself, and "My bugs" and assignee:me find it
    edit_fields(emma, base, bug_id, bug_status="ASSIGNED", assigned_to="emma")
    emma.page.wait_for_selector(".badge:has-text('ASSIGNED')")
    emma.audit("bug-assigned")
    emma.goto(f"{base}/")
    mine = emma.page.locator("section.dashboard-section[data-kind=assigned]")
    assert mine.locator(f"a.bug-link[href$='/bugs/{bug_id}']").count() == 1
    assert mine.locator(".count").inner_text().split()[0] == "1"
    emma.audit("my-bugs")
    quick_search(emma, "assignee:me")
    assert emma.page.locator(f"a[href$='/bugs/{bug_id}']").count() >= 1
    emma.audit("assignee-me")
    quick_search(rita, "footer export")
    assert rita.page.locator(f"a[href$='/bugs/{bug_id}']").count() >= 1
    rita.audit("quick-search")

    # mid-air: a second context of Emma's loaded the bug before the first saved
    emma2 = tabs(device)
    log_in(emma2, base, "emma")
    emma2.goto(f"{base}/bugs/{bug_id}")
    emma2.page.click("button#edit-fields")
    emma2.page.select_option("form#edit-form #priority", "P1") \
        if emma2.page.locator("form#edit-form #priority").count() else None
    edit_fields(emma, base, bug_id, bug_status="RESOLVED", resolution="FIXED",
                **{"edit-comment": "Fixed: the exporter now lays out the footer last."})
    emma.page.wait_for_selector(".badge:has-text('RESOLVED')")
    emma2.page.click("button#save-changes")
    emma2.page.wait_for_selector("text=Mid-air collision")
    emma2.audit("mid-air")

    edit_fields(emma, base, bug_id, bug_status="VERIFIED")
    emma.page.wait_for_selector(".badge:has-text('VERIFIED')")
    changes = emma.page.locator("li.timeline-item.change")
    assert changes.count() >= 3
    emma.audit("bug-verified")
