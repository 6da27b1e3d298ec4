"""Signed checkpoints: (origin, tree size, root hash, time, key id), signed with Ed25519.

The signed message is this text, one field per line, each line ending in a newline::

    trueport-audit-checkpoint/1
    <origin>
    <tree size, decimal>
    <root hash, 64 lower-case hex digits>
    <time, RFC 3339 UTC with microseconds>
    <key id>

The first line keeps a checkpoint signature from being valid as any other message. This module is
the format alone (no database): ``verify`` needs nothing else; ``issuer`` signs and stores them.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trueport.audit.events import format_timestamp, parse_timestamp
from trueport.audit.merkle import HASH_SIZE
from trueport.audit.signing import KeyRing, PublicKeys, verify_signature

CHECKPOINT_FORMAT = "trueport-audit-checkpoint/1"
_SIGNATURE_SIZE = 64


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    issued_at: datetime
    key_id: str
    signature: bytes

    def body(self) -> bytes:
        """The signed message."""
        lines = [
            CHECKPOINT_FORMAT,
            self.origin,
            str(self.tree_size),
            self.root_hash.hex(),
            format_timestamp(self.issued_at),
            self.key_id,
        ]
        return "".join(f"{line}\n" for line in lines).encode()

    def verify(self, keys: PublicKeys) -> bool:
        return verify_signature(keys, self.key_id, self.signature, self.body())

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": format_timestamp(self.issued_at),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_json(cls, data: object) -> Checkpoint:
        """Parse strictly; raises ValueError on any missing, extra or malformed field."""
        if not isinstance(data, dict) or set(data) != {
            "origin",
            "tree_size",
            "root_hash",
            "timestamp",
            "key_id",
            "signature",
        }:
            raise ValueError(
                "a checkpoint has exactly origin, tree_size, root_hash, timestamp, key_id, signature"
            )
        origin, size, root, stamp, kid, signature = (
            data["origin"],
            data["tree_size"],
            data["root_hash"],
            data["timestamp"],
            data["key_id"],
            data["signature"],
        )
        if not isinstance(origin, str) or not origin or "\n" in origin:
            raise ValueError("checkpoint origin must be one line of text")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError("checkpoint tree_size must be a non-negative integer")
        if not isinstance(kid, str) or not kid or "\n" in kid:
            raise ValueError("checkpoint key_id must be one line of text")
        if not isinstance(root, str) or not isinstance(stamp, str) or not isinstance(signature, str):
            raise ValueError("checkpoint root_hash, timestamp and signature must be strings")
        root_hash = _hex(root, HASH_SIZE, "root_hash")
        try:
            raw_signature = base64.b64decode(signature, validate=True)
        except binascii.Error as exc:
            raise ValueError("checkpoint signature is not base64") from exc
        if len(raw_signature) != _SIGNATURE_SIZE:
            raise ValueError("checkpoint signature must be 64 bytes")
        return cls(origin, size, root_hash, parse_timestamp(stamp), kid, raw_signature)


def _hex(text: str, size: int, name: str) -> bytes:
    if len(text) != 2 * size or text != text.lower():
        raise ValueError(f"{name} must be {2 * size} lower-case hex digits")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise ValueError(f"{name} must be {2 * size} lower-case hex digits") from exc


def sign_checkpoint(
    keyring: KeyRing, origin: str, tree_size: int, root_hash: bytes, issued_at: datetime
) -> Checkpoint:
    unsigned = Checkpoint(origin, tree_size, root_hash, issued_at, keyring.key_id, b"")
    return Checkpoint(origin, tree_size, root_hash, issued_at, keyring.key_id, keyring.sign(unsigned.body()))
