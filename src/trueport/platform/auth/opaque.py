"""Opaque one-time tokens (refresh tokens, password resets, invitations): shown once, stored as a digest.

A plain SHA-256 is the right hash here, not argon2: each token carries 256 random bits, so its digest
cannot be searched backwards, and a lookup by digest is one index hit. A stolen database therefore
holds no usable token.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored and looked up: the SHA-256 of the token, hex."""
    return hashlib.sha256(token.encode()).hexdigest()
