"""``trueport.providers.sigv4`` (hashlib and hmac, no botocore), with which the Bedrock adapter signs
and the emulator checks, agrees with botocore's signer: same signature for the paths Bedrock sees
(encoded model ids and ARNs, a query, dot and empty segments), with and without a session token,
and the headers the adapter sends are the ones botocore would sign."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from trueport.providers import sigv4

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PATHS = [
    "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
    "/model/arn%3Aaws%3Abedrock%3Aeu-west-1%3A123456789012%3Ainference-profile%2Feu.anthropic/invoke",
    "/model/amazon.titan-embed-text-v2%3A0/invoke?b=2&a=1",
    "/a/./b/../model//x/converse-stream",
]
TOKENS = [None, "FQoGZXIvYXdzEXAMPLETOKEN"]
BODY = b'{"messages": [{"role": "user", "content": [{"text": "Hello  there"}]}]}'
HEADERS = {"Content-Type": "application/json", "Accept": "application/vnd.amazon.eventstream"}


def _botocore(url: str, body: bytes, token: str | None) -> dict[str, str]:
    """The headers botocore adds (with the time it chose: X-Amz-Date)."""
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(HEADERS))
    SigV4Auth(Credentials("AKIDEXAMPLE", SECRET, token), "bedrock", "eu-west-1").add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("base", ["https://bedrock-runtime.eu-west-1.amazonaws.com", "http://127.0.0.1:8123"])
def test_the_adapters_headers_are_botocores(base: str, path: str, token: str | None) -> None:
    url = f"{base}{path}"
    expected = _botocore(url, BODY, token)
    now = datetime.strptime(expected["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    ours = sigv4.signed_headers(
        sigv4.Keys("AKIDEXAMPLE", SECRET, token),
        method="POST",
        url=url,
        body=BODY,
        headers=HEADERS,
        region="eu-west-1",
        service="bedrock",
        now=now,
    )
    assert ours == expected
    tampered = sigv4.signed_headers(
        sigv4.Keys("AKIDEXAMPLE", SECRET, token),
        method="POST",
        url=url,
        body=BODY + b" ",
        headers=HEADERS,
        region="eu-west-1",
        service="bedrock",
        now=now,
    )
    assert tampered["Authorization"] != expected["Authorization"]  # the body is signed


def test_the_keys_repr_keeps_the_secrets() -> None:
    text = repr(sigv4.Keys("AKIDEXAMPLE", SECRET, "TOKEN-123"))
    assert "AKIDEXAMPLE" in text
    assert SECRET not in text and "TOKEN-123" not in text
