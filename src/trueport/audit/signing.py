"""Ed25519 keys for checkpoints: loading, key ids, rotation, and the development fallback.

A key's id is the first 16 hex digits of SHA-256 over its raw 32-byte public key, so anyone holding
the public key can compute it. The ``KeyRing`` signs with the current key and publishes the current
and the retired public keys: checkpoints signed before a rotation stay verifiable. Private key
material never appears in a message, a log line or a ``repr``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trueport.audit.config import AuditConfig
from trueport.errors import ConfigError

_PUBLIC_PEM = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)

PublicKeys = dict[str, Ed25519PublicKey]


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def generate_private_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(pem: bytes, source: str) -> Ed25519PrivateKey:
    """An unencrypted Ed25519 private key from PEM; errors name ``source``, never the key."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise ConfigError(f"audit signing key from {source} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"audit signing key from {source} is not an Ed25519 key")
    return key


def load_public_keys(pem: bytes) -> PublicKeys:
    """Every Ed25519 public key in a PEM text (several blocks may follow one another), by key id."""
    keys: PublicKeys = {}
    for block in _PUBLIC_PEM.findall(pem):
        try:
            key = serialization.load_pem_public_key(block)
        except ValueError as exc:
            raise ValueError(f"not a PEM public key: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        keys[key_id(key)] = key
    if not keys:
        raise ValueError("no PEM public key found")
    return keys


def verify_signature(keys: PublicKeys, signer: str, signature: bytes, message: bytes) -> bool:
    key = keys.get(signer)
    if key is None:
        return False
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True, slots=True)
class PublicKeyInfo:
    """One published key (for the public-keys endpoint)."""

    key_id: str
    pem: str
    current: bool


class KeyRing:
    """The current signing key and the public keys of the ones it replaced."""

    def __init__(self, signing_key: Ed25519PrivateKey, retired: PublicKeys | None = None):
        self._signing_key = signing_key
        self.public_key = signing_key.public_key()
        self.key_id = key_id(self.public_key)
        self._retired = {kid: key for kid, key in (retired or {}).items() if kid != self.key_id}

    def __repr__(self) -> str:
        return f"KeyRing(key_id={self.key_id!r}, retired={sorted(self._retired)!r})"

    def sign(self, message: bytes) -> bytes:
        return self._signing_key.sign(message)

    def verification_keys(self) -> PublicKeys:
        return {**self._retired, self.key_id: self.public_key}

    def public_keys(self) -> list[PublicKeyInfo]:
        """The current key first, then the retired ones."""
        infos = [PublicKeyInfo(self.key_id, public_key_pem(self.public_key), current=True)]
        infos += [
            PublicKeyInfo(kid, public_key_pem(key), current=False)
            for kid, key in sorted(self._retired.items())
        ]
        return infos

    @classmethod
    def from_config(cls, config: AuditConfig, fallback_pem: bytes | None = None) -> KeyRing:
        """The ring the config describes; ``fallback_pem`` signs when the config names no key."""
        if config.signing_key_file is not None:
            try:
                pem = config.signing_key_file.read_bytes()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read audit signing key file {config.signing_key_file}: {exc.strerror}"
                ) from None
            signing_key = load_private_key(pem, str(config.signing_key_file))
        elif config.signing_key_pem is not None:
            signing_key = load_private_key(
                config.signing_key_pem.get_secret_value().encode(), "signing_key_pem"
            )
        elif fallback_pem is not None:
            signing_key = load_private_key(fallback_pem, "the installation settings")
        else:
            raise ConfigError("audit: no signing key configured (signing_key_file or signing_key_pem)")
        return cls(signing_key, _retired_keys(config.retired_public_keys))


def has_configured_key(config: AuditConfig) -> bool:
    return config.signing_key_file is not None or config.signing_key_pem is not None


def _retired_keys(entries: list[str]) -> PublicKeys:
    keys: PublicKeys = {}
    for entry in entries:
        if entry.lstrip().startswith("-----BEGIN"):
            pem, source = entry.encode(), "retired_public_keys (inline PEM)"
        else:
            try:
                pem, source = Path(entry).read_bytes(), entry
            except OSError as exc:
                raise ConfigError(f"cannot read retired audit public key {entry}: {exc.strerror}") from None
        try:
            keys.update(load_public_keys(pem))
        except ValueError as exc:
            raise ConfigError(f"audit: retired public key from {source}: {exc}") from None
    return keys
