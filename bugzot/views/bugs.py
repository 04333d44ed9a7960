"""Bug pages: filing (``/bugs/new``), the bug page with its one edit form, uploads,
and hiding comments. Lists and search live in the ``search`` blueprint."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from bugzot import permissions, visibility
from bugzot.extensions import db
from bugzot.forms import apply_error
from bugzot.forms.bugs import BugEditForm, FileBugForm, HideCommentForm, UploadForm
from bugzot.markup import render_comment
from bugzot.models import Bug, Comment, Product
from bugzot.permissions import require
from bugzot.services import ServiceError, attachments, bugs
from bugzot.services.bugs.fields import EDITABLE_FIELDS, HISTORY_LABELS, current_values

bp = Blueprint("bugs", __name__)
DRAFT_CLEAR = "bugzot_draft_clear"  # session key: a localStorage draft to drop on the next page


def _visible_bug_or_404(bug_id: int, page: bool = False):
    """The bug if ``current_user`` may see it (``page``: with what the bug page shows)."""
    if page:
        bug = db.session.scalar(_PAGE_BUG[visibility.bug_viewer(current_user)], {
            "bug_id": bug_id, "viewer_id": getattr(current_user, "id", None)})
    else:
        bug = visibility.visible_bug(current_user, bug_id)
    if bug is None:
        abort(404, f"Bug {bug_id} does not exist or you may not see it.")
    return bug


def _names(items: list[tuple[str, bool]], current: str = "", blank: bool = False) -> list:
    """Select choices from (name, is_active) pairs: the active ones, plus the current value."""
    values = [name for name, active in items if active]
    if current and current not in values:
        values.append(current)
    return ([SelectChoice("", "—")] if blank else []) + values


# -- filing -----------------------------------------------------------------------------
@bp.route("/bugs/new", methods=["GET", "POST"])
@require(permissions.BUG_CREATE)
def new():
    """Choose a product, then fill in the bug form (``?product=NAME`` skips the choice)."""
    name = request.values.get("product", "")
    product = db.session.scalar(select(Product).where(Product.name == name, Product.is_active))
    if product is None and request.method == "GET":
        if name:
            flash(f"There is no open product called {name!r}; choose one below.", "error")
        return render_template("bugs/choose_product.html", products=bugs.products_for_filing())
    form = FileBugForm()
    if request.method == "GET":
        form.product.data = product.name
    names = bugs.catalogue_names(product.id) if product else {}
    form.component.choices = _names(names.get("component", []))
    form.version.choices = _names(names.get("version", []))
    if product and not form.version.choices:
        form.version.choices = [SelectChoice("", "—")]
    if form.validate_on_submit():
        try:
            bug = bugs.file_bug(
                current_user, product=form.product.data, component=form.component.data or "",
                version=form.version.data or "", severity=form.severity.data,
                priority=form.priority.data, platform=form.platform.data,
                op_sys=form.op_sys.data, summary=form.summary.data,
                description=form.description.data or "", cc=form.cc.data or "",
                upload=form.file.data or None,
                attachment_description=form.attachment_description.data or "")
        except ServiceError as exc:
            apply_error(form, exc)
        else:
            session[DRAFT_CLEAR] = f"bug-new:{form.product.data}"
            flash(f"Bug {bug.id} was filed.", "success")
            return redirect(url_for("bugs.show", bug_id=bug.id))
    elif request.method == "POST" and product is None:
        form.product.errors = list(form.product.errors) + ["Choose a product from the list."]
    status = 400 if request.method == "POST" else 200
    return render_template("bugs/new.html", form=form, product=product,
                           fresh=request.method == "GET"), status


# -- the bug page -------------------------------------------------------------------------
# Statements of the bug page, built once for each kind of viewer (visibility.bugs_rule);
# building a statement per request costs more Python time than running it.
# The bug with its catalogue names joined; its people come in a second statement
# (bugs.load_people): PostgreSQL plans a seven-table join ten times slower than the two.
_PAGE_BUG = {viewer: select(Bug).where(
    Bug.id == bindparam("bug_id"), visibility.bugs_rule(viewer, bindparam("viewer_id")))
    .options(*(joinedload(relation) for relation in (
        Bug.product, Bug.component, Bug.version, Bug.milestone)))
    for viewer in visibility.VIEWERS}
# Duplicates of the bug and the bugs in its dependency lists.
_RELATED = {viewer: select(Bug).where(
    or_(Bug.dup_of_id == bindparam("bug_id"), Bug.id.in_(bindparam("ids", expanding=True))),
    visibility.bugs_rule(viewer, bindparam("viewer_id"))).order_by(Bug.id)
    for viewer in visibility.VIEWERS}


def _edit_form(bug, values: dict[str, str], cc: list, form: BugEditForm | None = None
               ) -> BugEditForm:
    """The page's form: current values on GET, choices for the (possibly posted) product."""
    if form is None:
        form = BugEditForm(formdata=None, data={**values, "revision": bug.revision})
    product = bug.product
    if form.product.data and form.product.data != product.name:
        product = db.session.scalar(select(Product).where(Product.name == form.product.data)) \
            or product
    same = product.id == bug.product_id
    names = bugs.catalogue_names(product.id)
    form.product.choices = _names(names["product"], values["product"])
    form.component.choices = _names(names["component"], values["component"] if same else "")
    form.version.choices = _names(names["version"], values["version"] if same else "",
                                  blank=True)
    form.target_milestone.choices = _names(names["milestone"], values["target_milestone"]
                                           if same else "", blank=True)
    form.bug_status.choices = bugs.status_choices(current_user, bug)
    form.removecc.choices = [u.username for u in cc]
    return form


def render_bug(bug, form: BugEditForm | None = None, *, conflict: dict | None = None,
               status: int = 200):
    """Render the bug page (also the mid-air page and the page with form errors)."""
    user = current_user
    comments = visibility.visible_comments(user, bug)
    values, cc = current_values(bug), bugs.cc_users(bug)
    form = _edit_form(bug, values, cc, form)
    editable = bugs.editable_fields(user, bug)
    for name in EDITABLE_FIELDS:  # errors on fields not rendered for this user go on top
        if name not in editable and form[name].errors:
            form.form_errors.extend(form[name].errors)
    return render_template(
        "bugs/show.html", bug=bug, form=form, editable=editable, comments=comments,
        readable={c.id for c in comments if visibility.can_read_comment(user, c)},
        attachments=visibility.visible_attachments(user, bug),
        history=visibility.visible_history(user, bug), labels=HISTORY_LABELS,
        cc=cc, **_related(bug, values["dependson"], values["blocked"]),
        upload=UploadForm(formdata=None),
        conflict=conflict, render_comment=render_comment,
        draft_clear=session.pop(DRAFT_CLEAR, None)), status


def _related(bug, dependson: str, blocked: str) -> dict[str, list]:
    """In one query, the visible duplicates of ``bug`` (``duplicates``) and (id, visible
    bug or None) pairs for its two dependency lists (``dependson``, ``blocked``)."""
    lists = {"dependson": [int(i) for i in dependson.split(", ") if i],
             "blocked": [int(i) for i in blocked.split(", ") if i]}
    found = db.session.scalars(_RELATED[visibility.bug_viewer(current_user)], {
        "bug_id": bug.id, "ids": lists["dependson"] + lists["blocked"],
        "viewer_id": getattr(current_user, "id", None)}).all()
    seen = {b.id: b for b in found}
    return {"duplicates": [b for b in found if b.dup_of_id == bug.id],
            **{name: [(i, seen.get(i)) for i in items] for name, items in lists.items()}}


@bp.get("/bugs/<int:bug_id>")
@require(permissions.BUG_VIEW)
def show(bug_id: int):
    """Everything about one bug, with the edit-and-comment form."""
    bug = _visible_bug_or_404(bug_id, page=True)
    bugs.load_people(bug)
    return render_bug(bug)


@bp.post("/bugs/<int:bug_id>")
@require(permissions.BUG_VIEW)
def update(bug_id: int):
    """Save the bug page's form: all of it or nothing; a mid-air collision saves nothing."""
    bug = _visible_bug_or_404(bug_id)
    form = BugEditForm()
    if not form.validate_on_submit():
        return render_bug(bug, form, status=400)
    try:
        result = bugs.update_bug(
            current_user, bug, form.posted_values(), revision=form.revision.data,
            comment=form.comment.data or "", comment_private=form.is_private.data,
            add_self_cc=form.addselfcc.data, cc_add=form.newcc.data or "",
            cc_remove=form.removecc.data or [])
    except bugs.MidAirCollision as exc:
        return _mid_air(bug, form, exc.loaded_revision)
    except ServiceError as exc:
        apply_error(form, exc)
        return render_bug(bug, form, status=exc.status)
    session[DRAFT_CLEAR] = f"bug-{bug.id}"
    flash("Your changes were saved.", "success")
    anchor = f"c{result.comment.number}" if result.comment else None
    return redirect(url_for("bugs.show", bug_id=bug.id, _anchor=anchor))


def _mid_air(bug, posted: BugEditForm, loaded_revision: int):
    """The conflict page: what others changed (that the user may see), and the user's
    own edits and comment kept in the form, ready to submit again."""
    db.session.refresh(bug)
    merged = bugs.merge_after_conflict(bug, loaded_revision, posted.posted_values())
    form = BugEditForm(formdata=None, data={
        **current_values(bug), **merged, "revision": bug.revision,
        "comment": posted.comment.data, "is_private": posted.is_private.data,
        "addselfcc": posted.addselfcc.data, "newcc": posted.newcc.data,
        "removecc": posted.removecc.data})
    conflict = {"changes": visibility.visible_history(current_user, bug, loaded_revision),
                "comments": visibility.visible_comments(current_user, bug, loaded_revision)}
    return render_bug(bug, form, conflict=conflict, status=409)


# -- attachments and comments ------------------------------------------------------------
@bp.route("/bugs/<int:bug_id>/attachments", methods=["GET", "POST"])
@require(permissions.BUG_ATTACH)
def attach(bug_id: int):
    """Upload an attachment (the form is also on the bug page)."""
    bug = _visible_bug_or_404(bug_id)
    form = UploadForm()
    if form.validate_on_submit():
        try:
            attachment = attachments.add_attachment(
                current_user, bug, form.file.data, description=form.description.data or "",
                is_patch=form.is_patch.data, is_private=form.is_private.data,
                comment=form.comment.data or "")
        except ServiceError as exc:
            apply_error(form, exc)
        else:
            flash(f"Attachment {attachment.id} was added.", "success")
            return redirect(url_for("bugs.show", bug_id=bug.id, _anchor=f"a{attachment.id}"))
    status = 400 if request.method == "POST" else 200
    return render_template("bugs/attach.html", bug=bug, form=form), status


@bp.post("/bugs/<int:bug_id>/comments/<int:number>/hide")
@require(permissions.COMMENT_HIDE)
def hide_comment(bug_id: int, number: int):
    """Hide (or, with hidden=0, unhide) a comment; recorded in the history."""
    bug = _visible_bug_or_404(bug_id)
    comment = db.session.scalar(select(Comment).where(Comment.bug_id == bug.id,
                                                      Comment.number == number))
    form = HideCommentForm()
    if comment is None or not visibility.can_see_comment(current_user, comment):
        abort(404, "There is no such comment.")
    if not form.validate_on_submit():
        abort(400, "The form expired. Reload the page and try again.")
    try:
        bugs.set_comment_hidden(current_user, comment, form.hidden.data == "1")
    except ServiceError as exc:
        abort(exc.status, exc.message)
    flash(f"Comment {number} is now {'hidden' if comment.is_hidden else 'shown'}.", "success")
    return redirect(url_for("bugs.show", bug_id=bug.id, _anchor=f"c{number}"))
