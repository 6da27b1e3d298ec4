"""Settings of the audit trail (``audit:`` in the config file, ``TRUEPORT_AUDIT__*`` in the environment)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class S3ArchiveConfig(BaseModel):
    """S3-compatible object storage for sealed archive segments, every object under Object Lock.

    The bucket must have been created with Object Lock enabled (which also turns versioning on); each
    object is written with ``mode`` and a retain-until date ``retention_days`` from its upload, so in
    COMPLIANCE mode nobody, the root account included, can delete or overwrite a version before then.
    The endpoint is operator configuration (never tenant input), so it is only required to be http(s).
    Without explicit credentials the SDK's own chain (instance role, web identity, ...) is used.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    bucket: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.\-]*[a-z0-9]$")
    prefix: str = Field(
        default="trueport-audit/",
        max_length=512,
        pattern=r"^([A-Za-z0-9!_.*'()\-]+/)*$",
        description="Key prefix (ending in '/', or empty) under which archives are written.",
    )
    endpoint_url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"^https?://[^\s/?#@]+(/[^\s?#]*)?$",
        description="For S3-compatible storage other than AWS (MinIO, Ceph, ...); AWS when unset.",
    )
    region: str = Field(default="us-east-1", min_length=1, max_length=64, pattern=r"^[a-z0-9\-]+$")
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"
    retention_days: int = Field(
        default=2557, gt=0, le=36_500, description="Object Lock retention (~7 years)."
    )
    timeout_s: float = Field(default=30.0, gt=0, le=600)

    @model_validator(mode="after")
    def _credentials_pair(self) -> S3ArchiveConfig:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("audit.archive_s3: give access_key_id and secret_access_key together")
        if self.session_token is not None and self.access_key_id is None:
            raise ValueError("audit.archive_s3: session_token needs access_key_id and secret_access_key")
        return self


class AuditConfig(BaseModel):
    """Where the checkpoint-signing key comes from, how often checkpoints are issued, how appends batch.

    The signing key is an Ed25519 private key in PEM (PKCS#8), from ``signing_key_file`` or from
    ``signing_key_pem`` (e.g. ``TRUEPORT_AUDIT__SIGNING_KEY_PEM``); never both. Without either, a
    development installation generates one and keeps it in the database; production refuses to start.
    To rotate, configure the new key and list the old public key in ``retired_public_keys`` so that
    ``public_keys()`` keeps publishing it (checkpoints it signed stay verifiable).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    origin: str = Field(
        default="trueport",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="The log's name, signed into every checkpoint (one per installation).",
    )
    signing_key_file: Path | None = None
    signing_key_pem: SecretStr | None = None
    retired_public_keys: list[str] = Field(
        default_factory=list, description="Public keys (PEM text, or a path to a PEM file) of earlier keys."
    )
    checkpoint_interval_s: float = Field(default=60.0, gt=0)
    batch_size: int = Field(default=500, gt=0)
    flush_interval_ms: int = Field(default=50, gt=0)
    db_timeout_s: float = Field(default=5.0, gt=0, description="A commit slower than this goes to the spool.")
    write_ahead: bool = Field(
        default=True,
        description="Make events that a 2xx answer waits for durable with one fsync of the local spool, "
        "replayed into the database right behind (instead of waiting for a database transaction).",
    )
    retry_interval_s: float = Field(
        default=2.0, gt=0, description="Longest wait between attempts to reach the database again."
    )
    spool_dir: Path = Field(
        default=Path("./trueport-audit-spool"),
        description="Local directory for events written while the database is unavailable (fsync'd).",
    )
    segment_events: int = Field(default=10_000, gt=0, description="Most events in one archive segment.")
    archive_dir: Path = Field(
        default=Path("./trueport-audit-archive"),
        description="Where sealed segments are archived when no archive_s3 is configured.",
    )
    archive_s3: S3ArchiveConfig | None = Field(
        default=None, description="Archive to S3-compatible storage with Object Lock (production)."
    )

    @model_validator(mode="after")
    def _one_key_source(self) -> AuditConfig:
        if self.signing_key_file is not None and self.signing_key_pem is not None:
            raise ValueError("audit: give signing_key_file or signing_key_pem, not both")
        return self
