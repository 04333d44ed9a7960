"""Every main page in a real browser, at 1366 px and at 390 px (and in dark mode): no console errors, no
CSP violations, no horizontal scrolling and zero axe-core violations, with a screenshot
of each under test-artifacts/screenshots/ (see browser_support.Tab.audit).

One data set per width (an Admin, a product, open and closed bugs, comments, history,
an attachment); the pages are visited as the Admin (who sees every page and link),
then the public pages logged out.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def png(width: int = 48, height: int = 32) -> bytes:
    """A real (decodable) PNG image: a red rectangle."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def build_world(make_user, make_product, make_bug):
    """The data the pages show; returns (admin, bug)."""
    from bugzot.services import attachments, bugs
    from bugzot.services.commands import BugEdit, NewComment, Upload

    admin = make_user("ada", role="Admin", real_name="Ada Admin")
    dev = make_user("dev", role="Employee", real_name="Dee Veloper")
    reporter = make_user("rita", role="Reporter")
    product = make_product("Widget", components=("Core", "UI"), versions=("1.0", "2.0"),
                           milestones=("M1", "M2"))
    bug = make_bug(product, reporter, summary="Saving a long document loses the last paragraph",
                   description="Steps:\n\n1. Open a **long** document\n2. Save\n\n`expected`: all text kept",
                   )
    bugs.update_bug(dev, bug, BugEdit(bug.revision, {"bug_status": "ASSIGNED", "assigned_to": dev},
                                      comment=NewComment("I can reproduce this on 2.0.")))
    bugs.update_bug(dev, bug, BugEdit(bug.revision, {}, comment=NewComment(
        "Internal: the customer is ACME.", is_private=True)))
    attachments.add_attachment(reporter, bug, Upload("screenshot.png", io.BytesIO(png()),
                                                     description="What I see"))
    attachments.add_attachment(reporter, bug, Upload("save.log", io.BytesIO(b"INFO start\nERROR lost\n"),
                                                     description="The log"))
    for n in range(12):
        make_bug(product, reporter, summary=f"Another problem number {n} with a fairly long summary line",
                 component="UI" if n % 2 else "Core", status="RESOLVED" if n % 4 == 0 else None)
    return admin, bug


def log_in(tab, base: str, login: str) -> None:
    tab.goto(f"{base}/login")
    tab.page.fill("input[name=login]", login)
    tab.page.fill("input[name=password]", PASSWORD)
    tab.page.locator("main form button[type=submit]").last.click()
    tab.page.wait_for_url(f"{base}/")


ADMIN_PAGES = [
    ("home", "/"),
    ("bug-list", "/bugs"),
    ("bug-list-all", "/bugs?status=all"),
    ("quick-search-terms", "/bugs?q=product:Widget+is:open"),
    ("search-words", "/bugs?q=document"),
    ("report", "/reports"),
    ("bug", "/bugs/{bug}"),
    ("new-bug-choose", "/bugs/new"),
    ("new-bug", "/bugs/new?product=Widget"),
    ("attach", "/bugs/{bug}/attachments"),
    ("product", "/products/Widget"),
    ("saved-searches", "/searches"),
    ("prefs", "/prefs"),
    ("prefs-notifications", "/prefs/notifications"),
    ("prefs-api-keys", "/prefs/api-keys"),
    ("admin", "/admin/"),
    ("admin-users", "/admin/users"),
    ("admin-classifications", "/admin/classifications"),
    ("admin-products", "/admin/products"),
    ("admin-roles", "/admin/roles"),
    ("admin-mail", "/admin/mail"),
    ("admin-webhooks", "/admin/webhooks"),
]
PUBLIC_PAGES = [("login", "/login"), ("register", "/register"), ("reset-password", "/reset-password")]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("device", "scheme"), [("laptop", "light"), ("phone", "light"),
                                               ("phone", "dark")])
def test_every_main_page_passes_the_checks(device, scheme, live_app, live_server, tabs, make_user,
                                           make_product, make_bug):
    admin, bug = build_world(make_user, make_product, make_bug)
    bug_id = bug.id
    from bugzot.extensions import db
    db.session.commit()
    base = live_server
    tab = tabs(device, scheme)
    log_in(tab, base, admin.username)
    failures = []
    for name, path in ADMIN_PAGES:
        assert tab.goto(base + path.format(bug=bug_id)).status == 200, path
        try:
            tab.audit(name)
        except AssertionError as exc:
            failures.append(str(exc))
    tab.context.clear_cookies()  # logged out
    for name, path in PUBLIC_PAGES:
        assert tab.goto(base + path).status == 200, path
        try:
            tab.audit(name)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)
