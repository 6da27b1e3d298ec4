"""Password hashing with argon2id (argon2-cffi), a bounded number at a time, and the password policy.

Each hash takes ~64 MiB and tens of milliseconds of CPU; hashing runs in a thread, and a semaphore
caps how many run at once, so a flood of logins queues instead of exhausting memory.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MAX_PASSWORD_LENGTH = 256  # long passphrases are welcome; megabytes of "password" are a hashing DoS
# A hash of a random password nobody kept, with argon2-cffi's default parameters (RFC 9106
# low-memory profile): with them, no hash is made at start-up (a fifth of a second of CPU).
_DEFAULT_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$TN7B1IIvUdNGz7/CXM4urQ$qfiAXsuxRrlK1pzBDzxntZGHKos7ZQq2ShBa2O2GhyA"
)


def password_problem(password: str, min_length: int) -> str | None:
    """Why ``password`` may not be used, or None. Length is what makes a password strong; composition
    rules ("one digit, one symbol") are not asked for (NIST SP 800-63B), only the obviously weak refused."""
    if len(password) < min_length:
        return f"the password must have at least {min_length} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password may have at most {MAX_PASSWORD_LENGTH} characters"
    if len(set(password)) == 1:
        return "the password may not repeat a single character"
    return None


class Passwords:
    def __init__(self, concurrency: int, *, hasher: Argon2Hasher | None = None):
        self._hasher = hasher or Argon2Hasher()  # argon2id, RFC 9106 low-memory profile
        self._slots = asyncio.Semaphore(concurrency)
        # A hash of a random password with the same parameters as real ones: verifying against it
        # costs as much as a real check, so an unknown e-mail takes as long to refuse as a wrong
        # password. Ready here (made at start-up unless the parameters are the defaults), so even the
        # first refusal is not slower.
        self.dummy_hash = (
            _DEFAULT_DUMMY_HASH
            if not self._hasher.check_needs_rehash(_DEFAULT_DUMMY_HASH)
            else self._hasher.hash(secrets.token_urlsafe(16))
        )

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True if ``password`` matches; a missing hash costs the same time and is False."""
        async with self._slots:
            return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return (
                self._hasher.verify(password_hash or self.dummy_hash, password) and password_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
