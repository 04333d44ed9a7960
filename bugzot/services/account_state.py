"""What disabling and enabling an account does besides flipping ``is_active``.

An account an admin disabled stays disabled: ``disabled_at`` marks it, so neither
"resend activation" nor an activation link can bring it back, and disabling it
spends every emailed key it has outstanding (activation, password reset, email
change) and ends all its login sessions. These helpers run inside the caller's
unit of work (the admin functions of ``services.accounts``).
"""

from __future__ import annotations

from sqlalchemy import update

from bugzot.extensions import db
from bugzot.models import ActivationKey, User, utcnow
from bugzot.services import sessions


def spend_keys(user: User) -> None:
    """Make every unused emailed key of ``user`` unusable."""
    db.session.execute(update(ActivationKey).where(
        ActivationKey.user_id == user.id, ActivationKey.used_at.is_(None)).values(used_at=utcnow()))


def account_disabled(user: User) -> None:
    """``user`` was just disabled by an admin: mark it, spend its keys, end its sessions."""
    user.is_active = False
    user.disabled_at = utcnow()
    spend_keys(user)
    sessions.end_all(user)


def account_enabled(user: User) -> None:
    """``user`` was just enabled by an admin."""
    user.is_active = True
    user.disabled_at = None


def is_disabled(user: User) -> bool:
    """True for an account an admin disabled (not one waiting for activation)."""
    return not user.is_active and user.disabled_at is not None
