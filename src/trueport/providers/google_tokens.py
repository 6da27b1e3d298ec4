"""OAuth access tokens for the Vertex AI adapter, with google-auth.

The identity is a service-account key file (``credentials_file``) or application default credentials
(``GOOGLE_APPLICATION_CREDENTIALS``, the gcloud user's credentials, workload identity or the
metadata server on Google Cloud). Loading the credentials and refreshing a token both do blocking
I/O (files, the token endpoint, the metadata server), so they run in a worker thread, one at a time
per provider: callers that find the token stale while a refresh is running wait for that refresh
rather than starting their own. A token is used until ``margin`` before it expires (five minutes, or
a quarter of a short-lived token's lifetime), so a request never leaves with a token that lapses in
flight. A key file's ``token_uri`` is where its tokens come from (the emulator's, in tests).

Nothing here logs or formats a token or a private key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

import google.auth
import urllib3
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.urllib3 import Request
from google.oauth2 import service_account

from trueport.errors import UpstreamStatus
from trueport.settings import ProviderConfig

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_MARGIN_S = 300.0


class GoogleTokens:
    """The current access token of one provider's Google identity, refreshed before it expires."""

    def __init__(
        self,
        provider: str,
        config: ProviderConfig,
        *,
        margin_s: float = DEFAULT_MARGIN_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._provider = provider
        self._file = config.credentials_file
        self._margin_s = margin_s
        self._clock = clock
        self._credentials: Credentials | None = None
        self._http = urllib3.PoolManager(num_pools=2, timeout=urllib3.Timeout(total=config.timeout_s))
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._use_until = 0.0  # on ``clock``: when the token stops being handed out
        self.refreshes = 0

    async def token(self) -> str:
        """A token that is valid for at least the margin; refreshed first if it is not."""
        token = self._token
        if token is not None and self._clock() < self._use_until:
            return token
        async with self._lock:
            if self._token is not None and self._clock() < self._use_until:
                return self._token  # refreshed by the caller we waited for
            return await self._refresh()

    async def renew(self, refused: str) -> str:
        """A new token after the provider refused ``refused`` (401 or 403), refreshed once for all callers."""
        async with self._lock:
            if self._token is not None and self._token != refused and self._clock() < self._use_until:
                return self._token
            return await self._refresh()

    async def _refresh(self) -> str:
        try:
            token, lifetime = await asyncio.to_thread(self._refresh_blocking)
        except (GoogleAuthError, OSError, ValueError) as exc:
            # As a 401 from the provider would be: this target's identity is unusable, try the next.
            raise UpstreamStatus(
                f"{self._provider}: Google credentials failed ({type(exc).__name__})",
                provider=self._provider,
                status=401,
            ) from exc
        self.refreshes += 1
        margin = min(self._margin_s, lifetime / 4)
        self._token, self._use_until = token, self._clock() + lifetime - margin
        return token

    def _refresh_blocking(self) -> tuple[str, float]:
        """``(token, seconds it is valid for)``; loads the credentials the first time."""
        if self._credentials is None:
            self._credentials = self._load()
        credentials = self._credentials
        credentials.refresh(Request(self._http))  # type: ignore[no-untyped-call]
        token = credentials.token
        if not isinstance(token, str) or not token:
            raise GoogleAuthError("the token endpoint returned no access token")  # type: ignore[no-untyped-call]
        expiry = credentials.expiry  # naive UTC, as google-auth keeps it
        if expiry is None:
            return token, 3600.0
        lifetime = (expiry.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
        return token, max(lifetime, 0.0)

    def _load(self) -> Credentials:
        if self._file is not None:
            loaded: Credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(self._file), scopes=[SCOPE]
            )
            return loaded
        found, _project = google.auth.default(scopes=[SCOPE])
        return found
