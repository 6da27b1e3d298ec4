"""The S3 backend of ``ObjectStore``: every object written under Object Lock, never replaced.

boto3 is synchronous; each call runs in a worker thread (a client is thread-safe), and an archive is
a handful of large objects, so this costs nothing that matters. Every ``PutObject`` carries
``ObjectLockMode`` and ``ObjectLockRetainUntilDate`` (now + ``retention_days``) and a Content-MD5,
which S3 requires for a request that sets a retention. Before writing, the bucket is checked to
have Object Lock enabled: a bucket without it would silently accept deletable objects.

Credentials come from settings (``SecretStr``) or the SDK's default chain, and never reach a message:
errors are rebuilt from the service's error code and text, and botocore's DEBUG log (which prints
request headers, the access key id among them) is held at INFO.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from trueport.audit.config import S3ArchiveConfig
from trueport.audit.objectstore import S3_SCHEME, StoreError

# Request dumps at DEBUG include the Authorization header; nothing below INFO is worth that risk.
logging.getLogger("botocore").setLevel(logging.INFO)

_CONTENT_TYPES = {".json": "application/json", ".gz": "application/gzip"}


def parse_s3_target(target: str, base: S3ArchiveConfig) -> S3ArchiveConfig:
    """``s3://bucket/some/prefix`` as settings: ``base`` with that bucket and prefix (``some/prefix/``)."""
    bucket, _, prefix = target.removeprefix(S3_SCHEME).partition("/")
    prefix = prefix.strip("/")
    values = base.model_dump()
    values.update(bucket=bucket, prefix=f"{prefix}/" if prefix else "")
    try:
        return S3ArchiveConfig.model_validate(values)
    except ValidationError as exc:
        fields = ", ".join(str(error["loc"][0]) for error in exc.errors() if error["loc"])
        raise StoreError(f"not a usable S3 destination: {target} (bad {fields})") from None


class S3Store:
    """One archive under ``s3://bucket/prefix`` (the prefix acts as its directory)."""

    def __init__(self, config: S3ArchiveConfig):
        self.config = config
        self.bucket = config.bucket
        self.prefix = config.prefix
        self._client = _client(config)

    @property
    def location(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}"

    async def ensure_empty(self) -> None:
        """Refuse a bucket without Object Lock, and a prefix that already holds objects."""
        lock = await self._call("get_object_lock_configuration", Bucket=self.bucket)
        if lock.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
            raise StoreError(f"bucket {self.bucket} does not have Object Lock enabled")
        listed = await self._call("list_objects_v2", Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        if listed.get("KeyCount", 0):
            raise StoreError(f"{self.location} is not empty")

    async def put(self, name: str, data: bytes) -> None:
        retain_until = datetime.now(UTC) + timedelta(days=self.config.retention_days)
        suffix = name[name.rfind(".") :]
        await self._call(
            "put_object",
            Bucket=self.bucket,
            Key=self._key(name),
            Body=data,
            ContentMD5=base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode(),
            ContentType=_CONTENT_TYPES.get(suffix, "application/octet-stream"),
            ObjectLockMode=self.config.object_lock_mode,
            ObjectLockRetainUntilDate=retain_until,
        )

    async def names(self) -> list[str]:
        return [item["Key"][len(self.prefix) :] for item in await self._list("Contents")]

    def child(self, name: str) -> S3Store:
        return S3Store(self.config.model_copy(update={"prefix": self._key(name) + "/"}))

    async def folders(self) -> list[str]:
        return [item["Prefix"][len(self.prefix) :].rstrip("/") for item in await self._list("CommonPrefixes")]

    async def _list(self, kind: str) -> list[dict[str, Any]]:
        """Every entry of ``kind`` (objects or "subfolders") directly under the prefix, sorted."""
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = await self._call(
                "list_objects_v2",
                Bucket=self.bucket,
                Prefix=self.prefix,
                Delimiter="/",
                **({"ContinuationToken": token} if token else {}),
            )
            found.extend(page.get(kind, []))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return sorted(found, key=lambda item: str(item.get("Key") or item.get("Prefix")))

    async def get(self, name: str) -> bytes:
        key = self._key(name)

        def read() -> bytes:
            try:
                response = self._client.get_object(Bucket=self.bucket, Key=key)
                return cast(bytes, response["Body"].read())
            except (ClientError, BotoCoreError) as exc:
                raise _store_error("get_object", key, exc) from None

        return await asyncio.to_thread(read)

    def _key(self, name: str) -> str:
        if not name or "/" in name or name in {".", ".."}:
            raise StoreError(f"not an archive file name: {name!r}")
        return self.prefix + name

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        method = getattr(self._client, operation)

        def call() -> dict[str, Any]:
            try:
                return cast(dict[str, Any], method(**params))
            except (ClientError, BotoCoreError) as exc:
                raise _store_error(operation, params.get("Key") or params.get("Bucket", ""), exc) from None

        return await asyncio.to_thread(call)


def _client(config: S3ArchiveConfig) -> Any:
    secret = config.secret_access_key
    session = boto3.session.Session(
        aws_access_key_id=config.access_key_id.get_secret_value() if config.access_key_id else None,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        aws_session_token=config.session_token.get_secret_value() if config.session_token else None,
        region_name=config.region,
    )
    options = Config(
        connect_timeout=config.timeout_s,
        read_timeout=config.timeout_s,
        retries={"mode": "standard", "max_attempts": 4},
        signature_version="s3v4",
        # S3-compatible servers (MinIO, Ceph, a test server on an IP) expect path-style URLs.
        s3={"addressing_style": "path" if config.endpoint_url else "auto"},
    )
    return session.client("s3", endpoint_url=config.endpoint_url, config=options)


def _store_error(operation: str, target: str, exc: ClientError | BotoCoreError) -> StoreError:
    """A message from the service's error code and text only (never the request, never credentials)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        detail = f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    else:
        detail = type(exc).__name__
    return StoreError(f"S3 {operation} {target} failed ({detail})")
