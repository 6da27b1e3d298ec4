"""Settings of the audit trail (``audit:`` in the config file, ``TRUEPORT_AUDIT__*`` in the environment)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


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
    retry_interval_s: float = Field(
        default=2.0, gt=0, description="Longest wait between attempts to reach the database again."
    )
    spool_dir: Path = Field(
        default=Path("./trueport-audit-spool"),
        description="Local directory for events written while the database is unavailable (fsync'd).",
    )
    segment_events: int = Field(default=10_000, gt=0, description="Most events in one archive segment.")

    @model_validator(mode="after")
    def _one_key_source(self) -> AuditConfig:
        if self.signing_key_file is not None and self.signing_key_pem is not None:
            raise ValueError("audit: give signing_key_file or signing_key_pem, not both")
        return self
