"""Settings of signed manifests (``manifests:`` in the config file, ``TRUEPORT_MANIFESTS__*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class KmsConfig(BaseModel):
    """An AWS KMS-shaped ``Sign`` endpoint (``trueport.manifests.kms``): an RSA key, RSASSA_PSS_SHA_256."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str = Field(max_length=2000, pattern=r"^https?://[^\s/?#@]+(/[^\s?#]*)?$")
    key_id: str = Field(min_length=1, max_length=2048, description="The KMS key id or ARN.")
    token: SecretStr | None = Field(default=None, description="Bearer token for the endpoint.")
    timeout_s: float = Field(default=10.0, gt=0, le=120)


class ManifestsConfig(BaseModel):
    """Where the manifest-signing key comes from and how long a signed bundle stays valid.

    One of ``signing_key_file`` (a PEM private key, RSA >= 2048 bits or Ed25519), ``signing_key_pem``
    (e.g. ``TRUEPORT_MANIFESTS__SIGNING_KEY_PEM``) or ``kms``. Without any, a development installation
    generates an Ed25519 key once, keeps it in the database encrypted under the master key, and warns;
    production refuses to serve bundles (503) until one is configured.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(default="trueport", min_length=1, max_length=200)
    signing_key_file: Path | None = None
    signing_key_pem: SecretStr | None = None
    kms: KmsConfig | None = None
    validity_hours: float = Field(
        default=168.0, gt=0, le=24 * 366, description="How long a served manifest is valid (expires_at)."
    )
    max_file_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        description="Largest model file GET /api/v1/guard/bundle/file serves; larger ones are "
        "left out of the manifest.",
    )

    @model_validator(mode="after")
    def _one_key(self) -> ManifestsConfig:
        sources = [self.signing_key_file, self.signing_key_pem, self.kms]
        if sum(source is not None for source in sources) > 1:
            raise ValueError("manifests: give one of signing_key_file, signing_key_pem or kms")
        return self
