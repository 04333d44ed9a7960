"""The services refuse, by themselves, every caller without the permission: no view,
no ``@require``, just the service call a REST endpoint or a CLI command would make.
Each refusal writes nothing."""

from __future__ import annotations

import io

import pytest
from factories import new_bug, new_product, new_user
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from bugzot import permissions as P
from bugzot.exceptions import Forbidden, NotFound, ServiceError
from bugzot.extensions import db
from bugzot.models import (
    Attachment,
    Bug,
    BugChange,
    Classification,
    Comment,
    Component,
    Milestone,
    Product,
    Role,
    SavedSearch,
    User,
    Version,
)
from bugzot.permissions import SYSTEM
from bugzot.services import accounts, attachments, bugs, catalogue, roles, search
from bugzot.services.commands import BugEdit, NewBug, NewComment, Upload
from bugzot.services.read import users as users_read
from bugzot.services.roles import role_by_name

ANONYMOUS = "anonymous"
TABLES = (Attachment, Bug, BugChange, Classification, Comment, Component, Milestone, Product, Role,
          SavedSearch, User, Version)


@pytest.fixture(scope="module")
def world_ids(module_db):
    """A product, a bug with an attachment, custom roles and one user per role, built once
    per module; their ids."""
    with module_db.app_context():
        people = {role: new_user(role.lower(), role=role)
                  for role in (P.REPORTER, P.EMPLOYEE, P.SUPERVISOR, P.ADMIN)}
        roles.save_role(SYSTEM, None, "Helpdesk", "", [P.BUG_VIEW, P.ADMIN_USERS])
        people["Helpdesk"] = new_user("desk", role="Helpdesk")
        roles.save_role(SYSTEM, None, "Lurker", "", [P.BUG_VIEW])  # may look, nothing else
        people["Lurker"] = new_user("lurker", role="Lurker")
        roles.save_role(SYSTEM, None, "Spare", "", [])  # held by nobody: may be deleted
        product = new_product("Widget")
        bug = new_bug(product=product, reporter=people[P.REPORTER])
        secret = new_bug(product=product, reporter=people[P.EMPLOYEE], is_private=True)
        attachment = attachments.add_attachment(people[P.EMPLOYEE], bug,
                                                Upload("log.txt", io.BytesIO(b"log\n")))
        return {"people": {k: u.id for k, u in people.items()}, "product": product.id,
                "bug": bug.id, "secret": secret.id, "attachment": attachment.id}


@pytest.fixture
def world(app, world_ids):
    """The objects of ``world_ids`` in this test's session."""
    people = {k: db.session.get(User, i) for k, i in world_ids["people"].items()}
    people[ANONYMOUS] = AnonymousUserMixin()
    return {"people": people, "product": db.session.get(Product, world_ids["product"]),
            "bug": db.session.get(Bug, world_ids["bug"]),
            "secret": db.session.get(Bug, world_ids["secret"]),
            "attachment": db.session.get(Attachment, world_ids["attachment"])}


def _counts() -> dict[str, int]:
    return {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


# (name, who is refused, the call) -- each call is what a REST endpoint would make.
CASES = [
    ("save_classification", (P.REPORTER, P.SUPERVISOR, ANONYMOUS),
     lambda w, u: catalogue.save_classification(u, None, name="Tools")),
    ("save_product", (P.EMPLOYEE, P.SUPERVISOR, ANONYMOUS),
     lambda w, u: catalogue.save_product(u, None, name="Gadget",
                                         classification_id=w["product"].classification_id)),
    ("rename_product", (P.SUPERVISOR, "Helpdesk"),
     lambda w, u: catalogue.save_product(u, w["product"], name="Renamed",
                                         classification_id=w["product"].classification_id)),
    ("save_component", (P.REPORTER, P.EMPLOYEE, "Helpdesk", ANONYMOUS),
     lambda w, u: catalogue.save_component(u, w["product"], None, name="Motor")),
    ("save_version", (P.REPORTER, P.EMPLOYEE, ANONYMOUS),
     lambda w, u: catalogue.save_version(u, w["product"], None, value="9.9")),
    ("save_milestone", (P.REPORTER, P.EMPLOYEE, ANONYMOUS),
     lambda w, u: catalogue.save_milestone(u, w["product"], None, value="M9")),
    ("save_role", (P.SUPERVISOR, "Helpdesk", ANONYMOUS),
     lambda w, u: roles.save_role(u, None, "Sneaky", "", list(P.ALL_PERMISSIONS))),
    ("delete_role", (P.SUPERVISOR, "Helpdesk", ANONYMOUS),
     lambda w, u: roles.delete_role(u, role_by_name("Spare"))),
    ("create_user", (P.SUPERVISOR, ANONYMOUS),
     lambda w, u: accounts.create_user(u, "newbie", "newbie@example.com", "long-enough-pw")),
    ("create_admin_by_user_manager", ("Helpdesk",),
     lambda w, u: accounts.create_user(u, "newbie", "newbie@example.com", "long-enough-pw",
                                       role_name=P.ADMIN)),
    ("admin_update_user", (P.SUPERVISOR, ANONYMOUS),
     lambda w, u: accounts.admin_update_user(u, w["people"][P.REPORTER],
                                             role=role_by_name(P.REPORTER), is_active=False,
                                             real_name="")),
    ("disable_an_admin", ("Helpdesk",),
     lambda w, u: accounts.admin_update_user(u, w["people"][P.ADMIN],
                                             role=role_by_name(P.ADMIN), is_active=False,
                                             real_name="")),
    ("find_users", (P.SUPERVISOR, ANONYMOUS), lambda w, u: users_read.find_users(u, "")),
    ("file_bug", ("Lurker", ANONYMOUS),
     lambda w, u: bugs.file_bug(u, NewBug(product="Widget", component="General", version="1.0",
                                          summary="x"))),
    ("file_private_bug", (P.REPORTER,),
     lambda w, u: bugs.file_bug(u, NewBug(product="Widget", component="General", version="1.0",
                                          summary="x", is_private=True))),
    ("comment", ("Lurker", ANONYMOUS),
     lambda w, u: bugs.update_bug(u, w["bug"], BugEdit(None, comment=NewComment("Hi")))),
    ("private_comment", (P.REPORTER,),
     lambda w, u: bugs.update_bug(u, w["bug"], BugEdit(None, comment=NewComment("Hi", True)))),
    ("priority", (P.REPORTER, "Lurker"),
     lambda w, u: bugs.update_bug(u, w["bug"], BugEdit(None, {"priority": "P1"}))),
    ("status", (P.REPORTER,),
     lambda w, u: bugs.update_bug(u, w["bug"], BugEdit(None, {"bug_status": "ASSIGNED"}))),
    ("edit_a_private_bug", (P.REPORTER, "Lurker"),
     lambda w, u: bugs.update_bug(u, w["secret"], BugEdit(None, comment=NewComment("Hi")))),
    ("hide_comment", (P.EMPLOYEE, P.REPORTER, ANONYMOUS),
     lambda w, u: bugs.set_comment_hidden(u, db.session.scalar(
         select(Comment).where(Comment.bug_id == w["bug"].id)), True)),
    ("add_attachment", ("Lurker", ANONYMOUS),
     lambda w, u: attachments.add_attachment(u, w["bug"], Upload("x.txt", io.BytesIO(b"x\n")))),
    ("edit_others_attachment", (P.REPORTER,),  # the bug's reporter, not the uploader
     lambda w, u: attachments.update_attachment(u, w["attachment"], description="Mine",
                                                is_patch=False, is_obsolete=True,
                                                is_private=False)),
    ("save_search", (ANONYMOUS,), lambda w, u: search.save_search(u, "Mine", "status=all")),
]


@pytest.mark.parametrize("name, refused, call", CASES, ids=[c[0] for c in CASES])
def test_service_refuses_without_the_permission(world, name, refused, call):
    for who in refused:
        before = _counts()
        with pytest.raises(ServiceError) as info:
            call(world, world["people"][who])
        assert isinstance(info.value, Forbidden | NotFound), (who, info.value.message)
        db.session.rollback()
        assert _counts() == before, who


@pytest.mark.parametrize("name, refused, call", [c for c in CASES if c[0] not in (
    "create_admin_by_user_manager", "disable_an_admin", "edit_others_attachment")],
    ids=[c[0] for c in CASES if c[0] not in (
        "create_admin_by_user_manager", "disable_an_admin", "edit_others_attachment")])
def test_the_same_call_works_for_an_admin(world, name, refused, call):
    """Each refusal above is about the caller: the very same call goes through for an Admin."""
    call(world, world["people"][P.ADMIN])
