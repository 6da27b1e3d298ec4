"""The manifest: what a guard bundle holds, for whom, from when to when; and its signed envelope.

A signed manifest is one JSON object::

    {"manifest": {...}, "signature": "<base64>"}

and the signature covers the canonical JSON (RFC 8785, ``trueport.canonical``) of ``manifest``,
so that whitespace, key order or number spelling added on the way change nothing, and any change to
a value breaks it. ``manifest`` holds:

    format        1 (FORMAT_VERSION); a verifier refuses a format it does not know
    issuer        who signed it (``manifests.issuer``)
    key_id        the signing key's id (``keys.key_id``) and ``algorithm`` (RSASSA_PSS_SHA_256 | ED25519)
    tenant_id     the tenant whose policy it carries; null for the installation's policy
    policy        {"version": int, "source": "tenant" | "installation", "document": {the policy}}
    files         [{"path": "injection/1/model.onnx", "size": int, "sha256": hex}], sorted by path
    created_at, not_before, expires_at: RFC 3339 UTC timestamps ("2026-12-07T13:00:00Z")

The key id and algorithm are inside what is signed: a signature cannot be passed off as another
key's. File paths are relative POSIX paths inside the model repository (``check_relative_path``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from trueport import jsonutil
from trueport.canonical import CanonicalJSONError, canonical_json

FORMAT_VERSION = 1
Algorithm = Literal["RSASSA_PSS_SHA_256", "ED25519"]
ALGORITHMS: tuple[Algorithm, ...] = ("RSASSA_PSS_SHA_256", "ED25519")
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # a manifest (policy included) is a few kilobytes

_SHA256 = re.compile(r"[0-9a-f]{64}")
_PATH_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class ManifestError(Exception):
    """A manifest was refused; the message says why (never a key)."""


class ManifestFormatError(ManifestError):
    """Not a manifest this version reads: malformed JSON, a missing or mistyped field."""


@dataclass(frozen=True, slots=True)
class ModelFile:
    path: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class PolicyRef:
    version: int
    source: Literal["tenant", "installation"]
    document: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "source": self.source, "document": self.document}


@dataclass(frozen=True, slots=True)
class Manifest:
    issuer: str
    key_id: str
    algorithm: Algorithm
    tenant_id: str | None
    policy: PolicyRef
    files: tuple[ModelFile, ...]
    created_at: datetime
    not_before: datetime
    expires_at: datetime
    format: int = FORMAT_VERSION

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "issuer": self.issuer,
            "key_id": self.key_id,
            "algorithm": self.algorithm,
            "tenant_id": self.tenant_id,
            "policy": self.policy.as_dict(),
            "files": [f.as_dict() for f in self.files],
            "created_at": format_time(self.created_at),
            "not_before": format_time(self.not_before),
            "expires_at": format_time(self.expires_at),
        }

    def signed_bytes(self) -> bytes:
        """What the signature covers: the canonical JSON of ``as_dict()``."""
        try:
            return canonical_json(self.as_dict())
        except CanonicalJSONError as exc:
            raise ManifestFormatError(f"the manifest has no canonical form: {exc}") from exc

    def file(self, path: str) -> ModelFile | None:
        return next((f for f in self.files if f.path == path), None)


@dataclass(frozen=True, slots=True)
class SignedManifest:
    manifest: Manifest
    signature: bytes

    def to_json(self) -> bytes:
        body = {"manifest": self.manifest.as_dict(), "signature": base64.b64encode(self.signature).decode()}
        return orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ManifestFormatError("manifest times must be timezone-aware")
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_signed(data: bytes) -> SignedManifest:
    """A signed manifest from its JSON; ``ManifestFormatError`` if it is not one (nothing verified yet)."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestFormatError(f"a manifest is at most {MAX_MANIFEST_BYTES} bytes")
    try:
        body = jsonutil.loads_object(data)
    except ValueError as exc:
        raise ManifestFormatError(f"not a JSON object: {exc}") from exc
    signature = body.get("signature")
    if not isinstance(signature, str):
        raise ManifestFormatError("'signature' must be a base64 string")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ManifestFormatError(f"'signature' is not base64: {exc}") from exc
    manifest = body.get("manifest")
    if not isinstance(manifest, dict):
        raise ManifestFormatError("'manifest' must be an object")
    return SignedManifest(parse_manifest(manifest), raw)


def parse_manifest(body: Mapping[str, Any]) -> Manifest:
    fmt = body.get("format")
    if fmt != FORMAT_VERSION:
        raise ManifestFormatError(f"unknown manifest format {fmt!r} (this reader knows {FORMAT_VERSION})")
    extra = set(body) - {
        "format",
        "issuer",
        "key_id",
        "algorithm",
        "tenant_id",
        "policy",
        "files",
        "created_at",
        "not_before",
        "expires_at",
    }
    if extra:
        raise ManifestFormatError(f"unknown manifest fields {sorted(extra)}")
    algorithm = _string(body, "algorithm")
    if algorithm not in ALGORITHMS:
        raise ManifestFormatError(f"unknown algorithm {algorithm!r}")
    tenant_id = body.get("tenant_id")
    if tenant_id is not None and not isinstance(tenant_id, str):
        raise ManifestFormatError("'tenant_id' must be a string or null")
    return Manifest(
        issuer=_string(body, "issuer"),
        key_id=_string(body, "key_id"),
        algorithm=algorithm,
        tenant_id=tenant_id,
        policy=_policy(body.get("policy")),
        files=_files(body.get("files")),
        created_at=_time(body, "created_at"),
        not_before=_time(body, "not_before"),
        expires_at=_time(body, "expires_at"),
    )


def check_relative_path(path: str) -> str:
    """``path`` if it is a plain relative path (``name/1/model.onnx``); ``ManifestFormatError`` if it
    could leave its directory: absolute, ``..``, empty or hidden parts, backslashes, odd characters."""
    parts = path.split("/")
    if not path or len(path) > 512 or not all(_PATH_PART.fullmatch(p) for p in parts):
        raise ManifestFormatError(f"not a plain relative file path: {path!r}")
    return path


def _string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ManifestFormatError(f"'{name}' must be a non-empty string")
    return value


def _time(body: Mapping[str, Any], name: str) -> datetime:
    text = _string(body, name)
    try:
        return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ManifestFormatError(f"'{name}' is not a UTC time like 2026-12-07T13:00:00Z") from exc


def _policy(value: object) -> PolicyRef:
    if not isinstance(value, dict):
        raise ManifestFormatError("'policy' must be an object")
    version, source, document = value.get("version"), value.get("source"), value.get("document")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ManifestFormatError("'policy.version' must be a non-negative integer")
    if source not in ("tenant", "installation"):
        raise ManifestFormatError("'policy.source' must be 'tenant' or 'installation'")
    if not isinstance(document, dict):
        raise ManifestFormatError("'policy.document' must be an object")
    return PolicyRef(version, source, document)


def _files(value: object) -> tuple[ModelFile, ...]:
    if not isinstance(value, list):
        raise ManifestFormatError("'files' must be an array")
    files: list[ModelFile] = []
    for item in value:
        if not isinstance(item, dict):
            raise ManifestFormatError("each file must be an object")
        path, size, digest = item.get("path"), item.get("size"), item.get("sha256")
        if not isinstance(path, str):
            raise ManifestFormatError("a file's 'path' must be a string")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ManifestFormatError(f"file {path!r}: 'size' must be a non-negative integer")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ManifestFormatError(f"file {path!r}: 'sha256' must be 64 lower-case hex digits")
        files.append(ModelFile(check_relative_path(path), size, digest))
    if len({f.path for f in files}) != len(files):
        raise ManifestFormatError("a file is listed twice")
    return tuple(files)
