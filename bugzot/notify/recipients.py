"""Who hears about a save: the events subscriber that writes the outbox rows.

Runs inside the unit of work of every change (``events.TRANSACTION``). For each save of
each bug it gathers the people with a role on the bug, before and after the change (a
former assignee hears they were replaced, a removed CC that they were removed), and the
watchers of its component or product (the old ones too when it moved), then keeps those
whose preferences switch one of their roles on for one of the save's kinds of change;
people the save just added (new assignee, QA contact, CC) always hear of it. The actor
is left out unless they asked for their own changes; ignored bugs and disabled accounts
get nothing. What each recipient may *see* is decided when the mail is sent, not here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from bugzot import events
from bugzot.extensions import db
from bugzot.models import Bug, Component, Product, User
from bugzot.notify.changes import WEBHOOK_KIND, kinds_of_events
from bugzot.services import outbox
from bugzot.services.read import bugs as read
from bugzot.services.read import notifications as settings
from bugzot.services.read.users import users_by_username

# Changed fields whose old values name people who held a role on the bug.
_ROLE_FIELDS = {"assigned_to": "assignee", "qa_contact": "qa", "cc": "cc"}


def _names(value: str) -> list[str]:
    return [n for n in value.replace(",", " ").split() if n]


def _saves(recorded: Sequence[events.Event]) -> dict[tuple[int, int], list[events.Event]]:
    saves: dict[tuple[int, int], list[events.Event]] = defaultdict(list)
    for event in recorded:
        saves[(event.bug_id, event.revision)].append(event)
    return saves


def queue_notifications(recorded: Sequence[events.Event]) -> None:
    """Write the bug mail and webhook rows for the events of one unit of work."""
    for (bug_id, revision), saved in _saves(recorded).items():
        kinds = kinds_of_events(saved)
        if not kinds:
            continue
        bug = db.session.get(Bug, bug_id)
        changes = [c for e in saved if isinstance(e, events.FieldsChanged) for c in e.changes]
        _queue_mail(bug, revision, saved[0].actor_id, kinds, changes)
        _queue_webhooks(bug, revision, saved[0].actor_id, kinds)


def _queue_mail(bug: Bug, revision: int, actor_id: int, kinds: set[str],
                changes: list[events.FieldChange]) -> None:
    roles: dict[int, set[str]] = defaultdict(set)
    for user_id, role in ((bug.reporter_id, "reporter"), (bug.assignee_id, "assignee"),
                          (bug.qa_contact_id, "qa")):
        if user_id is not None:
            roles[user_id].add(role)
    for user in read.cc_lists([bug.id])[bug.id]:
        roles[user.id].add("cc")
    old_names: dict[str, str] = {}
    new_names: set[str] = set()
    for change in changes:
        if change.field in _ROLE_FIELDS:
            old_names.update({n: _ROLE_FIELDS[change.field] for n in _names(change.old)})
            new_names.update(_names(change.new))
    people = users_by_username(set(old_names) | new_names)
    for name, role in old_names.items():
        if name in people:
            roles[people[name].id].add(role)
    added = {people[n].id for n in new_names if n in people}
    for user_id in settings.watchers(_places(bug, changes)):
        roles[user_id].add("watcher")
    candidates = set(roles)
    active = set(db.session.scalars(select(User.id).where(User.id.in_(sorted(candidates)),
                                                          User.is_active.is_(True)))) \
        if candidates else set()
    ignored = settings.ignoring(bug.id, candidates)
    prefs = settings.prefs_of(candidates)
    for user_id in sorted(active - ignored):
        mine = prefs[user_id]
        if user_id == actor_id and not mine.own_changes:
            continue
        wanted = frozenset(kinds) if user_id in added else mine.wants(roles[user_id], kinds)
        if wanted:
            outbox.add_notice(outbox.Notice(user_id, bug.id, actor_id, revision,
                                            frozenset(roles[user_id]), wanted, mine.digest))


def _places(bug: Bug, changes: list[events.FieldChange]) -> set[tuple[int, int]]:
    """The (product, component) of ``bug``, and the one it came from if the save moved it."""
    places = {(bug.product_id, bug.component_id)}
    old = {c.field: c.old for c in changes if c.field in ("product", "component")}
    if old:
        product = old.get("product", bug.product.name)
        component = old.get("component", bug.component.name)
        found = db.session.execute(select(Component.product_id, Component.id)
                                   .join(Product, Product.id == Component.product_id)
                                   .where(Product.name == product, Component.name == component)
                                   ).first()
        if found is not None:
            places.add(tuple(found))
    return places


def _queue_webhooks(bug: Bug, revision: int, actor_id: int, kinds: set[str]) -> None:
    wanted = {WEBHOOK_KIND[k] for k in kinds}
    for hook in settings.webhooks_for(bug.product_id):
        matched = wanted & set(hook.kinds.split())
        if matched:
            outbox.add_delivery(hook.id, bug.id, actor_id, revision, matched)
