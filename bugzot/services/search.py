"""Saved searches: create, replace and delete a user's named bug list queries."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import Row, Select, bindparam, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from bugzot.exceptions import Forbidden, NotFound, ServiceError
from bugzot.extensions import db
from bugzot.models import SavedSearch, User
from bugzot.search.params import parse_query
from bugzot.services import unit_of_work

MAX_SAVED = 100  # per user


def canonical_query(query_string: str) -> str:
    """The canonical form of a /bugs query string: validated, page cursors dropped."""
    args = MultiDict(parse_qsl(query_string, keep_blank_values=False))
    return parse_query(args).query_string()


def save_search(user: User, name: str, query_string: str, shared: bool = False) -> SavedSearch:
    """Save ``query_string`` as ``user``'s search ``name``; an existing one is replaced."""
    if not getattr(user, "is_authenticated", False) or user.id is None:
        raise Forbidden("Log in to save searches.")
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Give the search a name.", "name")
    if len(name) > 64:
        raise ServiceError("The name is too long (at most 64 characters).", "name")
    query = canonical_query(query_string)
    with unit_of_work():
        saved = db.session.scalar(select(SavedSearch).where(
            SavedSearch.user_id == user.id, SavedSearch.name == name))
        if saved is None:
            owned = db.session.scalar(select(db.func.count()).select_from(SavedSearch)
                                      .where(SavedSearch.user_id == user.id)) or 0
            if owned >= MAX_SAVED:
                raise ServiceError(f"You can keep at most {MAX_SAVED} saved searches.", "name")
            saved = SavedSearch(user_id=user.id, name=name)
            db.session.add(saved)
        saved.query = query
        saved.is_shared = bool(shared)
    return saved


def delete_search(user: User, search_id: int) -> None:
    """Delete ``user``'s saved search ``search_id`` (only its owner may)."""
    if not getattr(user, "is_authenticated", False):
        raise Forbidden("Log in to delete saved searches.")
    with unit_of_work():
        saved = db.session.get(SavedSearch, search_id)
        if saved is None:
            raise NotFound("There is no such saved search.")
        if saved.user_id != user.id:
            raise Forbidden("Only the owner may delete a saved search.")
        db.session.delete(saved)


def searches_for(user: Any, with_owners: bool = False) -> list[SavedSearch]:
    """The saved searches ``user`` sees: their own, then those others shared (read only)."""
    if not getattr(user, "is_authenticated", False):
        return []
    query = _visible(select(SavedSearch))
    if with_owners:
        query = query.options(joinedload(SavedSearch.user))
    return list(db.session.scalars(query, {"user_id": user.id}))


def search_links(user: Any) -> list[Row]:
    """(name, query) of the searches ``user`` sees, in ``searches_for`` order. This is the
    menu in every page header: a statement built once, plain rows, no ORM objects."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.connection().execute(_LINKS, {"user_id": user.id}))


def _visible(query: Select) -> Select:
    """``query`` limited to the user's own and the shared searches, own ones first, by name
    (the user's id is the bound parameter ``user_id``)."""
    user_id = bindparam("user_id")
    return (query.where(or_(SavedSearch.user_id == user_id, SavedSearch.is_shared.is_(True)))
            .order_by((SavedSearch.user_id != user_id), db.func.lower(SavedSearch.name)))


_LINKS = _visible(select(SavedSearch.name, SavedSearch.query))
