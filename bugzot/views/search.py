"""Bug lists, quick search, saved searches, CSV/Atom exports and reports.

Every page here is a GET that only reads; saving and deleting searches are POSTs
that call ``bugzot.services.search``. Query-string problems (unknown sort, bad
filter value, broken cursor) answer 400 with a message, as HTML or JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from bugzot import permissions
from bugzot.errors import error_response
from bugzot.exceptions import ServiceError
from bugzot.fields import CSV_COLUMNS
from bugzot.forms.search import DeleteSearchForm, SaveSearchForm
from bugzot.permissions import require
from bugzot.search import AXES, SearchError, fetch_page, iter_rows, parse_query, report_counts
from bugzot.search import columns as list_columns
from bugzot.search.params import PAGE_SIZES, RELEVANCE, SORT_KEYS
from bugzot.search.quick import HELP as QUICK_HELP
from bugzot.search.quick import bug_number, parse_quick
from bugzot.services import preferences
from bugzot.services import search as search_service
from bugzot.services.read import catalogue
from bugzot.timefmt import keep_at_most, when
from bugzot.views import page_cache
from bugzot.workflow import CLOSED_STATUSES, OPEN_STATUSES, PRIORITIES, RESOLUTIONS, SEVERITIES

bp = Blueprint("search", __name__)

FEED_ENTRIES = 50
# The options of the filter form's lists (the values parse_query accepts).
FILTER_CHOICES = {
    "status_open": OPEN_STATUSES, "status_closed": CLOSED_STATUSES, "resolution": RESOLUTIONS,
    "severity": SEVERITIES,
    "priority": PRIORITIES, "limit": PAGE_SIZES,
    "sort": (*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS), RELEVANCE),
}


@bp.app_context_processor
def _navigation() -> dict:
    """Templates may call ``saved_searches_nav()``; it queries only when called."""
    return {"saved_searches_nav": _saved_searches_nav, "quick_search_help": QUICK_HELP}


def _saved_searches_nav() -> list:
    """(name, query) of the searches in the header menu: one light query, no ORM objects."""
    return search_service.search_links(current_user)


def bug_path(bug_id: int) -> str:
    """The path of a bug's page (served by the bugs blueprint at /bugs/<id>)."""
    return f"{request.script_root}/bugs/{bug_id}"


@bp.get("/bugs")
@require(permissions.BUG_VIEW)
def bug_list():
    """The bug list: filters from the URL, the user's columns, sortable headers, keyset
    pages of 25-200."""
    try:
        return page_cache.page("search/list.html", "search/_list.html", "list", _list_context)
    except SearchError as exc:
        return error_response(400, exc.message)


def _list_context() -> dict:
    """What the list's body (search/_list.html) shows; SearchError for a bad query."""
    query = parse_query(request.args)
    if query.changed_within is not None:  # its bugs depend on the clock: never kept
        keep_at_most(0)
    page = fetch_page(query, current_user)
    shown = list_columns.stored(current_user.list_columns if current_user.is_authenticated
                                else "")
    return dict(query=query, page=page, products=catalogue.active_product_names(),
                choices=FILTER_CHOICES, option_tags=option_tags,
                columns=shown, all_columns=list_columns.COLUMNS,
                required_columns=list_columns.REQUIRED, sort_keys=list_columns.SORT_KEYS,
                rows_html=rows_html(page.rows, f"{request.script_root}/bugs/", shown))


@bp.post("/bugs/columns")
@login_required
def choose_columns():
    """The column chooser: remember the user's columns, back to the list they were on."""
    target = _list_url(request.form.get("query", ""))
    columns = () if request.form.get("action") == "reset" else request.form.getlist("columns")
    try:
        preferences.set_list_columns(current_user, columns)
    except ServiceError as exc:
        return error_response(exc.status, exc.message)
    flash("Your list columns were saved.", "success")
    return redirect(target)


def option_tags(options: tuple, selected: tuple) -> Markup:
    """The ``<option>`` elements of a filter list, built in one pass."""
    return Markup("".join(  # nosec B704 - every value is escaped below
        f"<option{' selected' if option in selected else ''}>{escape(option)}</option>"
        for option in options))


def _cells(bug: Any, link: str, columns: tuple[str, ...]) -> Iterable[str]:
    """The cells of one list row after the id's, in ``columns`` order; each says its
    column (class ``c-<name>``, ``data-label``: small screens show rows as cards)."""
    for name in columns[1:]:
        if name == "summary":
            private = ' <span class="badge">private</span>' if bug.is_private else ""
            yield f'<td class="c-summary">{link}{escape(bug.summary)}</a>{private}</td>'
            continue
        if name == "status" and bug.resolution and "resolution" not in columns:
            value = f"{escape(bug.status)} {escape(bug.resolution)}"
        elif name in ("assignee", "reporter"):
            login = getattr(bug, name)
            value = escape(getattr(bug, name + "_name") or login) if login else "—"
        elif name in ("created_at", "updated_at"):
            value = when(getattr(bug, name))
        else:
            value = escape(getattr(bug, name) or "")
        yield f'<td class="c-{name}" data-label="{list_columns.COLUMNS[name]}">{value}</td>'


def rows_html(rows: Iterable[Any], bug_base: str,
              columns: tuple[str, ...] = list_columns.DEFAULT) -> Markup:
    """The table rows of a list page, escaped and joined in one pass (the hottest
    markup of the site: a Jinja loop costs about four times as much). The id cell comes
    first and plain (``<tr><td><a href=...>``: tests and scripts read rows by it)."""
    base = escape(bug_base)
    out = []
    for bug in rows:
        link = f'<a href="{base}{bug.id}">'
        cells = "\n      ".join(_cells(bug, link, columns))
        out.append(f"<tr>\n      <td>{link}{bug.id}</a></td>\n      {cells}\n    </tr>\n")
    return Markup("".join(out))  # nosec B704 - every value above went through escape()


@bp.get("/bugs.csv")
@require(permissions.BUG_VIEW)
def bug_list_csv():
    """The same query as CSV (all pages, up to SEARCH_EXPORT_MAX rows)."""
    try:
        query = parse_query(request.args)
        rows = list(iter_rows(query, current_user, current_app.config["SEARCH_EXPORT_MAX"]))
    except SearchError as exc:
        return error_response(400, exc.message)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in CSV_COLUMNS])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=bugs.csv"})


def _cell(value) -> str:
    """A CSV cell; text starting like a formula is prefixed so spreadsheets do not run it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/bugs.atom")
@require(permissions.BUG_VIEW)
def bug_list_atom():
    """The first page of the same query as an Atom feed (absolute links from BASE_URL)."""
    try:
        query = parse_query(request.args)
        rows = list(iter_rows(query, current_user, FEED_ENTRIES, chunk=FEED_ENTRIES))
    except SearchError as exc:
        return error_response(400, exc.message)
    base = current_app.config["BASE_URL"]
    qs = query.query_string()
    updated = max((r.updated_at for r in rows), default=datetime.now(UTC))
    body = render_template("search/feed.atom.xml", rows=rows, base=base, qs=qs, updated=updated,
                           list_url=f"{base}/bugs" + (f"?{qs}" if qs else ""),
                           self_url=f"{base}/bugs.atom" + (f"?{qs}" if qs else ""))
    return Response(body, mimetype="application/atom+xml")


@bp.get("/quicksearch")
@require(permissions.BUG_VIEW)
def quick():
    """The header box: a bug number opens the bug; words and field:value terms
    (``bugzot.search.quick``) open the bug list of what they describe."""
    text = (request.args.get("q") or request.args.get("quicksearch") or "").strip()
    number = bug_number(text)
    if number is not None:
        return redirect(bug_path(number))
    if not text:
        return redirect(url_for(".bug_list"))
    try:
        query = parse_quick(text, current_user.username if current_user.is_authenticated else None)
    except SearchError as exc:
        return error_response(400, exc.message)
    return redirect(url_for(".bug_list") + "?" + query.query_string())


@bp.get("/searches")
@login_required
def saved():
    """The user's saved searches and those others share."""
    searches = search_service.searches_for(current_user, with_owners=True)
    return render_template("search/saved.html", searches=searches, delete_form=DeleteSearchForm())


@bp.post("/searches")
@login_required
def save():
    """Save the list the user is looking at."""
    form = SaveSearchForm()
    target = _list_url(form.query.data or "")
    if not form.validate():
        flash("Give the search a name (at most 64 characters).", "error")
        return redirect(target)
    try:
        saved_search = search_service.save_search(current_user, form.name.data, form.query.data or "",
                                                  shared=form.shared.data)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(target)
    flash(f"Saved the search {saved_search.name!r}.", "success")
    return redirect(url_for(".bug_list") + "?" + saved_search.query)


def _list_url(query_string: str) -> str:
    """The bug list of a posted query string, made canonical (so encoded: a CR/LF in it
    cannot reach the Location header); the plain list when it does not parse."""
    try:
        canonical = search_service.canonical_query(query_string)
    except SearchError:
        return url_for(".bug_list")
    return url_for(".bug_list") + ("?" + canonical if canonical else "")


@bp.post("/searches/<int:search_id>/delete")
@login_required
def delete(search_id: int):
    """Delete one of the user's saved searches."""
    form = DeleteSearchForm()
    if not form.validate():
        return error_response(400, "The form expired; reload the page and try again.")
    try:
        search_service.delete_search(current_user, search_id)
    except ServiceError as exc:
        return error_response(exc.status, exc.message)
    flash("Deleted the saved search.", "success")
    return redirect(url_for(".saved"))


@bp.get("/reports")
@require(permissions.BUG_VIEW)
def report():
    """Bug counts by two fields for a filter, as a table and a Chart.js chart."""
    x = request.args.get("x") or "component"
    y = request.args.get("y") or "status"
    try:
        query = parse_query(request.args, allow_cursor=False)
        result = report_counts(query, current_user, x, y)
    except SearchError as exc:
        return error_response(400, exc.message)
    chart = {"labels": result.x_labels, "xTitle": AXES[x][0],
             "datasets": [{"label": yl, "data": [result.cell(xl, yl) for xl in result.x_labels]}
                          for yl in result.y_labels]}
    return render_template("search/report.html", report=result, query=query, axes=AXES,
                           chart=chart, x=x, y=y)
