"""Bugs: filing, editing (fields, status, CC, dependencies and a comment in one
transaction), moderating comments, and the mid-air merge.

Callers pass typed commands (``commands``: ``NewBug``, ``BugEdit``, ``SetEdit``,
``NewComment``, ``Upload``); every function checks the acting user's permissions
itself; every change is written by ``services.history``, which also records the
domain events.
"""

from bugzot.services.bugs.comments import set_comment_hidden
from bugzot.services.bugs.editing import MidAirCollision, Update, update_bug, update_bugs
from bugzot.services.bugs.filing import file_bug
from bugzot.services.bugs.midair import merge_after_conflict, values_at
from bugzot.services.commands import BugEdit, NewBug, NewComment, SetEdit, Upload

__all__ = ["BugEdit", "MidAirCollision", "NewBug", "NewComment", "SetEdit", "Update", "Upload",
           "file_bug", "merge_after_conflict", "set_comment_hidden", "update_bug", "update_bugs",
           "values_at"]
