"""I/O shapes of ``/guard/bundle`` (for the OpenAPI schema; the manifest format is ``trueport.manifests``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SignedManifestOut(BaseModel):
    """A signed manifest; ``docs/manifests.md`` describes ``manifest`` field by field."""

    manifest: dict[str, Any] = Field(
        description="format, issuer, key_id, algorithm, tenant_id, policy {version, source, document}, "
        "files [{path, size, sha256}], created_at, not_before, expires_at."
    )
    signature: str = Field(description="Base64 signature over the canonical JSON (RFC 8785) of `manifest`.")
