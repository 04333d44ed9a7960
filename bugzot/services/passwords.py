"""Password hashing with argon2id (argon2-cffi), cost taken from the app config."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 accepts more, but a megabyte "password" is an attack


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with no hash, burns the same time and says False."""
    hasher = _hasher()
    if stored_hash is None:
        # Equal time for unknown accounts, so timing does not reveal which exist.
        stored_hash = current_app.extensions.get("bugzot.dummy_hash")
        if stored_hash is None:
            stored_hash = current_app.extensions["bugzot.dummy_hash"] = hasher.hash("dummy-password")
        password = password + "\x00never-matches"
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker settings than configured now."""
    return _hasher().check_needs_rehash(stored_hash)


def password_problem(password: str) -> str | None:
    """Why ``password`` is unacceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    return None
