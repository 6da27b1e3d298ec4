"""Checking AWS Signature Version 4 as AWS does: recomputed from the emulator's own keys.

The emulator knows one AWS identity: ``MOCK_ACCESS_KEY_ID`` with ``MOCK_SECRET_ACCESS_KEY`` (or, when
the emulator runs with ``--api-key``, that key as the secret). A request must carry
``Authorization: AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/bedrock/aws4_request,
SignedHeaders=..., Signature=...`` and ``X-Amz-Date`` within five minutes of now; the signature is
recomputed over the request exactly as received (method, raw path, the signed headers, the body's
SHA-256) and compared in constant time. Failures answer 403 with AWS's error types and messages.
A session token (``X-Amz-Security-Token``) is accepted when it is among the signed headers.

The recomputation is ``trueport.providers.sigv4`` (hashlib and hmac, written from AWS's
specification), not botocore: the emulator runs in a plain install (``trueport demo``). That function
is checked against botocore's signer (``tests/mockprovider/test_sigv4.py``), and boto3 clients call
the emulator in ``tests/mockprovider/test_bedrock.py``.
"""

from __future__ import annotations

import hmac
import re
from datetime import UTC, datetime, timedelta

from aiohttp import web

from trueport.mockprovider.exchange import MockError
from trueport.providers.sigv4 import signature

MOCK_ACCESS_KEY_ID = "AKIAMOCKTRUEPORT0001"
MOCK_SECRET_ACCESS_KEY = "mock/secret/access/key/for/tests/only0001"  # noqa: S105 (the emulator's, public)
SERVICE = "bedrock"
MAX_SKEW = timedelta(minutes=5)
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)"
    r"/aws4_request, ?SignedHeaders=(?P<signed>[a-z0-9;-]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)


def aws_error(status: int, kind: str, message: str) -> MockError:
    return MockError(
        status,
        message,
        code=kind,
        headers={"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"},
    )


def verify(request: web.Request, body: bytes, secret: str) -> None:
    """Raise ``MockError`` (403, AWS's words) unless ``request`` is signed with the emulator's key."""
    authorization = request.headers.get("Authorization", "")
    if not authorization:
        raise aws_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    match = _AUTHORIZATION.match(authorization)
    if match is None:
        raise aws_error(
            403,
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.",
        )
    if match["key"] != MOCK_ACCESS_KEY_ID:
        raise aws_error(
            403, "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    if match["service"] != SERVICE:
        raise aws_error(
            403, "InvalidSignatureException", f"Credential should be scoped to correct service: '{SERVICE}'."
        )
    stamp = request.headers.get("X-Amz-Date", "")
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise aws_error(403, "IncompleteSignatureException", "X-Amz-Date is missing or malformed.") from None
    if abs(datetime.now(UTC) - signed_at) > MAX_SKEW:
        raise aws_error(
            403, "InvalidSignatureException", f"Signature expired: {stamp} is outside the allowed skew."
        )
    signed = match["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed or match["date"] != stamp[:8]:
        raise aws_error(
            403,
            "IncompleteSignatureException",
            "The host and x-amz-date headers must be signed, in the credential's date.",
        )
    if "X-Amz-Security-Token" in request.headers and "x-amz-security-token" not in signed:
        raise aws_error(403, "IncompleteSignatureException", "The session token must be signed.")
    expected = signature(
        secret=secret,
        method=request.method,
        raw_path=request.raw_path,
        headers={name: ",".join(request.headers.getall(name, [])) for name in signed},
        body=body,
        stamp=stamp,
        region=match["region"],
        service=SERVICE,
    )
    if not hmac.compare_digest(expected, match["signature"]):
        raise aws_error(
            403,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
