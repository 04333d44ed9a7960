"""Demo data so a new user can click around: products, components, one user per role."""

from __future__ import annotations

from sqlalchemy import select

from bugzot import permissions
from bugzot.extensions import db
from bugzot.models import Classification, Component, Milestone, Product, User, Version
from bugzot.services import unit_of_work
from bugzot.services.passwords import hash_password
from bugzot.services.roles import ensure_default_roles, role_by_name

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
    """Create whatever of the demo data is missing; return (role, username) pairs."""
    ensure_default_roles()
    with unit_of_work():
        users = {}
        for role_name, username, real_name in DEMO_USERS:
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(username=username, email=f"{username}@example.com",
                            password_hash=hash_password(password), real_name=real_name,
                            role=role_by_name(role_name), is_active=True)
                db.session.add(user)
            users[role_name] = user
        for sortkey, (cname, products) in enumerate(DEMO_CATALOGUE.items()):
            classification = db.session.scalar(select(Classification).where(Classification.name == cname))
            if classification is None:
                classification = Classification(name=cname, sortkey=sortkey)
                db.session.add(classification)
            for pname, (desc, components, versions, milestones) in products.items():
                if db.session.scalar(select(Product.id).where(Product.name == pname)):
                    continue
                product = Product(name=pname, description=desc, classification=classification)
                db.session.add(product)
                for comp in components:
                    db.session.add(Component(product=product, name=comp,
                                             description=f"{comp} of {pname}",
                                             default_assignee=users[permissions.EMPLOYEE],
                                             default_qa_contact=users[permissions.SUPERVISOR]))
                for value in versions:
                    db.session.add(Version(product=product, value=value))
                for i, value in enumerate(milestones):
                    db.session.add(Milestone(product=product, value=value, sortkey=i))
    return [(role, username) for role, username, _ in DEMO_USERS]
