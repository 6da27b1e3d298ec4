"""AWS credentials and Signature Version 4 for the Bedrock adapter, with botocore's own signer.

Credentials are explicit keys from the provider's settings, or botocore's credential chain (with
``profile``: that shared-config profile): environment variables, shared config and credentials files,
web identity (EKS IRSA), container and EC2 instance roles. The chain is resolved once, on first use,
in a worker thread, since it may read files or call the instance metadata service or STS; temporary
credentials are refreshed by botocore (``RefreshableCredentials``), and a refresh that is due runs in
a worker thread too, so the event loop never waits on the network for a signature.

Nothing here logs or formats a secret: the secret key only ever enters botocore's HMAC.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials, RefreshableCredentials
from botocore.exceptions import BotoCoreError

from trueport.errors import UpstreamStatus
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
        self._credentials: Credentials | None = None
        self._lock = asyncio.Lock()
        if config.access_key_id is not None and config.secret_access_key is not None:
            token = config.session_token.get_secret_value() if config.session_token is not None else None
            self._credentials = Credentials(
                config.access_key_id, config.secret_access_key.get_secret_value(), token
            )

    async def sign(self, url: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
        """``headers`` plus ``X-Amz-Date``, the session token if any, and ``Authorization``."""
        frozen = await self._frozen()
        request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        SigV4Auth(frozen, SERVICE, self.region).add_auth(request)
        return {name: str(value) for name, value in request.headers.items()}

    async def _frozen(self) -> ReadOnlyCredentials:
        credentials = self._credentials or await self._resolve()
        try:
            if isinstance(credentials, RefreshableCredentials) and credentials.refresh_needed():
                return await asyncio.to_thread(credentials.get_frozen_credentials)
            return credentials.get_frozen_credentials()
        except BotoCoreError as exc:
            raise self._unusable(f"refreshing AWS credentials failed ({type(exc).__name__})") from exc

    async def _resolve(self) -> Credentials:
        async with self._lock:
            if self._credentials is None:
                try:
                    found = await asyncio.to_thread(self._chain)
                except BotoCoreError as exc:
                    raise self._unusable(f"AWS credential chain failed ({type(exc).__name__})") from exc
                if found is None:
                    raise self._unusable(
                        "no AWS credentials found (environment, profile, web identity, role)"
                    )
                self._credentials = found
            return self._credentials

    def _chain(self) -> Credentials | None:
        session = botocore.session.Session(profile=self._profile)
        credentials: Credentials | None = session.get_credentials()
        return credentials

    def _unusable(self, message: str) -> UpstreamStatus:
        # As a 401 from the provider would be: this target's credential is unusable, try the next.
        return UpstreamStatus(f"{self._provider}: {message}", provider=self._provider, status=401)
