"""Digests: one mail per hour or per day listing every bug that changed, grouped by
product and component, for users who chose a digest on their preferences page.

The worker claims all due digest rows of a recipient together; this builds the one mail
from them with the recipient's permissions at send time (``render.seen_by``): bugs they
may not see and saves of which they may see nothing are left out, and no mail goes when
nothing is left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

from flask import current_app, render_template

from bugzot.notify.render import mail_domain, person, prefs_url, recipient, seen_by, url_for_mail
from bugzot.notify.transport import new_message
from bugzot.services.outbox import DIGEST_MODES
from bugzot.services.read.notifications import prefs_of

COMMENT_PREVIEW = 600  # characters of each comment a digest quotes


def digest_mail(rows: Sequence[Any]) -> EmailMessage | None:
    """The digest for the rows of one recipient, or None when nothing is left to tell."""
    user = recipient(rows[0].user_id)
    if user is None:
        return None
    ranges: dict[int, tuple[int, int]] = {}
    wanted: dict[int, set[str]] = defaultdict(set)
    actors: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        first, last = ranges.get(row.bug_id, (row.first_revision, row.last_revision))
        ranges[row.bug_id] = (min(first, row.first_revision), max(last, row.last_revision))
        wanted[row.bug_id] |= set(row.changes.split())
        actors[row.bug_id].add(row.actor_id)
    seen = {bug_id: s for bug_id, s in seen_by(user, ranges).items() if s.kinds & wanted[bug_id]}
    if not seen:
        return None
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for bug_id in sorted(seen):
        s = seen[bug_id]
        groups[(s.bug.product.name, s.bug.component.name)].append({
            "bug": s.bug, "url": url_for_mail("bugs.show", bug_id=bug_id), "new": "new" in s.kinds,
            "by": ", ".join(sorted(person(a) for a in actors[bug_id])), "changes": s.table(),
            "comments": [(c, _preview(c.body)) for c in s.comments]})
    mode = prefs_of([user.id])[user.id].digest  # "off" if they just switched digests off
    count = len(seen)
    title = f"{mode.capitalize()} digest" if mode in DIGEST_MODES else "Digest"
    subject = f"[BugZot] {title}: {count} bug{'s' if count != 1 else ''} changed"
    body = render_template("mail/digest.txt", title=title, groups=sorted(groups.items()),
                           count=count, prefs_url=prefs_url())
    msg = new_message(current_app.config, user.email, subject, body, domain=mail_domain())
    msg["X-BugZot-Reason"] = "Digest"
    msg["X-BugZot-Type"] = "digest"
    msg["List-Unsubscribe"] = f"<{prefs_url()}>"
    return msg


def _preview(text: str) -> str:
    text = text.strip()
    return text if len(text) <= COMMENT_PREVIEW else text[:COMMENT_PREVIEW].rstrip() + " [...]"
