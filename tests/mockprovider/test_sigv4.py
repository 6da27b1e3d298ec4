"""The emulator's own SigV4 (hashlib and hmac, no botocore) agrees with botocore's signer, the one
the gateway's Bedrock adapter uses: same canonical request, same signature, for the paths Bedrock
sees (encoded model ids and ARNs, a query, dot and empty segments) and a session token."""

from __future__ import annotations

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from trueport.mockprovider import sigv4

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _botocore(url: str, body: bytes, token: str | None) -> tuple[str, dict[str, str]]:
    """botocore's signature (with the time it chose: X-Amz-Date) and the headers it signed."""
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    signer = SigV4Auth(Credentials("AKIDEXAMPLE", SECRET, token), "bedrock", "eu-west-1")
    signer.add_auth(request)
    authorization = str(request.headers["Authorization"])
    signed = authorization.split("SignedHeaders=")[1].split(",", maxsplit=1)[0].split(";")
    headers = {name: str(request.headers[name]) for name in signed if name != "host"}
    headers["host"] = url.split("/")[2]
    headers["X-Amz-Date"] = headers.pop("x-amz-date")
    return authorization.rsplit("Signature=", 1)[1], headers


@pytest.mark.parametrize(
    "path",
    [
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
        "/model/arn%3Aaws%3Abedrock%3Aeu-west-1%3A123456789012%3Ainference-profile%2Feu.anthropic/invoke",
        "/model/amazon.titan-embed-text-v2%3A0/invoke?b=2&a=1",
        "/a/./b/../model//x/converse-stream",
    ],
)
@pytest.mark.parametrize("token", [None, "FQoGZXIvYXdzEXAMPLETOKEN"])
def test_the_emulator_signs_as_botocore_does(path: str, token: str | None) -> None:
    body = b'{"messages": [{"role": "user", "content": [{"text": "Hello  there"}]}]}'
    expected, headers = _botocore(f"https://bedrock-runtime.eu-west-1.amazonaws.com{path}", body, token)
    ours = sigv4.signature(
        secret=SECRET,
        method="POST",
        raw_path=path,
        headers=headers,
        body=body,
        stamp=headers["X-Amz-Date"],
        region="eu-west-1",
    )
    assert ours == expected
    assert (
        sigv4.signature(
            secret=SECRET,
            method="POST",
            raw_path=path,
            headers=headers,
            body=body + b" ",
            stamp=headers["X-Amz-Date"],
            region="eu-west-1",
        )
        != expected
    )  # the body is signed
