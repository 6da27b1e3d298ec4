"""Who signs a manifest: the ``Signer`` protocol and the local-key implementation.

A signer knows its key id and algorithm (both go into the manifest before it is signed) and signs
bytes. ``sign`` is async because a KMS signer makes a network call (``trueport.manifests.kms``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from trueport.manifests.document import Algorithm, Manifest, SignedManifest
from trueport.manifests.keys import PrivateKey, algorithm_of, key_id, sign_locally


class Signer(Protocol):
    @property
    def key_id(self) -> str: ...

    @property
    def algorithm(self) -> Algorithm: ...

    async def sign(self, message: bytes) -> bytes:
        """The signature over ``message`` with this signer's key and algorithm."""
        ...


class LocalSigner:
    """Signs with a private key held in this process (RSA-PSS-SHA256 or Ed25519, by the key's type)."""

    def __init__(self, private_key: PrivateKey) -> None:
        self._key = private_key
        self._key_id = key_id(private_key.public_key())
        self._algorithm = algorithm_of(private_key)

    def __repr__(self) -> str:  # never the key
        return f"LocalSigner(key_id={self._key_id!r}, algorithm={self._algorithm!r})"

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def algorithm(self) -> Algorithm:
        return self._algorithm

    async def sign(self, message: bytes) -> bytes:
        return sign_locally(self._key, message)


async def sign_manifest(signer: Signer, manifest: Manifest) -> SignedManifest:
    """``manifest`` with the signer's key id and algorithm, signed."""
    named = replace(manifest, key_id=signer.key_id, algorithm=signer.algorithm)
    return SignedManifest(named, await signer.sign(named.signed_bytes()))
