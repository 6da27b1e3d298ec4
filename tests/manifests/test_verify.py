"""Signing and verifying manifests: each kind of tampering is refused, rotation and revocation work."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from trueport.manifests.build import build_manifest, model_files
from trueport.manifests.document import (
    Manifest,
    ManifestFormatError,
    ModelFile,
    SignedManifest,
    check_relative_path,
    parse_signed,
)
from trueport.manifests.keys import KeyType, generate_private_key, key_id, load_public_keys, public_key_pem
from trueport.manifests.signers import LocalSigner, sign_manifest
from trueport.manifests.verify import (
    BadSignature,
    FileMismatch,
    NotValidNow,
    RevokedKey,
    UntrustedKey,
    Verifier,
    check_file,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
POLICY = {"version": 3, "detectors": {"injection": {"input": {"action": "block", "threshold": 0.5}}}}
FILES = (ModelFile("injection/1/model.onnx", 3, "a" * 64),)


def manifest(**changes: Any) -> Manifest:
    base = build_manifest(
        issuer="test",
        tenant_id="t-1",
        policy_version=3,
        policy_source="tenant",
        policy=POLICY,
        files=FILES,
        now=NOW,
        valid_for=timedelta(hours=1),
    )
    return replace(base, **changes)


async def signed_by(key_type: KeyType = "ed25519") -> tuple[SignedManifest, LocalSigner, Verifier]:
    key = generate_private_key(key_type, rsa_bits=2048)
    signer = LocalSigner(key)
    signed = await sign_manifest(signer, manifest())
    return signed, signer, Verifier({signer.key_id: key.public_key()})


def reparsed(signed: SignedManifest, edit: object = None) -> SignedManifest:
    """Through JSON and back (as a client receives it), after ``edit`` changes the parsed body."""
    body = orjson.loads(signed.to_json())
    if callable(edit):
        edit(body)
    return parse_signed(orjson.dumps(body))


@pytest.mark.parametrize("key_type", ["ed25519", "rsa"])
async def test_a_signed_manifest_verifies_after_a_round_trip(key_type: KeyType) -> None:
    signed, signer, verifier = await signed_by(key_type)
    assert signed.manifest.algorithm == ("ED25519" if key_type == "ed25519" else "RSASSA_PSS_SHA_256")
    # Reordered keys and other whitespace are the same canonical document.
    body = orjson.loads(signed.to_json())
    scrambled = {"signature": body["signature"], "manifest": dict(reversed(list(body["manifest"].items())))}
    got = verifier.verify(parse_signed(orjson.dumps(scrambled)), now=NOW)
    assert got.policy.document == POLICY and got.policy.version == 3 and got.key_id == signer.key_id


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: b["manifest"]["policy"]["document"]["detectors"]["injection"]["input"].update(
            action="flag"
        ),
        lambda b: b["manifest"]["policy"].update(version=2),
        lambda b: b["manifest"]["files"][0].update(sha256="b" * 64),
        lambda b: b["manifest"]["files"][0].update(size=4),
        lambda b: b["manifest"].update(expires_at="2030-01-01T00:00:00Z"),
        lambda b: b["manifest"].update(tenant_id="t-2"),
    ],
    ids=["policy-action", "policy-version", "file-hash", "file-size", "expiry", "tenant"],
)
async def test_a_changed_manifest_is_refused(edit: object) -> None:
    signed, _, verifier = await signed_by()
    with pytest.raises(BadSignature):
        verifier.verify(reparsed(signed, edit), now=NOW)


async def test_a_signature_swapped_from_another_manifest_is_refused() -> None:
    signed, signer, verifier = await signed_by("rsa")
    other = await sign_manifest(signer, manifest(tenant_id="t-2"))
    swapped = SignedManifest(signed.manifest, other.signature)
    with pytest.raises(BadSignature):
        verifier.verify(swapped, now=NOW)
    verifier.verify(other, now=NOW)  # the signature itself is good, for its own manifest


async def test_a_claimed_algorithm_must_be_the_keys() -> None:
    signed, _, verifier = await signed_by("ed25519")

    def claim_rsa(body: dict[str, dict[str, str]]) -> None:
        body["manifest"]["algorithm"] = "RSASSA_PSS_SHA_256"

    with pytest.raises(BadSignature):
        verifier.verify(reparsed(signed, claim_rsa), now=NOW)


async def test_unknown_and_revoked_keys_are_refused() -> None:
    signed, signer, verifier = await signed_by()
    with pytest.raises(UntrustedKey):
        Verifier({}).verify(signed, now=NOW)
    key = verifier._trusted[signer.key_id]
    with pytest.raises(RevokedKey):
        Verifier({signer.key_id: key}, revoked=[signer.key_id]).verify(signed, now=NOW)


async def test_rotation_trusts_both_keys_until_the_old_one_is_revoked() -> None:
    old, old_signer, old_verifier = await signed_by("rsa")
    new, new_signer, new_verifier = await signed_by("ed25519")
    both = {**old_verifier._trusted, **new_verifier._trusted}
    during = Verifier(both)
    assert during.verify(old, now=NOW).key_id == old_signer.key_id
    assert during.verify(new, now=NOW).key_id == new_signer.key_id
    after = Verifier(both, revoked=[old_signer.key_id])
    assert after.verify(new, now=NOW).key_id == new_signer.key_id
    with pytest.raises(RevokedKey):
        after.verify(old, now=NOW)


async def test_validity_period_with_leeway_and_grace() -> None:
    signed, _, verifier = await signed_by()
    verifier.verify(signed, now=NOW + timedelta(minutes=59))
    with pytest.raises(NotValidNow, match="expired"):
        verifier.verify(signed, now=NOW + timedelta(hours=1, minutes=6))
    with pytest.raises(NotValidNow, match="not valid before"):
        verifier.verify(signed, now=NOW - timedelta(minutes=6))
    verifier.verify(signed, now=NOW + timedelta(hours=2), grace=timedelta(hours=1))


def test_files_are_checked_by_size_and_hash() -> None:
    data = b"model bytes"
    entry = model_files_of({"m/1/model.onnx": data})[0]
    check_file(entry, io.BytesIO(data))
    with pytest.raises(FileMismatch, match="SHA-256"):
        check_file(entry, io.BytesIO(b"model bytez"))
    with pytest.raises(FileMismatch, match="longer"):
        check_file(entry, io.BytesIO(data + b"!"))
    with pytest.raises(FileMismatch, match="bytes"):
        check_file(entry, io.BytesIO(data[:-1]))


def model_files_of(files: dict[str, bytes]) -> tuple[ModelFile, ...]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        (root / ".hidden").write_bytes(b"x")
        return model_files(root)


def test_model_files_lists_every_file_but_hidden_ones() -> None:
    files = model_files_of({"a/config.pbtxt": b"c", "a/1/model.onnx": b"m", "a/1/vocab.txt": b"v"})
    assert [f.path for f in files] == ["a/1/model.onnx", "a/1/vocab.txt", "a/config.pbtxt"]
    assert files[0].size == 1 and len(files[0].sha256) == 64


@pytest.mark.parametrize(
    "path", ["../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "a\\b", ".git/config", ""]
)
def test_paths_that_could_leave_the_directory_are_refused(path: str) -> None:
    with pytest.raises(ManifestFormatError):
        check_relative_path(path)


async def test_a_manifest_naming_a_traversing_path_does_not_parse() -> None:
    signed, _, _ = await signed_by()

    def traverse(body: dict[str, dict[str, list[dict[str, str]]]]) -> None:
        body["manifest"]["files"][0]["path"] = "../../outside"

    with pytest.raises(ManifestFormatError):
        reparsed(signed, traverse)


@pytest.mark.parametrize(
    "data",
    [
        b"[]",
        b"{}",
        b'{"manifest": {}, "signature": "AA=="}',
        b'{"manifest": {"format": 2}, "signature": "AA=="}',
    ],
)
def test_malformed_manifests_are_refused(data: bytes) -> None:
    with pytest.raises(ManifestFormatError):
        parse_signed(data)


def test_public_keys_load_by_key_id() -> None:
    first, second = generate_private_key("ed25519"), generate_private_key("rsa", rsa_bits=2048)
    pem = public_key_pem(first.public_key()) + public_key_pem(second.public_key())
    assert set(load_public_keys(pem)) == {key_id(first.public_key()), key_id(second.public_key())}
