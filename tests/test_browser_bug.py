"""The bug page and the filing form in a real browser (headless Chromium), on a laptop
(1366 px) and a phone (390 px): a pasted screenshot filed with the bug (progress bar,
then the thumbnail), public and private comments (a Reporter's browser never shows the
private one), the workflow in edit mode, the mid-air page in a second browser, the
Markdown preview, people suggestions; no script errors, no horizontal scrolling."""

from __future__ import annotations

import pytest
from conftest import PASSWORD

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}

# A screenshot made by the page itself (canvas -> PNG File), put in a DataTransfer and
# dispatched as a paste (filing form) or a drop (comment box), as a user's would be.
MAKE_IMAGE = """async ([selector, kind]) => {
  const canvas = document.createElement('canvas');
  canvas.width = 48; canvas.height = 32;
  const g = canvas.getContext('2d');
  g.fillStyle = '#c0392b'; g.fillRect(0, 0, 48, 32);
  const blob = await new Promise(done => canvas.toBlob(done, 'image/png'));
  const transfer = new DataTransfer();
  transfer.items.add(new File([blob], 'screenshot.png', {type: 'image/png'}));
  const target = document.querySelector(selector);
  const event = kind === 'paste'
    ? new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true, cancelable: true})
    : new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true});
  target.dispatchEvent(event);
  return event.defaultPrevented;
}"""


def watch(page, problems: list[str]):
    """Record a page's script errors (the fixture does this for its own page)."""
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error"
            and not msg.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return page


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit] >> nth=-1")
    page.wait_for_url(f"{base}/")


def no_horizontal_overflow(page) -> None:
    """The page is no wider than the window (the header included)."""
    wide = page.evaluate("""() => ({width: document.documentElement.scrollWidth,
      window: window.innerWidth,
      offenders: Array.from(document.querySelectorAll('body *')).filter(el => {
        const r = el.getBoundingClientRect();
        return r.width && r.right > window.innerWidth + 1;
      }).map(el => el.tagName + '#' + el.id + '.' + el.className).slice(0, 5)})""")
    assert wide["width"] <= wide["window"], wide


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_bug_page_flows(live_app, live_server, browser_page, make_user, make_product, device):
    base = live_server
    reporter_page, problems = browser_page
    viewport = VIEWPORTS[device]
    browser = reporter_page.context.browser
    make_user("rita", real_name="Rita Reporter")
    make_user("emma", role="Employee", real_name="Emma Employee")
    make_user("quinn", real_name="Quinn Quality")
    make_product("Widget", components=("Core",), versions=("1.0",))

    # -- the Reporter files a bug with a pasted screenshot ---------------------------------
    page = reporter_page
    page.set_viewport_size(viewport)
    log_in(page, base, "rita")
    page.goto(f"{base}/bugs/new?product=Widget")
    no_horizontal_overflow(page)
    page.fill("#summary", "Toolbar is drawn twice")
    page.fill("#description", "See the screenshot.")
    assert page.evaluate(MAKE_IMAGE, ["#description", "paste"]) is True
    assert page.evaluate("document.querySelector('#file').files[0].name") == "screenshot.png"
    held = []
    page.route("**/bugs/new", lambda route: held.append(route) if route.request.method == "POST"
               else route.continue_())
    page.click("button:has-text('File the bug')")
    page.wait_for_selector("progress.upload-progress", state="visible")
    page.wait_for_timeout(50)
    assert held, "the form was not sent by XMLHttpRequest"
    held[0].continue_()
    page.wait_for_url(f"{base}/bugs/1")
    page.unroute("**/bugs/new")
    assert page.is_visible("text=Bug 1 was filed.")
    thumb = page.wait_for_selector("li.timeline-item.comment img.thumbnail")
    page.wait_for_function("img => img.complete && img.naturalWidth === 48", arg=thumb)
    assert page.locator("ol.timeline li.timeline-item.comment").count() == 2  # description, attachment
    no_horizontal_overflow(page)

    # -- an Employee in another browser: preview, private and public comments -------------
    employee_context = browser.new_context(viewport=viewport)
    staff = watch(employee_context.new_page(), problems)
    log_in(staff, base, "emma")
    staff.goto(f"{base}/bugs/1")
    no_horizontal_overflow(staff)
    staff.fill("#comment", "**Bold** claim, see bug 1")
    staff.get_by_role("tab", name="Write").focus()
    staff.keyboard.press("ArrowRight")  # the tabs work with the keyboard
    assert staff.get_by_role("tab", name="Preview").get_attribute("aria-selected") == "true"
    preview = staff.wait_for_selector("#comment-preview strong")
    assert preview.inner_text() == "Bold"
    assert staff.locator('#comment-preview a.ref[href="/bugs/1"]').count() == 1
    staff.get_by_role("tab", name="Write").click()
    staff.fill("#comment", "Internal: the renderer double-buffers")
    staff.check("#comment-private")
    staff.click("#comment-submit")
    staff.wait_for_selector("text=Your changes were saved.")
    assert staff.locator("li.timeline-item.comment.private").count() == 1
    staff.fill("#comment", "Thanks, we can reproduce it.")
    staff.click("#comment-submit")
    staff.wait_for_selector("text=Thanks, we can reproduce it.")

    page.reload()
    assert page.is_visible("text=Thanks, we can reproduce it.")
    assert "double-buffers" not in page.content()
    assert page.locator("li.timeline-item.private").count() == 0
    assert page.locator("#comment-private").count() == 0

    # -- edit mode: people suggestions and the workflow ------------------------------------
    assert staff.is_hidden("#edit-form") and staff.is_visible("#field-values")
    staff.focus("#edit-fields")
    staff.keyboard.press("Enter")
    assert staff.is_visible("#edit-form")
    assert staff.get_attribute("#edit-fields", "aria-expanded") == "true"
    staff.fill("#assigned_to", "qu")
    staff.wait_for_selector("#people-assigned_to option[value=quinn]", state="attached")
    staff.fill("#assigned_to", "emma")
    staff.select_option("#bug_status", "ASSIGNED")
    no_horizontal_overflow(staff)
    staff.click("#save-changes")
    staff.wait_for_selector("text=Your changes were saved.")
    change = staff.locator("li.timeline-item.change").last.inner_text()
    assert "Status" in change and "NEW" in change and "ASSIGNED" in change and "emma" in change

    staff.click("#edit-fields")
    staff.select_option("#bug_status", "RESOLVED")
    staff.select_option("#resolution", "FIXED")
    staff.fill("#edit-comment", "Fixed in the renderer.")
    staff.click("#save-changes")
    staff.wait_for_selector("text=Your changes were saved.")
    assert "RESOLVED FIXED" in staff.inner_text("h1")

    staff.click("#edit-fields")
    staff.select_option("#bug_status", "VERIFIED")
    staff.click("#save-changes")
    staff.wait_for_selector("text=Your changes were saved.")
    assert "VERIFIED FIXED" in staff.inner_text("h1")
    assert "VERIFIED" in staff.locator("li.timeline-item.change").last.inner_text()

    # -- a mid-air collision: both have the page open, the Reporter saves first -------------
    staff.click("#edit-fields")
    staff.select_option("#priority", "P1")
    page.reload()
    page.fill("#comment", "Still there for me.")
    page.click("#comment-submit")
    page.wait_for_selector("text=Your changes were saved.")
    staff.click("#save-changes")
    staff.wait_for_selector("text=Mid-air collision")
    assert staff.evaluate("document.activeElement.id") == "mid-air"
    assert staff.is_visible("#edit-form") and staff.input_value("#priority") == "P1"
    assert staff.is_visible("text=Still there for me.")
    no_horizontal_overflow(staff)

    # -- a screenshot dropped on the comment box ----------------------------------------------
    page.fill("#comment", "The same on the second monitor.")
    assert page.evaluate(MAKE_IMAGE, ["#comment", "drop"]) is True
    page.click("#comment-submit")
    page.wait_for_selector("li.timeline-item.comment >> text=The same on the second monitor.")
    assert page.url == f"{base}/bugs/1#a2"
    assert page.locator("img.thumbnail").count() == 2
    assert page.is_visible("text=Attachment 2 was added.")
    assert page.evaluate("window.localStorage.getItem('bugzot:draft:bug-1')") is None

    employee_context.close()
    assert problems == []
