"""Administration pages under /admin: the catalogue (classifications, products,
components, versions, milestones), users and roles, outgoing mail and webhooks.

One blueprint, ``admin``, split by topic into ``catalogue``, ``users`` and
``roles``. Views stay thin: parse a form, check a permission, call one service,
render or redirect. Every check goes through ``bugzot.permissions``.
"""

from __future__ import annotations

from bugzot.views.admin import catalogue, notifications, roles, users  # noqa: F401  (routes)
from bugzot.views.admin.common import bp

__all__ = ["bp"]
