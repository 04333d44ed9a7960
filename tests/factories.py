"""Factories for test data, as plain functions: the fixtures of ``conftest`` hand them
out, and module-scoped data sets call them inside ``module_db.app_context()``. Everything
is made through the services, as the pages and the API make it."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.permissions import SYSTEM

PASSWORD = "correct-horse-battery"


def new_user(username: str = None, role: str = "Reporter", password: str = PASSWORD,
             active: bool = True, email: str | None = None, real_name: str = ""):
    """``new_user("ann", role="Employee", active=True)`` -> User."""
    from bugzot.services.accounts import create_user

    username = username or f"user{secrets.token_hex(3)}"
    return create_user(SYSTEM, username, email or f"{username}@example.com", password,
                       real_name=real_name, role_name=role, active=active)


def new_product(name: str = None, components=("General",), versions=("1.0",), milestones=(),
                classification: str = "Default", **fields):
    """A product (in a classification) with components, versions and milestones."""
    from bugzot.models import Classification
    from bugzot.services import catalogue

    name = name or f"Product{secrets.token_hex(3)}"
    cls = db.session.scalar(sa.select(Classification).where(Classification.name == classification))
    if cls is None:
        cls = catalogue.save_classification(SYSTEM, None, name=classification)
    product = catalogue.save_product(SYSTEM, None, name=name, classification_id=cls.id, **fields)
    for c in components:
        catalogue.save_component(SYSTEM, product, None, name=c, description=f"{c} component")
    for v in versions:
        catalogue.save_version(SYSTEM, product, None, value=v)
    for i, m in enumerate(milestones):
        catalogue.save_milestone(SYSTEM, product, None, value=m, sortkey=i)
    return product


def new_bug(product=None, reporter=None, summary: str = "Something is broken",
            description: str = "Steps to reproduce: ...", status: str | None = None,
            resolution: str = "FIXED", **fields):
    """A Bug, filed through ``services.bugs.file_bug``.

    ``product`` is a Product or a name (default: a new product); ``reporter`` a User
    (default: a new Reporter). ``status`` may be any status: open ones are filed
    directly, closed ones are then resolved through the workflow by an Employee
    (``resolution`` defaults to FIXED). Other ``fields`` go to ``file_bug``
    (component, version, severity, priority, platform, op_sys, cc, is_private; ``cc`` is
    a set of users).
    """
    from bugzot.models import Product
    from bugzot.services import bugs
    from bugzot.services.commands import BugEdit, NewBug, NewComment

    if product is None:
        product = new_product()
    if isinstance(product, str):
        product = db.session.scalar(sa.select(Product).where(Product.name == product)) \
            or new_product(product)
    reporter = reporter or new_user(role="Reporter")
    fields.setdefault("component", product.components[0].name)
    fields.setdefault("version", product.versions[0].value if product.versions else "")
    closed = status in ("RESOLVED", "VERIFIED", "CLOSED")
    if isinstance(fields.get("cc"), str):
        fields["cc"] = frozenset(users_named(fields["cc"]))
    bug = bugs.file_bug(reporter, NewBug(product=product.name, summary=summary,
                                         description=description,
                                         status=None if closed else status, **fields))
    if closed:
        employee = new_user(role="Employee")
        path = {"RESOLVED": ["RESOLVED"], "VERIFIED": ["RESOLVED", "VERIFIED"],
                "CLOSED": ["RESOLVED", "CLOSED"]}[status]
        for step in path:
            bugs.update_bug(employee, bug, BugEdit(
                bug.revision, {"bug_status": step, "resolution": resolution},
                comment=NewComment(f"Moving to {step}.")))
    return bug


def users_named(names: str) -> list:
    """The users called ``names`` (comma- or space-separated), for typed commands."""
    from bugzot.forms.fields import usernames
    from bugzot.services.read.users import users_by_username

    found = users_by_username(usernames(names))
    return [found[n] for n in usernames(names)]


def edit(user, bug, fields=None, *, comment: str = "", private: bool = False, cc_add=(),
         cc_remove=(), revision="current"):
    """``services.bugs.update_bug`` with a typed ``BugEdit`` built from keyword values:
    ``fields`` maps field names to typed values (users, sets of ids...), ``cc_add`` and
    ``cc_remove`` are users; ``revision`` defaults to the bug's current one."""
    from bugzot.services import bugs
    from bugzot.services.commands import BugEdit, NewComment, SetEdit

    return bugs.update_bug(user, bug, BugEdit(
        bug.revision if revision == "current" else revision, dict(fields or {}),
        cc=SetEdit(add=frozenset(cc_add), remove=frozenset(cc_remove)),
        comment=NewComment(comment, private) if comment else None))


def cc_of(bug) -> list:
    """The users on ``bug``'s CC list, by username (as the bug page lists them)."""
    from bugzot.services.read.bugs import cc_lists

    return cc_lists([bug.id])[bug.id]


def other_session():
    """A session of "another process": what it commits, the test's session sees only
    when it reads again (transactional tests: a savepoint on the shared connection).

    The test's own transaction ends first, its objects kept as they were loaded (stale,
    as a real process's would be): what the other session commits must not be nested in
    a transaction the test might still roll back. So inside the ``with`` block, read
    nothing through the test's session (take ids before)."""
    from sqlalchemy.orm import Session

    session = db.session()
    if session.in_transaction():
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
    return Session(bind=db.session.get_bind(), join_transaction_mode="create_savepoint")
