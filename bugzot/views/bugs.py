"""Bug pages: filing (``/bugs/new``), the bug page with its edit and comment forms,
uploads, hiding comments and the Markdown preview. Lists and search live in the
``search`` blueprint.

Forms posted by ``static/js/upload.js`` (``X-Requested-With: XMLHttpRequest``, to show
upload progress) get JSON: ``{"location": url}`` on success, ``{"errors": [...]}`` else.

Views parse a form into a command, call one service and render; what the pages show
comes from the read side (``services.read``).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from bugzot import permissions, visibility
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.fields import EDITABLE, HISTORY_LABELS, MAX_COMMENT, form_values
from bugzot.forms import apply_error
from bugzot.forms.bugs import BugEditForm, FileBugForm, HideCommentForm, UploadForm
from bugzot.markup import comment_html, render_comment
from bugzot.permissions import require
from bugzot.services import attachments, bugs
from bugzot.services.read import bug_page, catalogue
from bugzot.services.read import bugs as read
from bugzot.views import bug_form, page_cache

bp = Blueprint("bugs", __name__)
DRAFT_CLEAR = page_cache.DRAFT_CLEAR  # session key: a localStorage draft to drop on the next page


def _visible_bug_or_404(bug_id: int):
    bug = visibility.visible_bug(current_user, bug_id)
    if bug is None:
        abort(404, f"Bug {bug_id} does not exist or you may not see it.")
    return bug


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _done(url: str):
    """Go to ``url``: a redirect, or for upload.js the place to go to."""
    return jsonify(location=url) if _wants_json() else redirect(url)


def error_list(form) -> list[dict[str, str | None]]:
    """Every error of ``form`` once: the field's id and label (None above the form)."""
    errors = [{"field": None, "label": None, "message": e} for e in form.form_errors]
    for f in form:
        errors += [{"field": f.id, "label": f.label.text, "message": e} for e in f.errors]
    return errors


def _refused(form, status: int):
    """upload.js's answer to a refused form."""
    return jsonify(errors=[(f"{e['label']}: " if e["label"] else "") + e["message"]
                           for e in error_list(form)]), status


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
    product = catalogue.product_by_name(name, active_only=True)
    if product is None and request.method == "GET":
        if name:
            flash(f"There is no open product called {name!r}; choose one below.", "error")
        return render_template("bugs/choose_product.html",
                               products=catalogue.products_for_filing())
    form = FileBugForm()
    if request.method == "GET":
        form.product.data = product.name
    names = catalogue.catalogue_names(product.id) if product else {}
    form.component.choices = _names(names.get("component", []))
    form.version.choices = _names(names.get("version", []))
    if product and not form.version.choices:
        form.version.choices = [SelectChoice("", "—")]
    if form.validate_on_submit():
        try:
            bug = bugs.file_bug(current_user, form.to_command())
        except ServiceError as exc:
            apply_error(form, exc)
        else:
            session[DRAFT_CLEAR] = f"bug-new:{form.product.data}"
            flash(f"Bug {bug.id} was filed.", "success")
            return _done(url_for("bugs.show", bug_id=bug.id))
    elif request.method == "POST" and product is None:
        form.product.errors = list(form.product.errors) + ["Choose a product from the list."]
    status = 400 if request.method == "POST" else 200
    if status == 400 and _wants_json():
        return _refused(form, status)
    return render_template("bugs/new.html", form=form, product=product,
                           fresh=request.method == "GET"), status


# -- the bug page -------------------------------------------------------------------------
def _form_data(page: bug_page.BugPage, values: dict[str, str]) -> dict:
    """What the page's form holds on GET (``values`` has the bug's "is_private"; the
    form's is the new comment's)."""
    return {**values, "revision": page.bug.revision, "is_private_bug": page.bug.is_private,
            "is_private": False}


def _choices(page: bug_page.BugPage, values: dict[str, str], product_name: str | None
             ) -> dict[str, list]:
    """The choices of the form's selects, for the (possibly posted) product."""
    bug = page.bug
    product = bug.product
    if product_name and product_name != product.name:
        product = catalogue.product_by_name(product_name) or product
    same = product.id == bug.product_id
    names = catalogue.catalogue_names(product.id)
    return {
        "product": _names(names["product"], values["product"]),
        "component": _names(names["component"], values["component"] if same else ""),
        "version": _names(names["version"], values["version"] if same else "", blank=True),
        "target_milestone": _names(names["milestone"], values["target_milestone"]
                                   if same else "", blank=True),
        "bug_status": page.status_choices,
        "removecc": [u.username for u in page.cc],
    }


def _edit_form(page: bug_page.BugPage, values: dict[str, str], form: BugEditForm | None = None
               ) -> BugEditForm:
    """The page's WTForms form (a posted one, or the GET values) with its choices."""
    if form is None:
        form = BugEditForm(formdata=None, data=_form_data(page, values))
    for name, choices in _choices(page, values, form.product.data).items():
        form[name].choices = choices
    return form


# The ids of the comment fields in each of the page's forms (templates/bugs/show.html).
_EDIT_IDS = {"comment": "edit-comment", "is_private": "edit-comment-private"}
_COMMENT_IDS = {"is_private": "comment-private"}


def _posted_from() -> str:
    """Which of the bug page's forms was posted: "edit" (fields) or "comment"."""
    return "edit" if request.form.get("form") == "edit" else "comment"


def _body_context(page: bug_page.BugPage, form: BugEditForm | None = None, *,
                  conflict: dict | None = None) -> dict:
    """What the bug page's body (bugs/_page.html) shows, for this request."""
    values = form_values(page.values)
    if form is None and request.method == "GET":  # plain HTML, no widgets (bug_form.py)
        form = bug_form.plain_form(_form_data(page, values),
                                   _choices(page, values, values["product"]))
    else:
        form = _edit_form(page, values, form)
    errors = error_list(form)
    posted = _posted_from() if request.method == "POST" else None
    ids = _EDIT_IDS if posted == "edit" else _COMMENT_IDS
    for error in errors:  # fields not rendered for this user: no link to them
        if error["field"] in {s.name for s in EDITABLE} - page.editable:
            error["field"] = None
        error["field"] = ids.get(error["field"], error["field"])
    return dict(
        page=page, bug=page.bug, form=form, editable=page.editable,
        values=values, comments=page.comments, readable=page.readable,
        attachments=page.attachments, timeline=page.timeline, labels=HISTORY_LABELS,
        cc=page.cc, upload=UploadForm(formdata=None), conflict=conflict, errors=errors,
        posted=posted, comment_html=comment_html)


def _shell(shown: dict, status: int = 200):
    return render_template("bugs/show.html", **shown,
                           draft_clear=session.pop(DRAFT_CLEAR, None)), status


def render_bug(page: bug_page.BugPage, form: BugEditForm | None = None, *,
               conflict: dict | None = None, status: int = 200):
    """Render the bug page with errors or the mid-air collision (a POST: never kept)."""
    shown = page_cache.body("bugs/_page.html", page.bug.id,
                            lambda: _body_context(page, form, conflict=conflict), keep=False)
    return _shell(shown, status)


def _page_or_404(bug_id: int) -> bug_page.BugPage:
    page = bug_page.bug_page(current_user, bug_id)
    if page is None:
        abort(404, f"Bug {bug_id} does not exist or you may not see it.")
    return page


@bp.get("/bugs/<int:bug_id>")
@require(permissions.BUG_VIEW)
def show(bug_id: int):
    """Everything about one bug, with the edit-and-comment form: the body is kept
    (views/page_cache.py), so a page seen before costs no loading."""
    return page_cache.page("bugs/show.html", "bugs/_page.html", bug_id,
                           lambda: _body_context(_page_or_404(bug_id)),
                           draft_clear=session.pop(DRAFT_CLEAR, None))


@bp.post("/bugs/<int:bug_id>")
@require(permissions.BUG_VIEW)
def update(bug_id: int):
    """Save the bug page's form: all of it or nothing; a mid-air collision saves nothing."""
    bug = _visible_bug_or_404(bug_id)
    form = BugEditForm()
    if not form.validate_on_submit():
        return render_bug(_page_or_404(bug_id), form, status=400)
    edit = form.to_edit(current_user, read.cc_lists([bug.id])[bug.id])
    try:
        result = bugs.update_bug(current_user, bug, edit)
    except bugs.MidAirCollision as exc:
        return _mid_air(bug_id, form, edit, exc.loaded_revision)
    except ServiceError as exc:
        apply_error(form, exc)
        return render_bug(_page_or_404(bug_id), form, status=exc.status)
    if not result.saved:
        form.form_errors.append("Nothing was changed.")
        return render_bug(_page_or_404(bug_id), form, status=400)
    session[DRAFT_CLEAR] = f"bug-{bug.id}" + ("-edit" if _posted_from() == "edit" else "")
    flash("Your changes were saved.", "success")
    anchor = f"c{result.comment.number}" if result.comment else None
    return redirect(url_for("bugs.show", bug_id=bug.id, _anchor=anchor))


def _mid_air(bug_id: int, posted: BugEditForm, edit: bugs.BugEdit, loaded_revision: int):
    """The conflict page: what others changed (that the user may see), and the user's
    own edits and comment kept in the form, ready to submit again."""
    db.session.expire_all()
    page = _page_or_404(bug_id)
    merged = bugs.merge_after_conflict(page.bug, loaded_revision, edit.fields)
    form = BugEditForm(formdata=None, data={
        **form_values(page.values), **merged, "revision": page.bug.revision,
        "is_private_bug": merged.get("is_private", page.bug.is_private) in (True, "1"),
        "comment": posted.comment.data, "is_private": posted.is_private.data,
        "addselfcc": posted.addselfcc.data, "newcc": posted.newcc.data,
        "removecc": posted.removecc.data})
    conflict = bug_page.changes_since(current_user, page.bug, loaded_revision)
    return render_bug(page, form, conflict=conflict, status=409)


# -- attachments and comments ------------------------------------------------------------
@bp.route("/bugs/<int:bug_id>/attachments", methods=["GET", "POST"])
@require(permissions.BUG_ATTACH)
def attach(bug_id: int):
    """Upload an attachment (the form is also on the bug page)."""
    bug = _visible_bug_or_404(bug_id)
    form = UploadForm()
    if form.validate_on_submit():
        try:
            attachment = attachments.add_attachment(current_user, bug, form.to_upload())
        except ServiceError as exc:
            apply_error(form, exc)
        else:
            if request.form.get("form") == "comment":  # dropped on the comment box
                session[DRAFT_CLEAR] = f"bug-{bug.id}"
            flash(f"Attachment {attachment.id} was added.", "success")
            return _done(url_for("bugs.show", bug_id=bug.id, _anchor=f"a{attachment.id}"))
    status = 400 if request.method == "POST" else 200
    if status == 400 and _wants_json():
        return _refused(form, status)
    return render_template("bugs/attach.html", bug=bug, form=form), status


@bp.post("/bugs/<int:bug_id>/comments/<int:number>/hide")
@require(permissions.COMMENT_HIDE)
def hide_comment(bug_id: int, number: int):
    """Hide (or, with hidden=0, unhide) a comment; recorded in the history."""
    bug = _visible_bug_or_404(bug_id)
    comment = read.comment_by_number(bug.id, number)
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


@bp.post("/markup/preview")
@login_required
def preview():
    """The HTML a comment's Markdown becomes (the comment box's Preview tab): rendered
    by the same code as stored comments, so the preview is what will be shown."""
    text = request.form.get("text", "")
    if len(text) > MAX_COMMENT:
        return jsonify(error=f"Comments are at most {MAX_COMMENT} characters."), 400
    bug_id = request.form.get("bug_id", type=int)
    return jsonify(html=str(render_comment(text, bug_id)))
