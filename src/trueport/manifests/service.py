"""The server's manifest signer, from ``manifests:``: a key file or PEM, a KMS, or a development key.

Without a configured key, a development installation generates an Ed25519 key once and keeps it in
``installation_settings`` sealed under the installation's master key (``platform.master_keys``), as
the control plane keeps provider credentials: a database dump alone does not give the key away.
It warns when it generates one. Production never falls back to a generated key.
"""

from __future__ import annotations

import base64

import structlog

from trueport import jsonutil
from trueport.db.engine import SessionFactory
from trueport.errors import ConfigError
from trueport.manifests.config import ManifestsConfig
from trueport.manifests.keys import (
    SigningKeyError,
    generate_private_key,
    load_private_key,
    load_private_key_file,
    private_key_pem,
)
from trueport.manifests.kms import KmsSigner
from trueport.manifests.signers import LocalSigner, Signer
from trueport.platform.credentials.envelope import Envelope, Sealed
from trueport.platform.secrets import stored_secret

log = structlog.get_logger(__name__)

_DEV_KEY_SETTING = "manifest_signing_key_dev"
_DEV_KEY_CONTEXT = b"trueport:manifest-signing-key"


async def configured_signer(config: ManifestsConfig) -> Signer | None:
    """The signer ``config`` names (a KMS signer opened: its public key fetched); None if it names none."""
    try:
        if config.kms is not None:
            token = config.kms.token.get_secret_value() if config.kms.token is not None else None
            kms = KmsSigner(
                config.kms.endpoint, config.kms.key_id, token=token, timeout_s=config.kms.timeout_s
            )
            return await kms.open()
        if config.signing_key_file is not None:
            return LocalSigner(load_private_key_file(config.signing_key_file))
        if config.signing_key_pem is not None:
            pem = config.signing_key_pem.get_secret_value().encode()
            return LocalSigner(load_private_key(pem, "manifests.signing_key_pem"))
    except SigningKeyError as exc:
        raise ConfigError(str(exc)) from None
    return None


async def open_signer(
    config: ManifestsConfig, sessions: SessionFactory, envelope: Envelope, *, production: bool
) -> Signer:
    """The configured signer; in development without one, the installation's generated key."""
    signer = await configured_signer(config)
    if signer is not None:
        return signer
    if production:
        raise ConfigError("manifests: a signing key is required in production (signing_key_file, pem or kms)")
    return LocalSigner(load_private_key(await _development_key(sessions, envelope), "the installation"))


async def _development_key(sessions: SessionFactory, envelope: Envelope) -> bytes:
    sealed = envelope.seal(private_key_pem(generate_private_key("ed25519")), context=_DEV_KEY_CONTEXT)
    made = jsonutil.dumps(
        {
            "master_key_id": sealed.master_key_id,
            "wrapped_key": base64.b64encode(sealed.wrapped_key).decode(),
            "ciphertext": base64.b64encode(sealed.ciphertext).decode(),
        }
    ).decode()
    stored = await stored_secret(sessions, _DEV_KEY_SETTING, made)
    if stored == made:
        log.warning("manifest_development_signing_key_generated", hint="set manifests.signing_key_file")
    fields = jsonutil.loads_object(stored)
    kept = Sealed(
        base64.b64decode(fields["ciphertext"]),
        base64.b64decode(fields["wrapped_key"]),
        fields["master_key_id"],
    )
    return envelope.open(kept, context=_DEV_KEY_CONTEXT)
