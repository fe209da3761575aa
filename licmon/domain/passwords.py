"""Staff passwords: argon2id (argon2-cffi's RFC 9106 defaults), rehashed when those change.

Hashing costs tens of milliseconds of CPU and 64 MiB: callers run it on a thread.
"""

import functools

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from licmon.errors import BadRequest

MIN_LENGTH = 12
MAX_LENGTH = 1024


def default_hasher() -> argon2.PasswordHasher:
    return argon2.PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4


class Passwords:
    def __init__(self, hasher: argon2.PasswordHasher | None = None) -> None:
        self._hasher = hasher or default_hasher()

    @functools.cached_property
    def _dummy(self) -> str:
        """Made at the first login of an unknown name, not at start-up (a hash costs CPU
        seconds on a busy machine, and start-up must be quick)."""
        return self._hasher.hash("licmon: no such account")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Checks against a dummy hash when there is no account, so both take as long."""
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


def check_policy(password: str, username: str) -> None:
    if len(password) < MIN_LENGTH:
        raise BadRequest(f"A password has at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise BadRequest(f"A password has at most {MAX_LENGTH} characters.")
    if username.lower() in password.lower():
        raise BadRequest("A password must not contain the user name.")
