"""Filing a bug: ``file_bug(reporter, NewBug(...))``, with its description as comment 0
and an optional first attachment, in one transaction."""

from __future__ import annotations

from bugzot import permissions, workflow
from bugzot.exceptions import Forbidden, ServiceError
from bugzot.extensions import db
from bugzot.fields import (
    FIELD,
    MAX_COMMENT,
    active_user,
    find_component,
    find_milestone,
    find_product,
    find_version,
)
from bugzot.models import Bug, BugCC, User
from bugzot.services import attachments, unit_of_work
from bugzot.services.bugs import relations
from bugzot.services.commands import NewBug
from bugzot.services.history import History


def file_bug(reporter: User, new: NewBug) -> Bug:
    """File a new bug; its status comes from ``workflow.initial_status`` unless ``new``
    names an open one (imports and tests)."""
    if not permissions.can(reporter, permissions.BUG_CREATE) or not reporter.is_authenticated:
        raise Forbidden("You may not file bugs.")
    product = find_product(new.product)
    if not product.is_active:
        raise ServiceError(f"The product {product.name!r} is closed for new bugs.", "product")
    component = find_component(product, new.component)
    version = find_version(product, new.version) if new.version or product.versions else None
    values = {name: FIELD[name].check(getattr(new, name))
              for name in ("severity", "priority", "platform", "op_sys", "summary")}
    description = (new.description or "").strip()
    if len(description) > MAX_COMMENT:
        raise ServiceError(f"The description is longer than {MAX_COMMENT} characters.",
                           "description")
    cc = {user.id: active_user(user, "cc") for user in new.cc}
    if any(i != reporter.id for i in cc) and not permissions.can(
            reporter, permissions.BUG_CC_OTHERS):
        raise Forbidden("You may only add yourself to the CC list.", "cc")
    if new.is_private and not permissions.can(reporter, permissions.BUG_PRIVATE):
        raise Forbidden("You may not file private bugs.", "is_private")
    status = new.status or workflow.initial_status(reporter, product)
    if status not in workflow.OPEN_STATUSES:
        raise ServiceError("New bugs start in an open status.", "status")
    if new.attachment is not None and not permissions.can(reporter, permissions.BUG_ATTACH):
        raise Forbidden("You may not attach files.", "file")
    assignee = active_user(new.assignee, "assigned_to") or component.default_assignee
    qa_contact = active_user(new.qa_contact, "qa_contact") or component.default_qa_contact
    if (new.assignee or new.qa_contact) and not permissions.can(reporter, permissions.BUG_ASSIGN):
        raise Forbidden("You may not choose who a bug is assigned to.", "assigned_to")
    milestone = find_milestone(product, new.target_milestone) if new.target_milestone else None
    if milestone is not None and not permissions.can(reporter, permissions.BUG_EDIT):
        raise Forbidden("You may not set the target milestone.", "target_milestone")
    links = {"dependson": FIELD["dependson"].check(new.dependson),
             "blocked": FIELD["blocked"].check(new.blocked)}

    def create(history: History) -> Bug:
        bug = Bug(product=product, component=component, version=version, milestone=milestone,
                  status=status, reporter_id=reporter.id, assignee=assignee,
                  qa_contact=qa_contact, is_private=new.is_private, **values)
        bug.created_at = bug.updated_at = history.now
        db.session.add(bug)
        db.session.flush()
        history.filed(bug, description)
        db.session.add_all(BugCC(bug_id=bug.id, user_id=user_id) for user_id in cc)
        if links["dependson"] or links["blocked"]:
            empty = {"dependson": frozenset(), "blocked": frozenset()}
            relations.apply_dependencies(reporter, history, bug, empty, links)
        return bug

    if new.attachment is None:
        with unit_of_work():
            return create(History(reporter))
    return attachments.file_with_attachment(reporter, create, new.attachment)

