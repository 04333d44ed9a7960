"""All models; importing this package registers every table with ``db.metadata``."""

from bugzot.models.api import ApiKey, ApiToken
from bugzot.models.base import UTCDateTime, utcnow
from bugzot.models.bugs import Attachment, Bug, BugCC, BugChange, Comment, Dependency
from bugzot.models.notifications import (
    BugIgnore,
    ComponentWatch,
    NotificationPrefs,
    OutboxMessage,
    Webhook,
)
from bugzot.models.products import Classification, Component, Milestone, Product, Version
from bugzot.models.search import SavedSearch  # noqa: F401
from bugzot.models.sessions import LoginSession  # noqa: F401
from bugzot.models.users import ActivationKey, Role, RolePermission, User

__all__ = [
    "ActivationKey",
    "ApiKey",
    "ApiToken",
    "Attachment",
    "Bug",
    "BugCC",
    "BugChange",
    "BugIgnore",
    "Comment",
    "Dependency",
    "Classification",
    "Component",
    "ComponentWatch",
    "Milestone",
    "NotificationPrefs",
    "OutboxMessage",
    "Product",
    "Role",
    "RolePermission",
    "UTCDateTime",
    "User",
    "Version",
    "Webhook",
    "utcnow",
]
