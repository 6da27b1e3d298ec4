"""Where sealed archive files go: a local directory by default, S3 with Object Lock in production.

An ``ObjectStore`` is rooted at one archive (a directory, or a bucket and key prefix) and stores
whole files by their name in the archive layout (``manifest.json``, ``segment-000001...``). Files
are written once and never replaced: an archive is evidence, so the directory backend fsyncs and
refuses to overwrite, and the S3 backend (``trueport.audit.s3``) puts every object under Object Lock.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Protocol

from trueport.audit.config import AuditConfig

S3_SCHEME = "s3://"


class StoreError(Exception):
    """The archive cannot be written or read there (not empty, unreachable, refused)."""


class ObjectStore(Protocol):
    """One archive's files, written once each."""

    @property
    def location(self) -> str:
        """Where the archive is, for messages (never with credentials)."""
        ...

    async def ensure_empty(self) -> None:
        """Raise ``StoreError`` if the archive already holds files: never mix two archives."""
        ...

    async def put(self, name: str, data: bytes) -> None:
        """Store ``data`` as ``name``, durably, or raise ``StoreError``."""
        ...

    async def names(self) -> list[str]:
        """The files of the archive, sorted."""
        ...

    async def get(self, name: str) -> bytes:
        """The content of ``name``, or ``StoreError``."""
        ...

    def child(self, name: str) -> ObjectStore:
        """The store of a sub-archive (a subdirectory, or a longer key prefix)."""
        ...

    async def folders(self) -> list[str]:
        """The names of the sub-archives, sorted."""
        ...


class DirectoryStore:
    """An archive in a local directory (created if missing; it must be empty to write to it)."""

    def __init__(self, directory: Path):
        self.directory = directory

    @property
    def location(self) -> str:
        return str(self.directory)

    async def ensure_empty(self) -> None:
        await asyncio.to_thread(self._prepare)

    async def put(self, name: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(name), data)

    async def names(self) -> list[str]:
        return await asyncio.to_thread(self._names)

    async def get(self, name: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(name).read_bytes)
        except OSError as exc:
            raise StoreError(f"cannot read {name} in {self.directory}: {exc.strerror}") from None

    def child(self, name: str) -> DirectoryStore:
        return DirectoryStore(self._path(name))

    async def folders(self) -> list[str]:
        return await asyncio.to_thread(self._folders)

    def _folders(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(path.name for path in self.directory.iterdir() if path.is_dir())

    def _path(self, name: str) -> Path:
        if not name or "/" in name or name in {".", ".."}:
            raise StoreError(f"not an archive file name: {name!r}")
        return self.directory / name

    def _prepare(self) -> None:
        if self.directory.exists() and any(self.directory.iterdir()):
            raise StoreError(f"{self.directory} is not empty")
        self.directory.mkdir(parents=True, exist_ok=True)

    def _names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(path.name for path in self.directory.iterdir() if path.is_file())

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        """Write a file durably and only once: an archive is evidence."""
        try:
            with path.open("xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}") from None


def open_store(target: str | Path | None, config: AuditConfig) -> ObjectStore:
    """The store for ``target``: ``s3://bucket/prefix`` or a directory; the configured archive if None.

    An ``s3://`` target uses the endpoint, region, credentials and Object Lock settings of
    ``audit.archive_s3`` (its bucket and prefix replaced by the target's), so an export to S3 always
    gets the same retention as the scheduled archive.
    """
    from trueport.audit.s3 import S3Store, parse_s3_target

    if target is None:
        if config.archive_s3 is not None:
            return S3Store(config.archive_s3)
        return DirectoryStore(config.archive_dir)
    if isinstance(target, str) and target.startswith(S3_SCHEME):
        if config.archive_s3 is None:
            raise StoreError("an s3:// destination needs audit.archive_s3 (endpoint, credentials, retention)")
        return S3Store(parse_s3_target(target, config.archive_s3))
    return DirectoryStore(Path(target))


async def download(store: ObjectStore, destination: Path) -> int:
    """Copy every file of the archive in ``store`` into the empty directory ``destination``.

    This is how an auditor verifies an archive kept in object storage: download it, then run the
    offline ``trueport audit verify`` on the copy (verification itself never touches the network).
    """
    local = DirectoryStore(destination)
    await local.ensure_empty()
    names = await store.names()
    for name in names:
        await local.put(name, await store.get(name))
    return len(names)
