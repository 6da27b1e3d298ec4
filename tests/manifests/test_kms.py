"""``KmsSigner`` against a stand-in speaking AWS KMS's JSON protocol, holding the private key itself."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from trueport.manifests.build import build_manifest
from trueport.manifests.document import Manifest, ModelFile, SignedManifest
from trueport.manifests.keys import generate_private_key
from trueport.manifests.kms import KmsError, KmsSigner
from trueport.manifests.signers import LocalSigner, sign_manifest
from trueport.manifests.verify import BadSignature, Verifier

KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOKEN = "kms-proxy-token-for-tests"


@dataclass
class StandIn:
    url: str
    key: rsa.RSAPrivateKey
    calls: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
async def kms() -> AsyncIterator[StandIn]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    calls: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.json(loads=orjson.loads)
        calls.append(
            {"target": request.headers.get("X-Amz-Target"), "body": body, "headers": dict(request.headers)}
        )
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"__type": "AccessDeniedException"}, status=400)
        if (
            request.headers.get("Content-Type") != "application/x-amz-json-1.1"
            or body.get("KeyId") != KEY_ARN
        ):
            return web.json_response({"__type": "NotFoundException"}, status=400)
        if request.headers.get("X-Amz-Target") == "TrentService.GetPublicKey":
            der = key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return web.json_response({"KeyId": KEY_ARN, "PublicKey": base64.b64encode(der).decode()})
        if request.headers.get("X-Amz-Target") == "TrentService.Sign":
            if body.get("MessageType") != "DIGEST" or body.get("SigningAlgorithm") != "RSASSA_PSS_SHA_256":
                return web.json_response({"__type": "ValidationException"}, status=400)
            digest = base64.b64decode(body["Message"])
            if len(digest) != 32:
                return web.json_response({"__type": "ValidationException"}, status=400)
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            signature = key.sign(digest, pss, Prehashed(hashes.SHA256()))
            return web.json_response(
                {
                    "KeyId": KEY_ARN,
                    "Signature": base64.b64encode(signature).decode(),
                    "SigningAlgorithm": "RSASSA_PSS_SHA_256",
                }
            )
        return web.json_response({"__type": "UnknownOperationException"}, status=400)

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield StandIn(f"http://127.0.0.1:{port}/", key, calls)
    finally:
        await runner.cleanup()


def a_manifest() -> Manifest:
    return build_manifest(
        issuer="kms-test",
        tenant_id=None,
        policy_version=1,
        policy_source="installation",
        policy={"version": 1},
        files=(ModelFile("x/1/model.onnx", 1, "c" * 64),),
        now=datetime.now(UTC),
        valid_for=timedelta(hours=1),
    )


async def test_kms_signed_manifests_verify_with_the_kms_public_key(kms: StandIn) -> None:
    signer = await KmsSigner(kms.url, KEY_ARN, token=TOKEN).open()
    signed = await sign_manifest(signer, a_manifest())
    assert signed.manifest.algorithm == "RSASSA_PSS_SHA_256"
    # The verifier knows only the public key (as a client would, from a PEM file).
    assert Verifier({signer.key_id: kms.key.public_key()}).verify(signed).issuer == "kms-test"
    sign_call = kms.calls[-1]
    assert sign_call["target"] == "TrentService.Sign"
    # Only the digest left the process, never the manifest.
    assert sign_call["body"]["MessageType"] == "DIGEST"
    assert len(base64.b64decode(sign_call["body"]["Message"])) == 32
    assert b"kms-test" not in base64.b64decode(sign_call["body"]["Message"])


async def test_rotation_from_a_local_key_to_a_kms_key(kms: StandIn) -> None:
    local_key = generate_private_key("ed25519")
    local = LocalSigner(local_key)
    remote = await KmsSigner(kms.url, KEY_ARN, token=TOKEN).open()
    old, new = await sign_manifest(local, a_manifest()), await sign_manifest(remote, a_manifest())
    verifier = Verifier({local.key_id: local_key.public_key(), remote.key_id: kms.key.public_key()})
    assert {verifier.verify(old).key_id, verifier.verify(new).key_id} == {local.key_id, remote.key_id}
    # A KMS signature does not pass for another manifest.
    with pytest.raises(BadSignature):
        verifier.verify(SignedManifest(replace(new.manifest, issuer="someone else"), new.signature))


async def test_kms_errors_say_what_failed_and_never_the_token(kms: StandIn) -> None:
    with pytest.raises(KmsError) as refused:
        await KmsSigner(kms.url, KEY_ARN, token="wrong-token").open()
    assert "AccessDeniedException" in str(refused.value) and "wrong-token" not in str(refused.value)
    with pytest.raises(KmsError, match="NotFoundException"):
        await KmsSigner(kms.url, "alias/none", token=TOKEN).open()
    with pytest.raises(KmsError, match=r"ClientConnectorError|ClientOSError"):
        await KmsSigner("http://127.0.0.1:9/", KEY_ARN, token=TOKEN, timeout_s=2).open()
    with pytest.raises(KmsError, match="open"):
        _ = KmsSigner(kms.url, KEY_ARN, token=TOKEN).key_id
