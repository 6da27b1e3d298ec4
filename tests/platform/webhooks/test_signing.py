"""Standard Webhooks signatures: what the worker signs, a receiver verifies; anything else fails."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from trueport.platform.webhooks.signing import (
    InvalidSignature,
    new_secret,
    sign,
    signed_headers,
    verify_signature,
)

BODY = b'{"id":"e1","topic":"inference.events.v1","data":{}}'


def test_a_secret_is_whsec_and_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


def test_the_signature_is_hmac_sha256_of_id_timestamp_and_body() -> None:
    secret = new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, b"msg_1.1700000000." + BODY, hashlib.sha256).digest())
    assert sign(secret, "msg_1", 1700000000, BODY) == "v1," + expected.decode()


def test_signed_headers_verify() -> None:
    secret = new_secret()
    headers = signed_headers(secret, "msg_1", BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    verify_signature(secret, headers, BODY, tolerance_s=300)


def test_one_valid_signature_among_several_is_enough() -> None:
    old, new = new_secret(), new_secret()
    headers = signed_headers(new, "msg_1", BODY)
    headers["webhook-signature"] = (
        f"{sign(old, 'msg_1', int(headers['webhook-timestamp']), BODY)} " + headers["webhook-signature"]
    )
    verify_signature(new, headers, BODY)
    verify_signature(old, headers, BODY)


def test_a_tampered_body_fails() -> None:
    secret = new_secret()
    headers = signed_headers(secret, "msg_1", BODY)
    with pytest.raises(InvalidSignature, match="no valid signature"):
        verify_signature(secret, headers, BODY.replace(b"e1", b"e2"))


def test_a_tampered_id_fails() -> None:
    secret = new_secret()
    headers = signed_headers(secret, "msg_1", BODY)
    with pytest.raises(InvalidSignature):
        verify_signature(secret, {**headers, "webhook-id": "msg_2"}, BODY)


def test_an_old_timestamp_fails_even_with_a_valid_signature() -> None:
    secret = new_secret()
    headers = signed_headers(secret, "msg_1", BODY, now=time.time() - 301)
    with pytest.raises(InvalidSignature, match="too old"):
        verify_signature(secret, headers, BODY, tolerance_s=300)
    verify_signature(secret, headers, BODY, tolerance_s=400)  # the same request within tolerance passes


def test_a_future_timestamp_fails() -> None:
    secret = new_secret()
    headers = signed_headers(secret, "msg_1", BODY, now=time.time() + 3600)
    with pytest.raises(InvalidSignature):
        verify_signature(secret, headers, BODY)


def test_a_wrong_secret_fails() -> None:
    headers = signed_headers(new_secret(), "msg_1", BODY)
    with pytest.raises(InvalidSignature, match="no valid signature"):
        verify_signature(new_secret(), headers, BODY)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_fails(missing: str) -> None:
    secret = new_secret()
    headers = signed_headers(secret, "msg_1", BODY)
    del headers[missing]
    with pytest.raises(InvalidSignature, match="required"):
        verify_signature(secret, headers, BODY)


def test_a_timestamp_that_is_not_a_number_fails() -> None:
    secret = new_secret()
    headers = {**signed_headers(secret, "msg_1", BODY), "webhook-timestamp": "soon"}
    with pytest.raises(InvalidSignature, match="not a number"):
        verify_signature(secret, headers, BODY)
