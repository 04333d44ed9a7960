"""Webhook deliveries: a JSON POST of one public save of a bug, signed with the
endpoint's secret.

The payload is built when it is sent, as ``PUBLIC`` sees the bug: someone who may view
bugs and holds no other permission, so the visibility rules leave out private bugs,
private comments and attachments and hidden comments (``visibility``, through the read
side). A delivery of which nothing public is left is skipped.

Headers: ``X-BugZot-Event`` (the first event kind), ``X-BugZot-Delivery`` (the outbox row
id, the same on every retry) and ``X-BugZot-Signature: sha256=<hex>``, the HMAC-SHA256
of the exact body bytes with the endpoint's secret. A receiver checks it with::

    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    hmac.compare_digest(expected, request.headers["X-BugZot-Signature"])

Any answer but 2xx, or none within WEBHOOK_TIMEOUT, is a failed attempt (retried with
backoff); redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from flask import current_app

from bugzot import permissions
from bugzot.extensions import db
from bugzot.models import User, Webhook
from bugzot.notify.changes import WEBHOOK_KIND, kind_of_comment
from bugzot.notify.render import seen_by, url_for_mail
from bugzot.notify.transport import TransientError
from bugzot.services.read import bugs as read


@dataclass(frozen=True)
class _Role:
    permissions: frozenset[str]


class PublicViewer:
    """Who a webhook payload is written for: may view bugs, nothing more (never the
    private ones: only their reporters and holders of bug.private see those)."""

    id = None
    username = "webhook"
    is_authenticated = True
    is_active = True
    role = _Role(frozenset({permissions.BUG_VIEW}))


PUBLIC = PublicViewer()


def sign(secret: str, body: bytes) -> str:
    """The X-BugZot-Signature value of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _when(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Delivery:
    """One POST, as plain values (built in a read that ends before the POST starts)."""

    url: str
    secret: str
    delivery_id: int
    body: bytes
    kinds: tuple[str, ...]


def payload(row: Any) -> Delivery | None:
    """The POST of delivery ``row``, or None when nothing of the save is public (any
    more) or the endpoint is gone."""
    hook = db.session.get(Webhook, row.webhook_id)
    seen = seen_by(PUBLIC, {row.bug_id: (row.first_revision, row.last_revision)}).get(row.bug_id)
    if hook is None or seen is None:
        return None
    visible = {WEBHOOK_KIND[k] for k in seen.kinds}
    kinds = [k for k in ("bug.filed", "bug.changed", "comment.added", "attachment.added")
             if k in visible and k in row.changes.split()]
    if not kinds:
        return None
    bug = seen.bug
    actor = db.session.get(User, row.actor_id) if row.actor_id else None
    uploads = {c.attachment_id for c in seen.comments if c.attachment_id}
    attachments = [a for a in read.attachments_of(PUBLIC, [bug.id])[bug.id] if a.id in uploads]
    data = {
        "delivery": row.id, "event": kinds[0], "events": kinds,
        "revision": row.last_revision, "changed_by": actor.username if actor else None,
        "bug": {"id": bug.id, "url": url_for_mail("bugs.show", bug_id=bug.id),
                "summary": bug.summary, "product": bug.product.name,
                "component": bug.component.name, "status": bug.status,
                "resolution": bug.resolution or "", "severity": bug.severity,
                "priority": bug.priority,
                "assigned_to": bug.assignee.username if bug.assignee else None,
                "creation_time": _when(bug.created_at), "last_change_time": _when(bug.updated_at)},
        "changes": [{"field": r.field, "removed": r.old_value, "added": r.new_value}
                    for r in seen.changes],
        "comments": [{"number": c.number, "kind": kind_of_comment(c), "author": c.author.username,
                      "text": c.body, "creation_time": _when(c.created_at)} for c in seen.comments],
        "attachments": [{"id": a.id, "filename": a.filename, "description": a.description,
                         "content_type": a.content_type, "size": a.size, "is_patch": a.is_patch,
                         "url": url_for_mail("attachments.download", attachment_id=a.id)}
                        for a in attachments],
    }
    body = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return Delivery(hook.url, hook.secret, row.id, body, tuple(kinds))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx answer is a failed attempt


def post(delivery: Delivery) -> int:
    """Make the POST; the HTTP status, or TransientError (with the status, when there
    was one, as its second argument)."""
    request = urllib.request.Request(delivery.url, data=delivery.body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "BugZot-Webhook/1",
        "X-BugZot-Event": delivery.kinds[0], "X-BugZot-Delivery": str(delivery.delivery_id),
        "X-BugZot-Signature": sign(delivery.secret, delivery.body)})
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=float(current_app.config["WEBHOOK_TIMEOUT"])) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        raise TransientError(f"HTTP {exc.code} {exc.reason}", exc.code) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TransientError(f"{delivery.url}: {getattr(exc, 'reason', exc)}") from exc
