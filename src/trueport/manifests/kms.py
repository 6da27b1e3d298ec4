"""A signer whose private key never leaves a cloud KMS: the AWS KMS ``Sign`` call, over HTTP.

The request is AWS KMS's JSON protocol (``X-Amz-Target: TrentService.Sign``, content type
``application/x-amz-json-1.1``) with ``MessageType: DIGEST`` and ``SigningAlgorithm:
RSASSA_PSS_SHA_256``: only the SHA-256 of the canonical manifest leaves the process. The key's
public half comes from ``TrentService.GetPublicKey`` once, for the key id (``keys.key_id``) written
into manifests; a verifier needs only that public key.

Authentication is a bearer token (``manifests.kms.token``) for a signing proxy in front of the KMS
(or a KMS-compatible service that takes one); AWS Signature Version 4 is not implemented here.
Errors never include the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from trueport import jsonutil
from trueport.manifests.document import Algorithm
from trueport.manifests.keys import PublicKey, key_id

KMS_ALGORITHM = "RSASSA_PSS_SHA_256"


class KmsError(Exception):
    """The KMS refused or could not be reached; the message has its status and error type."""


class KmsSigner:
    def __init__(
        self,
        endpoint: str,
        kms_key_id: str,
        *,
        token: str | None = None,
        timeout_s: float = 10.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._kms_key_id = kms_key_id
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session = session
        self._key_id: str | None = None
        self.public_key: PublicKey | None = None

    def __repr__(self) -> str:  # never the token
        return f"KmsSigner(endpoint={self._endpoint!r}, kms_key_id={self._kms_key_id!r})"

    @property
    def key_id(self) -> str:
        if self._key_id is None:
            raise KmsError("KmsSigner.open() must be awaited before the signer is used")
        return self._key_id

    @property
    def algorithm(self) -> Algorithm:
        return "RSASSA_PSS_SHA_256"

    async def open(self) -> KmsSigner:
        """Fetch the key's public half (``GetPublicKey``) and compute the key id; returns self."""
        answer = await self._call("GetPublicKey", {"KeyId": self._kms_key_id})
        der = _base64_field(answer, "PublicKey")
        try:
            public_key = serialization.load_der_public_key(der)
        except ValueError as exc:
            raise KmsError(f"GetPublicKey returned no DER public key: {exc}") from exc
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise KmsError("the KMS key is not an RSA key (RSASSA_PSS_SHA_256 needs one)")
        self.public_key = public_key
        self._key_id = key_id(public_key)
        return self

    async def sign(self, message: bytes) -> bytes:
        digest = hashlib.sha256(message).digest()
        answer = await self._call(
            "Sign",
            {
                "KeyId": self._kms_key_id,
                "Message": base64.b64encode(digest).decode(),
                "MessageType": "DIGEST",
                "SigningAlgorithm": KMS_ALGORITHM,
            },
        )
        if answer.get("SigningAlgorithm", KMS_ALGORITHM) != KMS_ALGORITHM:
            raise KmsError(f"the KMS signed with {answer.get('SigningAlgorithm')!r}")
        return _base64_field(answer, "Signature")

    async def _call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"TrentService.{operation}",
        }
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        session = self._session or aiohttp.ClientSession()
        try:
            async with session.post(
                self._endpoint, data=jsonutil.dumps(body), headers=headers, timeout=self._timeout
            ) as response:
                payload = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise KmsError(f"KMS {operation}: {type(exc).__name__}") from exc
        finally:
            if self._session is None:
                await session.close()
        try:
            answer = jsonutil.loads_object(payload)
        except ValueError:
            answer = {}
        if status != 200:
            kind = answer.get("__type", "error")
            raise KmsError(f"KMS {operation}: HTTP {status} {kind}")
        return answer


def _base64_field(answer: dict[str, Any], name: str) -> bytes:
    value = answer.get(name)
    if not isinstance(value, str):
        raise KmsError(f"the KMS answer has no {name}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KmsError(f"the KMS answer's {name} is not base64") from exc
