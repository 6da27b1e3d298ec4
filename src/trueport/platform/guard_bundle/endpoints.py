"""HTTP endpoints of ``/guard/bundle``: the signed manifest and the files it names.

Readable with ``tenant:read``, which every role has (owner, admin, member, auditor): the bundle
holds the tenant's policy, which those roles may already read at ``/policies``, and the models the
project ships openly. An edge device authenticates as a member of its tenant.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse

from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import PlatformDep, Work
from trueport.platform.guard_bundle.schemas import SignedManifestOut
from trueport.platform.guard_bundle.service import BundleService
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/guard/bundle", tags=["guard"])

Reader = Annotated[TenantContext, Allowed(Permission.TENANT_READ)]

_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorBody,
        "description": "`manifest_signing_unavailable`: no signing key, or the KMS failed",
    }
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "`bundle_file_not_found`: the manifest lists no such file"}
}


def _bundles(request: Request) -> BundleService:
    state = request.app.state
    service = getattr(state, "guard_bundles", None)
    if not isinstance(service, BundleService):
        service = BundleService()
        state.guard_bundles = service
    return service


Bundles = Annotated[BundleService, Depends(_bundles)]


@router.get(
    "",
    summary="The tenant's signed guard manifest",
    description="A manifest of the model files and the tenant's active policy (with its version), signed "
    "with the installation's manifest key and valid for `manifests.validity_hours`. Edge clients "
    "(`trueport.edge`) verify it, then fetch each file from `/guard/bundle/file?path=...`.",
    response_model=SignedManifestOut,
    responses=_UNAVAILABLE,
)
async def read_manifest(ctx: Reader, work: Work, platform: PlatformDep, bundles: Bundles) -> Response:
    signed = await bundles.manifest(platform, work, ctx)
    return Response(signed.to_json(), media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get(
    "/file",
    summary="One model file of the guard bundle",
    description="The bytes of a file the manifest lists (`path` as in the manifest, e.g. "
    "`injection/1/model.onnx`). Files the manifest does not list, and any other path, are 404.",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **_NOT_FOUND},
)
async def read_file(
    ctx: Reader, platform: PlatformDep, bundles: Bundles, path: Annotated[str, Query(max_length=512)]
) -> FileResponse:
    del ctx  # authorisation only: the files are the same for every tenant
    files = await bundles.files(platform)
    location, entry = files.locate(path)
    return FileResponse(
        location, media_type="application/octet-stream", headers={"X-Content-SHA256": entry.sha256}
    )
