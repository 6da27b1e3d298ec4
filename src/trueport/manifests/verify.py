"""Verifying a signed manifest, and the files it names, with trusted public keys.

``Verifier(trusted, revoked)`` holds the public keys a client trusts, by key id: several at once, so
that a key rotation never leaves a client unable to verify (trust the new key before the server
signs with it, drop the old one once no manifest signed by it is still valid). A revoked key id is
refused even when its public key is still among the trusted ones: revocation is a list a client
receives separately (see ``docs/manifests.md``), and it wins.

``verify`` checks, in this order: the key id is not revoked, the key is trusted, the algorithm is
the key's, the signature covers the canonical manifest, and the time is within [not_before,
expires_at] (with ``leeway`` for clock skew). ``check_file`` then checks each file's size and
SHA-256 as it is read. Every refusal is a ``ManifestError`` subclass whose message says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from trueport.manifests.document import Manifest, ManifestError, ModelFile, SignedManifest, format_time
from trueport.manifests.keys import PublicKey, signature_valid

_CHUNK = 1 << 20


class UntrustedKey(ManifestError):
    """The manifest names a key id this verifier does not trust."""


class RevokedKey(ManifestError):
    """The manifest was signed by a revoked key."""


class BadSignature(ManifestError):
    """The signature does not match the manifest (it was altered, or signed by another key)."""


class NotValidNow(ManifestError):
    """The manifest is expired or not yet valid."""


class FileMismatch(ManifestError):
    """A file's size or SHA-256 is not what the manifest says, or the manifest names no such file."""


class Verifier:
    def __init__(
        self,
        trusted: Mapping[str, PublicKey],
        revoked: Collection[str] = (),
        *,
        leeway: timedelta = timedelta(minutes=5),
    ) -> None:
        self._trusted = dict(trusted)
        self._revoked = frozenset(revoked)
        self._leeway = leeway

    def __repr__(self) -> str:
        return f"Verifier(trusted={sorted(self._trusted)!r}, revoked={sorted(self._revoked)!r})"

    def verify(
        self, signed: SignedManifest, *, now: datetime | None = None, grace: timedelta = timedelta(0)
    ) -> Manifest:
        """The manifest if its signature is good and it is valid at ``now`` (``grace`` past expiry)."""
        manifest = self.verify_signature(signed)
        check_validity(manifest, now or datetime.now(UTC), leeway=self._leeway, grace=grace)
        return manifest

    def verify_signature(self, signed: SignedManifest) -> Manifest:
        manifest = signed.manifest
        if manifest.key_id in self._revoked:
            raise RevokedKey(f"key {manifest.key_id} is revoked")
        key = self._trusted.get(manifest.key_id)
        if key is None:
            raise UntrustedKey(f"key {manifest.key_id} is not trusted")
        if not signature_valid(key, manifest.algorithm, signed.signature, manifest.signed_bytes()):
            raise BadSignature(f"bad signature (key {manifest.key_id}, {manifest.algorithm})")
        return manifest


def check_validity(
    manifest: Manifest, now: datetime, *, leeway: timedelta = timedelta(0), grace: timedelta = timedelta(0)
) -> None:
    if now + leeway < manifest.not_before:
        raise NotValidNow(f"the manifest is not valid before {format_time(manifest.not_before)}")
    if now - leeway - grace >= manifest.expires_at:
        raise NotValidNow(f"the manifest expired at {format_time(manifest.expires_at)}")


def check_file(expected: ModelFile, stream: BinaryIO, *, sink: BinaryIO | None = None) -> None:
    """Read ``stream`` to its end (copying to ``sink``); ``FileMismatch`` unless size and hash match.

    Stops reading as soon as the stream is longer than the manifest says, so a hostile server cannot
    make a client read without end."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > expected.size:
            raise FileMismatch(f"{expected.path}: longer than the {expected.size} bytes the manifest says")
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)
    if size != expected.size:
        raise FileMismatch(f"{expected.path}: {size} bytes, the manifest says {expected.size}")
    if digest.hexdigest() != expected.sha256:
        raise FileMismatch(f"{expected.path}: SHA-256 does not match the manifest")
