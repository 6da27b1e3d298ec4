"""Fetch, verify and cache the tenant's guard bundle; fall back to the cache when offline.

``EdgeClient.load()`` is what a device calls at start-up and then periodically:

1. fetch the signed manifest (``GET <base_url>/api/v1/guard/bundle``) and verify it: a trusted key
   that is not revoked, a good signature, valid now, and not created before the cached one (a replay
   of an older, still valid manifest would roll the policy back). A refusal raises
   (``ManifestError``): a bundle that fails verification is never stored or used, and is not
   papered over with the cache.
2. fetch each file it names (``/api/v1/guard/bundle/file?path=<path>``), reading no more than the size
   the manifest says and checking its SHA-256; a file the cache already holds with the same hash
   is copied from there instead of downloaded.
3. store the bundle (``BundleCache``, atomic) and return it.

If the control plane cannot be reached (connection refused, DNS, timeout, HTTP 5xx), ``load`` uses the
cached bundle instead, after verifying it again (signature, every file's hash) and checking that it
is still valid: until ``expires_at`` plus ``offline_grace`` (default: no grace). An expired cached
bundle is refused (``NoUsableBundle``): the guard does not run on a policy or models the issuer no
longer vouches for.
"""

from __future__ import annotations

import hashlib
import http.client
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from trueport.edge.cache import MANIFEST_FILE, MODELS_DIR, BundleCache
from trueport.manifests.document import MAX_MANIFEST_BYTES, Manifest, ManifestError, format_time, parse_signed
from trueport.manifests.verify import Verifier, check_file, check_validity

BUNDLE_PATH = "/api/v1/guard/bundle"


class GatewayUnreachable(Exception):
    """The control plane could not be reached or did not answer (the cache may serve instead)."""


class StaleManifest(ManifestError):
    """A validly signed manifest older than the one already cached (a replay of an older policy)."""


class RequestRefused(Exception):
    """The control plane refused the request (HTTP 4xx: a bad token, a role without access)."""


class NoUsableBundle(Exception):
    """Offline, and no cached bundle that verifies and is still valid."""


@dataclass(frozen=True, slots=True)
class Bundle:
    """A verified bundle on disk: its manifest and the model repository it names."""

    manifest: Manifest
    directory: Path
    origin: Literal["fetched", "cache"]

    @property
    def models_dir(self) -> Path:
        return self.directory / MODELS_DIR


class EdgeClient:
    def __init__(
        self,
        base_url: str,
        cache_dir: Path | str,
        verifier: Verifier,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 10.0,
        offline_grace: timedelta = timedelta(0),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._base = base_url.rstrip("/")
        self.cache = BundleCache(cache_dir)
        self._verifier = verifier
        self._headers = dict(headers or {})
        if token is not None:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout_s
        self.offline_grace = offline_grace
        self.clock = clock

    def __repr__(self) -> str:  # never the token
        return f"EdgeClient(base_url={self._base!r}, cache={str(self.cache.directory)!r})"

    def load(self) -> Bundle:
        """The fresh bundle, or the cached one if the control plane cannot be reached."""
        try:
            return self.fetch()
        except GatewayUnreachable:
            return self.cached()

    def fetch(self) -> Bundle:
        """Fetch, verify and cache the bundle.

        Raises ``GatewayUnreachable``, ``RequestRefused`` or a ``ManifestError`` (refused bundle)."""
        raw = self._get(BUNDLE_PATH, limit=MAX_MANIFEST_BYTES)
        signed = parse_signed(raw)
        manifest = self._verifier.verify(signed, now=self.clock())
        previous = self.cache.current()
        if previous is not None:
            _refuse_rollback(manifest, previous)

        def write(staging: Path) -> None:
            (staging / MANIFEST_FILE).write_bytes(raw)
            for entry in manifest.files:
                target = staging / MODELS_DIR / entry.path
                target.parent.mkdir(parents=True, exist_ok=True)
                if previous is not None and _same_file(previous / MODELS_DIR / entry.path, entry.sha256):
                    shutil.copyfile(previous / MODELS_DIR / entry.path, target)
                    continue
                url = f"{BUNDLE_PATH}/file?{urllib.parse.urlencode({'path': entry.path})}"
                try:
                    with self._open(url) as response, target.open("wb") as sink:
                        check_file(entry, response, sink=sink)
                except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                    raise GatewayUnreachable(f"{entry.path}: the download broke off ({exc!r})") from None

        directory = self.cache.store(hashlib.sha256(raw).hexdigest()[:24], write)
        return Bundle(manifest, directory, "fetched")

    def cached(self) -> Bundle:
        """The cached bundle, verified again, if it is still valid (``offline_grace`` included)."""
        directory = self.cache.current()
        if directory is None:
            raise NoUsableBundle("the control plane cannot be reached and no bundle is cached")
        try:
            signed = parse_signed((directory / MANIFEST_FILE).read_bytes())
            manifest = self._verifier.verify(signed, now=self.clock(), grace=self.offline_grace)
            for entry in manifest.files:
                with (directory / MODELS_DIR / entry.path).open("rb") as stream:
                    check_file(entry, stream)
        except (ManifestError, OSError) as exc:
            raise NoUsableBundle(f"the cached bundle cannot be used: {exc}") from exc
        return Bundle(manifest, directory, "cache")

    def still_valid(self, manifest: Manifest) -> None:
        """``ManifestError`` (``NotValidNow``) once ``manifest`` is past its expiry and the grace."""
        check_validity(manifest, self.clock(), grace=self.offline_grace)

    def _get(self, path: str, *, limit: int) -> bytes:
        with self._open(path) as response:
            data: bytes = response.read(limit + 1)
        if len(data) > limit:
            raise ManifestError(f"the manifest is larger than {limit} bytes")
        return data

    def _open(self, path: str) -> http.client.HTTPResponse:
        request = urllib.request.Request(self._base + path, headers=self._headers)  # noqa: S310 - http(s) only, checked
        if not request.full_url.startswith(("http://", "https://")):
            raise ValueError("the control plane URL must be http:// or https://")
        try:
            response: http.client.HTTPResponse = urllib.request.urlopen(request, timeout=self._timeout)  # noqa: S310
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code >= 500:
                raise GatewayUnreachable(f"the control plane answered HTTP {exc.code}") from None
            raise RequestRefused(f"the control plane refused the bundle request: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise GatewayUnreachable(f"the control plane cannot be reached: {exc}") from None
        return response


def _refuse_rollback(manifest: Manifest, previous: Path) -> None:
    """A manifest older than the cached one is a replay (an older policy, still within its validity)."""
    try:
        cached = parse_signed((previous / MANIFEST_FILE).read_bytes()).manifest
    except (OSError, ManifestError):
        return  # an unreadable cache is replaced
    if manifest.created_at < cached.created_at:
        raise StaleManifest(
            f"the manifest was created before the cached one ({format_time(manifest.created_at)} < "
            f"{format_time(cached.created_at)}): refused as a replay"
        )


def _same_file(path: Path, sha256: str) -> bool:
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest() == sha256
    except OSError:
        return False
