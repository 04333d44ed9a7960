"""Services: the only code that writes data.

Every public function is one unit of work: it checks the acting user's permission,
validates, writes, and commits once; on any error nothing is written
(``unit_of_work`` rolls back). Views, the REST API and the CLI call these and turn a
``bugzot.exceptions.ServiceError`` into a form message, a JSON error or a CLI message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bugzot import events
from bugzot.extensions import db


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block wrote, or roll all of it back if it raises.

    The domain events the block recorded (``services.history``) go to the transaction's
    subscribers just before the commit, so what they write commits with the change;
    after the commit, to the post-commit subscribers. A rollback delivers nothing.
    """
    try:
        yield
        recorded = events.before_commit(db.session)
        db.session.commit()
    except BaseException:
        events.discard(db.session)
        db.session.rollback()
        raise
    events.after_commit(recorded)
