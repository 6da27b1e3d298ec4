"""What ``/guard/bundle`` does: sign a manifest of the tenant's active policy and the model files.

The manifest names every file of the model repository this installation runs (``guard.models_dir``
or the packaged one) with its size and SHA-256, and the tenant's active policy with its version (the
installation's policy for a tenant that never saved one). It is signed afresh on each request, valid
for ``manifests.validity_hours`` from now. The file list is hashed once per process (the repository
does not change while the server runs: a retrained model is a restart) and the signer opened once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trueport.errors import ApiNotFound, ApiUnavailable, ConfigError
from trueport.guard.models import DEFAULT_MODEL_DIR
from trueport.manifests.build import build_manifest, model_files
from trueport.manifests.document import ManifestFormatError, ModelFile, SignedManifest, check_relative_path
from trueport.manifests.kms import KmsError
from trueport.manifests.service import open_signer
from trueport.manifests.signers import Signer, sign_manifest
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.policies.service import active_version
from trueport.platform.tenancy import TenantContext


@dataclass(frozen=True, slots=True)
class BundleFiles:
    root: Path
    files: tuple[ModelFile, ...]

    def locate(self, path: str) -> tuple[Path, ModelFile]:
        """The file on disk for a manifest path; 404 for anything the manifest does not list."""
        try:
            check_relative_path(path)
        except ManifestFormatError:
            raise ApiNotFound("no such file in the guard bundle", code="bundle_file_not_found") from None
        entry = next((f for f in self.files if f.path == path), None)
        if entry is None:
            raise ApiNotFound("no such file in the guard bundle", code="bundle_file_not_found")
        return self.root / path, entry


class BundleService:
    """One per app: the signer and the hashed file list, opened on first use."""

    def __init__(self) -> None:
        self._signer: Signer | None = None
        self._files: BundleFiles | None = None
        self._lock = asyncio.Lock()

    async def signer(self, platform: Platform) -> Signer:
        async with self._lock:
            if self._signer is None:
                try:
                    self._signer = await open_signer(
                        platform.settings.manifests,
                        platform.sessions,
                        platform.envelope,
                        production=platform.settings.environment == "production",
                    )
                except (ConfigError, KmsError) as exc:
                    raise ApiUnavailable(str(exc), code="manifest_signing_unavailable") from None
            return self._signer

    async def files(self, platform: Platform) -> BundleFiles:
        if self._files is None:
            configured = platform.settings.guard.models_dir
            root = Path(configured) if configured else DEFAULT_MODEL_DIR
            limit = platform.settings.manifests.max_file_bytes
            listed = await asyncio.to_thread(model_files, root)
            self._files = BundleFiles(root, tuple(f for f in listed if f.size <= limit))
        return self._files

    async def manifest(self, platform: Platform, work: UnitOfWork, ctx: TenantContext) -> SignedManifest:
        settings = platform.settings
        policy = await active_version(work, ctx, settings.guard)
        files = await self.files(platform)
        manifest = build_manifest(
            issuer=settings.manifests.issuer,
            tenant_id=ctx.tenant_id,
            policy_version=policy.version,
            policy_source=policy.source,
            policy=policy.policy.model_dump(mode="json"),
            files=files.files,
            now=datetime.now(UTC),
            valid_for=timedelta(hours=settings.manifests.validity_hours),
        )
        signer = await self.signer(platform)
        try:
            return await sign_manifest(signer, manifest)
        except KmsError as exc:
            raise ApiUnavailable(str(exc), code="manifest_signing_unavailable") from None
