"""A manifest from a model repository, a policy and a validity period (not yet signed).

Every regular file of the repository is listed (``config.pbtxt``, ``<version>/model.onnx`` and the
files detectors read beside it: ``features.json``, ``vocab.txt``, ``gazetteer.txt``), except hidden
files and Python caches. A bundle therefore carries whatever the repository holds, and the edge
client runs the same detectors on it as the server does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from trueport.manifests.document import (
    Manifest,
    ManifestFormatError,
    ModelFile,
    PolicyRef,
    check_relative_path,
)

_CHUNK = 1 << 20


def model_files(root: Path) -> tuple[ModelFile, ...]:
    """Path, size and SHA-256 of every file a bundle of ``root`` carries, sorted by path."""
    files = []
    for path in _walk(root):
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        relative = path.relative_to(root).as_posix()
        try:
            files.append(ModelFile(check_relative_path(relative), size, digest.hexdigest()))
        except ManifestFormatError:
            continue  # a name no client could store safely is not shipped
    return tuple(sorted(files, key=lambda f: f.path))


def _walk(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).parts
        if any(part.startswith(".") or part == "__pycache__" for part in relative):
            continue
        if path.is_file() and not path.is_symlink():
            yield path


def build_manifest(
    *,
    issuer: str,
    tenant_id: str | None,
    policy_version: int,
    policy_source: Literal["tenant", "installation"],
    policy: dict[str, Any],
    files: tuple[ModelFile, ...],
    now: datetime,
    valid_for: timedelta,
    not_before: datetime | None = None,
) -> Manifest:
    """An unsigned manifest (``key_id`` and ``algorithm`` are the signer's: ``sign_manifest``)."""
    now = now.replace(microsecond=0)
    start = (not_before or now).replace(microsecond=0)
    return Manifest(
        issuer=issuer,
        key_id="unsigned",
        algorithm="ED25519",
        tenant_id=tenant_id,
        policy=PolicyRef(policy_version, policy_source, policy),
        files=files,
        created_at=now,
        not_before=start,
        expires_at=start + valid_for,
    )
