"""Envelope encryption (STUB: owned by the credentials helper; to be replaced)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sealed:
    ciphertext: bytes
    wrapped_key: bytes
    master_key_id: str


class Envelope:
    def __init__(self, master_keys: dict[str, bytes], active: str):
        self._keys = master_keys
        self.active = active

    def seal(self, plaintext: bytes, *, context: bytes) -> Sealed:
        raise NotImplementedError

    def open(self, sealed: Sealed, *, context: bytes) -> bytes:
        raise NotImplementedError
