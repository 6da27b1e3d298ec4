"""The virtual key format: ``tp_`` + 32 random base62 characters + a 6-character CRC32 checksum.

The checksum lets the gateway (and secret scanners) reject mistyped or made-up keys without a lookup;
only ``HMAC-SHA256(secret, key)`` is ever stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib

PREFIX = "tp_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RANDOM_LEN = 32
_CHECK_LEN = 6
KEY_LENGTH = len(PREFIX) + _RANDOM_LEN + _CHECK_LEN
_BASE62 = re.compile(r"[0-9A-Za-z]+")


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), _CHECK_LEN)


def generate_key() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LEN))
    return PREFIX + body + _checksum(body)


def is_well_formed(key: str) -> bool:
    """True if ``key`` has the right shape and checksum (says nothing about whether it exists)."""
    if len(key) != KEY_LENGTH or not key.startswith(PREFIX):
        return False
    body, check = key[len(PREFIX) : -_CHECK_LEN], key[-_CHECK_LEN:]
    if not _BASE62.fullmatch(key, len(PREFIX)):
        return False
    return hmac.compare_digest(_checksum(body), check)


def hash_key(secret: bytes, key: str) -> str:
    return hmac.new(secret, key.encode("ascii", "replace"), hashlib.sha256).hexdigest()


def display_prefix(key: str) -> str:
    """What people see to tell keys apart: ``tp_`` and the first 6 random characters."""
    return key[: len(PREFIX) + 6]
