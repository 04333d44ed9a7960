"""``GET /people?q=<prefix>``: the people suggestions of assignee, QA contact and CC
fields (``static/js/people.js``), as JSON."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from bugzot.services.read.users import PEOPLE_LIMIT, visible_people

bp = Blueprint("people", __name__)


@bp.get("/people")
@login_required
def search():
    """Up to ``limit`` (at most 10) active users whose username or real name starts
    with ``q``: ``{"people": [{"username": ..., "real_name": ...}, ...]}``."""
    limit = min(max(request.args.get("limit", PEOPLE_LIMIT, type=int) or PEOPLE_LIMIT, 1), PEOPLE_LIMIT)
    people = visible_people(current_user, request.args.get("q", ""), limit)
    return jsonify(people=[{"username": u.username, "real_name": u.real_name} for u in people])
