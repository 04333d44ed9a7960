"""Password hashing with argon2id (argon2-cffi), cost taken from the app config, and
the password policy.

The policy follows NIST SP 800-63B: a minimum length (``PASSWORD_MIN_LENGTH``, 12 by
default), no composition rules, and a refusal of passwords that are common or easy
to guess. "Common" is zxcvbn's list of the 30,000 most frequent leaked passwords;
"easy to guess" is zxcvbn's estimate (``PASSWORD_MIN_SCORE``, 0-4, 3 by default),
which also catches variations of listed passwords ("password1234"), keyboard walks,
repeats, dates and the account's own names.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn
from zxcvbn.matching import RANKED_DICTIONARIES

MAX_LENGTH = 1024  # argon2 accepts more, but a megabyte "password" is an attack
ZXCVBN_MAX = 72  # zxcvbn's own input limit; the rest of a longer password is not scored


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


def min_length() -> int:
    """The configured minimum password length."""
    return int(current_app.config["PASSWORD_MIN_LENGTH"])


def is_common(password: str) -> bool:
    """True when ``password`` (ignoring case) is on zxcvbn's list of common passwords."""
    return password.lower() in RANKED_DICTIONARIES["passwords"]


def password_problem(password: str, *context: str) -> str | None:
    """Why ``password`` is unacceptable, or None. ``context``: the account's username,
    email and real name, which a password must not merely repeat."""
    shortest = min_length()
    if len(password) < shortest:
        return f"Use at least {shortest} characters (a few words make a good password)."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if is_common(password):
        return "This password is on a list of commonly used passwords; choose another."
    inputs = ["bugzot", *(part for text in context if text for part in (text, text.split("@")[0]))]
    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=inputs, max_length=ZXCVBN_MAX)
    if result["score"] < int(current_app.config["PASSWORD_MIN_SCORE"]):
        hint = result["feedback"]["warning"] or "It follows a pattern that is easy to guess."
        return f"This password is too easy to guess. {hint} Add another word or two."
    return None
