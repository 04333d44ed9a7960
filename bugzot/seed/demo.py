"""Demo data so a new user can click around: products, components, one user per role."""

from __future__ import annotations

import io

from sqlalchemy import select

from bugzot import permissions
from bugzot.extensions import db
from bugzot.models import Bug, Classification, Product, User
from bugzot.permissions import SYSTEM
from bugzot.services import accounts, catalogue
from bugzot.services.roles import ensure_default_roles

DEMO_USERS = (  # (role, username, real name)
    (permissions.ADMIN, "admin", "Ada Admin"),
    (permissions.SUPERVISOR, "supervisor", "Sam Supervisor"),
    (permissions.EMPLOYEE, "employee", "Eve Employee"),
    (permissions.REPORTER, "reporter", "Ray Reporter"),
)

DEMO_CATALOGUE = {  # classification -> {product: (description, components, versions, milestones)}
    "Client Software": {
        "Desktop App": ("The Windows and Linux desktop client.",
                        ("Installer", "User Interface", "Sync Engine"), ("1.0", "1.1", "2.0"),
                        ("2.1", "3.0")),
        "Mobile App": ("Android and iOS apps.", ("Android", "iOS", "Push Notifications"),
                       ("4.2", "4.3"), ("4.4",)),
    },
    "Services": {
        "Web Portal": ("The customer-facing web portal.", ("Login", "Billing", "Reports"),
                       ("2025.1", "2025.2", "2026.1"), ("2026.2",)),
        "Intranet Tools": ("Internal tools for staff.", ("Wiki", "Timesheets"), ("unspecified",),
                           ()),
    },
}


def seed_demo(password: str) -> list[tuple[str, str]]:
    """Create whatever of the demo data is missing, through the services (as the system
    operator); return (role, username) pairs."""
    ensure_default_roles()
    users = {}
    for role_name, username, real_name in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = accounts.create_user(SYSTEM, username, f"{username}@example.com", password,
                                        real_name=real_name, role_name=role_name)
        users[role_name] = user
    for sortkey, (cname, products) in enumerate(DEMO_CATALOGUE.items()):
        classification = db.session.scalar(select(Classification).where(Classification.name == cname))
        if classification is None:
            classification = catalogue.save_classification(SYSTEM, None, name=cname, sortkey=sortkey)
        for pname, (desc, components, versions, milestones) in products.items():
            if db.session.scalar(select(Product.id).where(Product.name == pname)):
                continue
            product = catalogue.save_product(SYSTEM, None, name=pname, description=desc,
                                             classification_id=classification.id)
            for comp in components:
                catalogue.save_component(SYSTEM, product, None, name=comp,
                                         description=f"{comp} of {pname}",
                                         default_assignee=users[permissions.EMPLOYEE],
                                         default_qa_contact=users[permissions.SUPERVISOR])
            for value in versions:
                catalogue.save_version(SYSTEM, product, None, value=value)
            for i, value in enumerate(milestones):
                catalogue.save_milestone(SYSTEM, product, None, value=value, sortkey=i)
    if not db.session.scalar(select(Bug.id).limit(1)):
        _seed_bugs(users)
    return [(role, username) for role, username, _ in DEMO_USERS]


DEMO_PATCH = b"""diff --git a/sync/reconnect.py b/sync/reconnect.py
--- a/sync/reconnect.py
+++ b/sync/reconnect.py
@@ -10,7 +10,9 @@ class Reconnector:
     def on_resume(self):
-        self.retry_later()
+        # the network comes back after resume: listen for it instead of waiting
+        self.watch_network_changes()
+        self.retry_now()
"""


def _seed_bugs(users: dict[str, User]) -> None:
    """A few bugs with comments, history, a dependency, a duplicate and a patch."""
    from bugzot.services import attachments
    from bugzot.services.bugs import BugEdit, NewBug, NewComment, Upload, file_bug, update_bug

    reporter, employee = users[permissions.REPORTER], users[permissions.EMPLOYEE]
    supervisor = users[permissions.SUPERVISOR]

    def edit(bug, user, comment="", private=False, **values):
        update_bug(user, bug, BugEdit(bug.revision, values,
                                      comment=NewComment(comment, private) if comment else None))

    def file(user, **values):
        return file_bug(user, NewBug(**values))

    installer = file(
        reporter, product="Desktop App", component="Installer", version="2.0", severity="major",
        op_sys="Windows", platform="PC", summary="Installer fails on Windows 11 with error 0x80070643",
        description="1. Download the 2.0 installer\n2. Run it as a normal user\n\n"
                    "It stops at 80 % with `0x80070643`. The log says *access denied*.")
    edit(installer, employee, "I can reproduce this on a clean VM. Taking it.",
         bug_status="ASSIGNED", priority="P2")
    edit(installer, employee, "Customer ticket 4711 (ACME) hits the same error.", private=True)
    edit(installer, reporter, "Running it as administrator works, see comment 1.")
    reconnect = file(
        employee, product="Desktop App", component="Sync Engine", version="2.0", severity="normal",
        summary="Reconnect logic ignores network change events",
        description="The reconnector only retries on a timer; it never listens for the OS "
                    "network-change notification.")
    sync = file(
        reporter, product="Desktop App", component="Sync Engine", version="2.0",
        severity="critical", priority="P1", summary="Sync stops after the laptop wakes from sleep",
        description="After resume, sync shows *Connecting...* forever until I restart the app.")
    edit(sync, employee, f"Caused by bug {reconnect.id}.", dependson=frozenset({reconnect.id}))
    attachments.add_attachment(employee, reconnect, Upload(
        "reconnect.patch", io.BytesIO(DEMO_PATCH),
        description="Listen for network changes on resume", is_patch=True))
    invoice = file(
        reporter, product="Web Portal", component="Billing", version="2026.1", severity="major",
        summary="Invoice PDF shows the wrong VAT rate for Austria",
        description="Invoices for Austrian customers show 19 % VAT instead of 20 %.")
    edit(invoice, employee, "Fixed the rate table; deployed to production.",
         bug_status="RESOLVED", resolution="FIXED")
    edit(invoice, supervisor, "Checked three new invoices: all show 20 %.", bug_status="VERIFIED")
    focus = file(
        reporter, product="Web Portal", component="Login", version="2026.1", severity="minor",
        summary="Password field loses focus after a failed login",
        description="After a wrong password, the cursor is nowhere; I have to click the field.")
    duplicate = file(
        employee, product="Web Portal", component="Login", version="2026.1", severity="minor",
        summary="Cannot type the password again after an error",
        description="Same as the focus problem, probably.")
    edit(duplicate, employee, "Same problem.", bug_status="RESOLVED", resolution="DUPLICATE",
         dup_id=focus.id)
    file(reporter, product="Mobile App", component="Push Notifications", version="4.3",
             severity="normal", op_sys="Android", summary="Push notifications arrive twice",
             description="Every chat message produces two notifications on Android 14.")
