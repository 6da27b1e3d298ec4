"""The on-disk cache of verified bundles, replaced atomically.

Layout under the cache directory::

    current                       the name of the bundle in use (replaced with os.replace)
    bundles/<id>/manifest.json    the signed manifest, as received
    bundles/<id>/models/<path>    the files it names

A new bundle is written into a temporary directory beside ``bundles/`` and renamed into place, then
``current`` is switched: a reader sees the old bundle or the new one, never half of one, and a crash
leaves at worst a temporary directory, removed at the next store. What is on disk is not trusted:
``EdgeClient`` verifies the signature and every file's hash again whenever it loads a bundle.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

_CURRENT = "current"
_BUNDLES = "bundles"
MANIFEST_FILE = "manifest.json"
MODELS_DIR = "models"


class BundleCache:
    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def current(self) -> Path | None:
        """The directory of the bundle in use, or None if nothing was ever stored."""
        try:
            name = (self.directory / _CURRENT).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        path = self.directory / _BUNDLES / name
        return path if name and "/" not in name and path.is_dir() else None

    def store(self, bundle_id: str, write: Callable[[Path], None]) -> Path:
        """Let ``write`` fill a fresh directory, then make it the current bundle ``bundle_id``.

        If ``write`` raises, nothing changes (the partial directory is removed)."""
        bundles = self.directory / _BUNDLES
        bundles.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.directory))
        try:
            write(staging)
            target = bundles / bundle_id
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        pointer = self.directory / f".{_CURRENT}.{os.getpid()}"
        with pointer.open("w", encoding="utf-8") as stream:
            stream.write(bundle_id)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(pointer, self.directory / _CURRENT)
        self._prune(keep=bundle_id)
        return target

    def _prune(self, keep: str) -> None:
        for path in (self.directory / _BUNDLES).iterdir():
            if path.name != keep:
                shutil.rmtree(path, ignore_errors=True)
        for path in self.directory.glob(".incoming-*"):
            shutil.rmtree(path, ignore_errors=True)
