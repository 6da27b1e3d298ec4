"""Manifest signing keys: RSA (RSA-PSS-SHA256) and Ed25519, in PEM, and their key ids.

A key id is the first 16 hex digits of SHA-256 over the public key's DER SubjectPublicKeyInfo, so
anyone holding the public key computes the same id (a KMS key's id is computed the same way, from
the public key the KMS returns). Private key material never appears in a message, a log line or a
``repr``: errors name where a key came from, never the key.

RSA-PSS uses SHA-256, MGF1 with SHA-256 and a 32-byte salt (the digest's length), which is what AWS
KMS ``RSASSA_PSS_SHA_256`` produces, so a local key and a KMS key are verified the same way.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trueport.manifests.document import Algorithm

PrivateKey = rsa.RSAPrivateKey | Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | Ed25519PublicKey
KeyType = Literal["rsa", "ed25519"]
MIN_RSA_BITS = 2048

_PUBLIC_PEM = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


class SigningKeyError(ValueError):
    """A key could not be read or is not one a manifest may be signed with."""


def pss_padding() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def key_id(public_key: PublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def algorithm_of(key: PrivateKey | PublicKey) -> Algorithm:
    return "ED25519" if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey) else "RSASSA_PSS_SHA_256"


def generate_private_key(key_type: KeyType = "ed25519", *, rsa_bits: int = 3072) -> PrivateKey:
    if key_type == "ed25519":
        return Ed25519PrivateKey.generate()
    if rsa_bits < MIN_RSA_BITS:
        raise SigningKeyError(f"RSA keys must have at least {MIN_RSA_BITS} bits")
    return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)


def private_key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(key: PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(pem: bytes, source: str) -> PrivateKey:
    """An unencrypted RSA (>= 2048 bits) or Ed25519 private key from PEM."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise SigningKeyError(
            f"manifest signing key from {source} is not an unencrypted PEM private key"
        ) from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise SigningKeyError(f"manifest signing key from {source}: RSA keys need >= {MIN_RSA_BITS} bits")
        return key
    if isinstance(key, Ed25519PrivateKey):
        return key
    raise SigningKeyError(f"manifest signing key from {source} is neither RSA nor Ed25519")


def load_private_key_file(path: Path) -> PrivateKey:
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read manifest signing key {path}: {exc.strerror}") from None
    return load_private_key(pem, str(path))


def load_public_keys(pem: bytes) -> dict[str, PublicKey]:
    """Every RSA or Ed25519 public key in a PEM text (blocks may follow one another), by key id."""
    keys: dict[str, PublicKey] = {}
    for block in _PUBLIC_PEM.findall(pem):
        try:
            key = serialization.load_pem_public_key(block)
        except ValueError as exc:
            raise SigningKeyError(f"not a PEM public key: {exc}") from exc
        if not isinstance(key, rsa.RSAPublicKey | Ed25519PublicKey):
            raise SigningKeyError("a manifest key must be RSA or Ed25519")
        keys[key_id(key)] = key
    if not keys:
        raise SigningKeyError("no PEM public key found")
    return keys


def load_public_key_files(paths: list[Path]) -> dict[str, PublicKey]:
    keys: dict[str, PublicKey] = {}
    for path in paths:
        try:
            keys.update(load_public_keys(path.read_bytes()))
        except OSError as exc:
            raise SigningKeyError(f"cannot read public key {path}: {exc.strerror}") from None
    return keys


def sign_locally(key: PrivateKey, message: bytes) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        return key.sign(message)
    return key.sign(message, pss_padding(), hashes.SHA256())


def signature_valid(key: PublicKey, algorithm: Algorithm, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``key``'s over ``message`` with ``algorithm`` (a mismatch is False)."""
    try:
        if isinstance(key, Ed25519PublicKey):
            if algorithm != "ED25519":
                return False
            key.verify(signature, message)
        else:
            if algorithm != "RSASSA_PSS_SHA_256":
                return False
            key.verify(signature, message, pss_padding(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
