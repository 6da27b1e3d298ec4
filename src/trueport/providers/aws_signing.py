"""AWS credentials and Signature Version 4 for the Bedrock adapter.

Credentials are explicit keys from the provider's settings, or botocore's credential chain (with
``profile``: that shared-config profile): environment variables, shared config and credentials files,
web identity (EKS IRSA), container and EC2 instance roles. Requests are signed by ``sigv4`` (hashlib
and hmac), so explicit keys need nothing else; the chain needs botocore, the ``aws`` extra (which
``trueport.extras`` requires of such a configuration when it loads).

The chain is resolved once, on first use, in a worker thread, since it may read files or call the
instance metadata service or STS; temporary credentials are refreshed by botocore
(``RefreshableCredentials``), and a refresh that is due runs in a worker thread too, so the event
loop never waits on the network for a signature.

Nothing here logs or formats a secret: the secret key only ever enters the HMAC.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from trueport.errors import UpstreamStatus
from trueport.providers.sigv4 import Keys, signed_headers
from trueport.settings import ProviderConfig

SERVICE = "bedrock"


class AwsSigner:
    """Signs requests for one provider's AWS identity and region."""

    def __init__(self, provider: str, config: ProviderConfig):
        if config.region is None:
            raise ValueError("bedrock providers need a region")
        self._provider = provider
        self.region = config.region
        self._profile = config.profile
        self._keys: Keys | None = None  # explicit: fixed for the process's life
        self._chain: Any = None  # botocore Credentials, once the chain is resolved
        self._lock = asyncio.Lock()
        if config.access_key_id is not None and config.secret_access_key is not None:
            token = config.session_token.get_secret_value() if config.session_token is not None else None
            self._keys = Keys(config.access_key_id, config.secret_access_key.get_secret_value(), token)

    async def sign(self, url: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
        """``headers`` plus ``X-Amz-Date``, the session token if any, and ``Authorization``."""
        keys = self._keys or await self._chain_keys()
        return signed_headers(
            keys,
            method="POST",
            url=url,
            body=body,
            headers=headers,
            region=self.region,
            service=SERVICE,
            now=datetime.now(UTC),
        )

    async def _chain_keys(self) -> Keys:
        from botocore.credentials import RefreshableCredentials  # the aws extra
        from botocore.exceptions import BotoCoreError

        credentials = self._chain or await self._resolve()
        try:
            if isinstance(credentials, RefreshableCredentials) and credentials.refresh_needed():
                frozen = await asyncio.to_thread(credentials.get_frozen_credentials)
            else:
                frozen = credentials.get_frozen_credentials()
        except BotoCoreError as exc:
            raise self._unusable(f"refreshing AWS credentials failed ({type(exc).__name__})") from exc
        return Keys(frozen.access_key, frozen.secret_key, frozen.token)

    async def _resolve(self) -> Any:
        from botocore.exceptions import BotoCoreError

        async with self._lock:
            if self._chain is None:
                try:
                    found = await asyncio.to_thread(self._find)
                except BotoCoreError as exc:
                    raise self._unusable(f"AWS credential chain failed ({type(exc).__name__})") from exc
                if found is None:
                    raise self._unusable(
                        "no AWS credentials found (environment, profile, web identity, role)"
                    )
                self._chain = found
            return self._chain

    def _find(self) -> Any:
        import botocore.session

        return botocore.session.Session(profile=self._profile).get_credentials()

    def _unusable(self, message: str) -> UpstreamStatus:
        # As a 401 from the provider would be: this target's credential is unusable, try the next.
        return UpstreamStatus(f"{self._provider}: {message}", provider=self._provider, status=401)
