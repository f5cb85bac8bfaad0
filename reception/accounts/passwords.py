"""Password hashing with Argon2id."""
from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

# RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes): the library's default, named.
STRONG = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
# The cheapest parameters Argon2 allows: for the test suite only (FAST_PASSWORD_HASHES with ENV=testing).
FAST = PasswordHasher.from_parameters(profiles.CHEAPEST)


def _hasher() -> PasswordHasher:
    if has_app_context() and current_app.testing and current_app.config.get("FAST_PASSWORD_HASHES"):
        return FAST
    return STRONG


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the account does not exist, so that timing does not tell which e-mail
    addresses have accounts. Made on first use, not at import."""
    return hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    try:
        return hasher.verify(password_hash or _dummy_hash(hasher), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
