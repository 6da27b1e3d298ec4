"""Envelope encryption of tenants' provider secrets (AES-256-GCM, ``cryptography``).

Each record gets its own random data key. The secret is encrypted under the data key; the data key is
stored *wrapped* (encrypted) under one of the installation's master keys, whose id is stored beside
it. Rotating the master key therefore re-encrypts 32-byte data keys (``rewrap``), never the secrets.

Both layers authenticate a ``context`` (the record's identity, see ``sealing.credential_context``):
a ciphertext copied onto another row, or a wrapped key copied from one row to another, no longer
opens. The wrapped key's associated data also names the master key, so a row whose
``master_key_id`` was edited does not open under a different key.

Layout: ``ciphertext = nonce(12) || AESGCM(data_key).encrypt(nonce, plaintext, context)`` and
``wrapped_key = nonce(12) || AESGCM(master).encrypt(nonce, data_key, len(id) || id || context)``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from trueport.errors import ApiUnavailable

_NONCE_BYTES = 12
_KEY_BYTES = 32


class EnvelopeError(ApiUnavailable):
    """A sealed secret cannot be opened: it was altered, moved to another record, or its key is gone."""

    code = "secret_unreadable"


class MasterKeyMissing(EnvelopeError):
    """The master key that wrapped a record's data key is no longer configured."""

    code = "master_key_missing"


@dataclass(frozen=True, slots=True)
class Sealed:
    ciphertext: bytes
    wrapped_key: bytes
    master_key_id: str

    def __repr__(self) -> str:
        return f"Sealed(master_key_id={self.master_key_id!r}, ciphertext=<{len(self.ciphertext)} bytes>)"


class Envelope:
    """Seals and opens secrets under the installation's master keys (``active`` wraps new data keys)."""

    def __init__(self, master_keys: dict[str, bytes], active: str):
        if active not in master_keys:
            raise ValueError(f"the active master key {active!r} is not among the master keys")
        for key_id, key in master_keys.items():
            if len(key) != _KEY_BYTES:
                raise ValueError(f"master key {key_id!r} must be {_KEY_BYTES} bytes")
        self._keys = {key_id: AESGCM(key) for key_id, key in master_keys.items()}
        self.active = active

    def __repr__(self) -> str:  # never print a key, even by accident
        return f"Envelope(master_keys={sorted(self._keys)}, active={self.active!r})"

    @property
    def master_key_ids(self) -> list[str]:
        return sorted(self._keys)

    def seal(self, plaintext: bytes, *, context: bytes) -> Sealed:
        """Encrypt ``plaintext`` under a fresh data key, wrapped by the active master key."""
        data_key = AESGCM.generate_key(bit_length=_KEY_BYTES * 8)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        ciphertext = nonce + AESGCM(data_key).encrypt(nonce, plaintext, context)
        return Sealed(ciphertext, self._wrap(data_key, context), self.active)

    def open(self, sealed: Sealed, *, context: bytes) -> bytes:
        """The plaintext; ``EnvelopeError`` if anything (ciphertext, key, context) does not match."""
        data_key = self._unwrap(sealed, context)
        nonce, body = sealed.ciphertext[:_NONCE_BYTES], sealed.ciphertext[_NONCE_BYTES:]
        try:
            return AESGCM(data_key).decrypt(nonce, body, context)
        except InvalidTag:
            raise EnvelopeError("a stored secret does not decrypt: it was altered or moved") from None

    def rewrap(self, sealed: Sealed, *, context: bytes) -> Sealed:
        """The same ciphertext, its data key wrapped by the active master key instead."""
        if sealed.master_key_id == self.active:
            return sealed
        return Sealed(sealed.ciphertext, self._wrap(self._unwrap(sealed, context), context), self.active)

    def _wrap(self, data_key: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + self._keys[self.active].encrypt(nonce, data_key, _wrap_aad(self.active, context))

    def _unwrap(self, sealed: Sealed, context: bytes) -> bytes:
        master = self._keys.get(sealed.master_key_id)
        if master is None:
            raise MasterKeyMissing(
                f"the master key {sealed.master_key_id!r} that protects this secret is not configured: "
                "add it back to platform.master_keys and re-wrap with the active key"
            )
        nonce, body = sealed.wrapped_key[:_NONCE_BYTES], sealed.wrapped_key[_NONCE_BYTES:]
        try:
            return master.decrypt(nonce, body, _wrap_aad(sealed.master_key_id, context))
        except InvalidTag:
            raise EnvelopeError("a stored data key does not unwrap: it was altered or moved") from None


def _wrap_aad(master_key_id: str, context: bytes) -> bytes:
    """Length-prefixed so that no (id, context) pair reads as another one."""
    name = master_key_id.encode()
    return len(name).to_bytes(2, "big") + name + context
