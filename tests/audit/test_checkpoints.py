"""Checkpoint keys and signatures: loading, rotation, the development key, issuing on demand and on schedule."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from tests.audit.helpers import T0, data_event

from trueport.audit.checkpoints import Checkpoint, sign_checkpoint
from trueport.audit.config import AuditConfig
from trueport.audit.issuer import CheckpointIssuer
from trueport.audit.log import AuditLog
from trueport.audit.merkle import EMPTY_ROOT
from trueport.audit.service import load_keyring
from trueport.audit.signing import (
    KeyRing,
    generate_private_key_pem,
    key_id,
    load_public_keys,
    public_key_pem,
)
from trueport.audit.spool import Spool
from trueport.db.engine import SessionFactory
from trueport.errors import ConfigError

ROOT = bytes(range(32))


def test_a_checkpoint_verifies_and_any_change_breaks_it(keyring: KeyRing) -> None:
    checkpoint = sign_checkpoint(keyring, "trueport", 42, ROOT, T0)
    keys = keyring.verification_keys()
    assert checkpoint.verify(keys)
    assert checkpoint.body() == (
        b"trueport-audit-checkpoint/1\ntrueport\n42\n" + ROOT.hex().encode()
        + b"\n2026-11-01T12:00:00.000000Z\n" + keyring.key_id.encode() + b"\n"
    )  # fmt: skip
    for changed in (
        replace(checkpoint, tree_size=43),
        replace(checkpoint, root_hash=EMPTY_ROOT),
        replace(checkpoint, issued_at=T0 + timedelta(microseconds=1)),
        replace(checkpoint, origin="elsewhere"),
        replace(checkpoint, signature=bytes(64)),
    ):
        assert not changed.verify(keys)
    other = KeyRing(Ed25519PrivateKey.generate())
    assert not checkpoint.verify(other.verification_keys())
    assert not replace(checkpoint, key_id=other.key_id).verify({**keys, **other.verification_keys()})


def test_checkpoints_round_trip_through_json_and_malformed_ones_are_refused(keyring: KeyRing) -> None:
    checkpoint = sign_checkpoint(keyring, "trueport", 7, ROOT, T0)
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
    good = checkpoint.to_json()
    for broken in (
        {**good, "extra": 1},
        {key: value for key, value in good.items() if key != "signature"},
        {**good, "tree_size": -1},
        {**good, "tree_size": True},
        {**good, "root_hash": ROOT.hex().upper()},
        {**good, "root_hash": ROOT.hex()[:-2]},
        {**good, "timestamp": "2026-11-01T12:00:00Z"},
        {**good, "signature": "not base64!"},
        {**good, "origin": "two\nlines"},
        "not an object",
    ):
        with pytest.raises(ValueError):
            Checkpoint.from_json(broken)


def test_rotation_keeps_old_checkpoints_verifiable(tmp_path: Path) -> None:
    old_pem, new_pem = generate_private_key_pem(), generate_private_key_pem()
    (tmp_path / "old.pem").write_bytes(old_pem)
    before = KeyRing.from_config(AuditConfig(signing_key_file=tmp_path / "old.pem"))
    old_checkpoint = sign_checkpoint(before, "trueport", 10, ROOT, T0)

    old_public = tmp_path / "old.pub"
    old_public.write_text(public_key_pem(before.public_key))
    after = KeyRing.from_config(
        AuditConfig(signing_key_pem=SecretStr(new_pem.decode()), retired_public_keys=[str(old_public)])
    )
    new_checkpoint = sign_checkpoint(after, "trueport", 20, EMPTY_ROOT, T0 + timedelta(hours=1))
    assert after.key_id != before.key_id
    assert old_checkpoint.verify(after.verification_keys())
    assert new_checkpoint.verify(after.verification_keys())
    assert not new_checkpoint.verify(before.verification_keys())

    published = after.public_keys()
    assert [(info.key_id, info.current) for info in published] == [
        (after.key_id, True),
        (before.key_id, False),
    ]
    # One file with both keys verifies both checkpoints (what `audit verify --public-key` reads).
    both = load_public_keys("".join(info.pem for info in published).encode())
    assert old_checkpoint.verify(both) and new_checkpoint.verify(both)
    # Retired keys may also be given inline.
    inline = KeyRing.from_config(
        AuditConfig(signing_key_pem=SecretStr(new_pem.decode()), retired_public_keys=[published[1].pem])
    )
    assert old_checkpoint.verify(inline.verification_keys())


def test_key_material_never_shows(tmp_path: Path) -> None:
    pem = generate_private_key_pem().decode()
    secret_line = pem.splitlines()[1]
    config = AuditConfig(signing_key_pem=SecretStr(pem))
    ring = KeyRing.from_config(config)
    assert secret_line not in repr(config) and secret_line not in str(config.model_dump())
    assert secret_line not in repr(ring)
    # Broken or wrong keys are refused without echoing them.
    for bad in (pem.replace(secret_line, secret_line[::-1]), "garbage " + secret_line):
        with pytest.raises(ConfigError) as caught:
            KeyRing.from_config(AuditConfig(signing_key_pem=SecretStr(bad)))
        assert secret_line not in str(caught.value) and secret_line[::-1] not in str(caught.value)
    ed448 = Ed448PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "ed448.pem").write_bytes(ed448)
    with pytest.raises(ConfigError, match="not an Ed25519 key"):
        KeyRing.from_config(AuditConfig(signing_key_file=tmp_path / "ed448.pem"))
    with pytest.raises(ConfigError, match="cannot read"):
        KeyRing.from_config(AuditConfig(signing_key_file=tmp_path / "missing.pem"))
    with pytest.raises(ValueError, match="not both"):
        AuditConfig(signing_key_file=tmp_path / "k.pem", signing_key_pem=SecretStr(pem))


def test_key_ids_are_derived_from_the_public_key() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    assert key_id(key) == key_id(load_public_keys(public_key_pem(key).encode())[key_id(key)])
    assert len(key_id(key)) == 16


async def test_development_installations_keep_one_generated_key(sessions: SessionFactory) -> None:
    first = await load_keyring(AuditConfig(), sessions, production=False)
    second = await load_keyring(AuditConfig(), sessions, production=False)
    assert first.key_id == second.key_id
    with pytest.raises(ConfigError, match="required in production"):
        await load_keyring(AuditConfig(), sessions, production=True)


async def test_issuing_on_demand_and_on_schedule(
    sessions: SessionFactory, keyring: KeyRing, tmp_path: Path
) -> None:
    issuer = CheckpointIssuer(sessions, keyring, origin="trueport", interval_s=0.05)
    empty = await issuer.issue()
    assert empty is not None and (empty.tree_size, empty.root_hash) == (0, EMPTY_ROOT)
    assert await issuer.issue(only_if_grown=True) is None  # nothing new

    log = AuditLog(sessions, Spool(tmp_path / "spool"), flush_interval_s=0.01)
    for n in range(5):
        log.append(data_event(n=n))
    await log.flush()
    await issuer.start()
    for _ in range(100):
        latest = await issuer.latest()
        if latest is not None and latest.tree_size == 5:
            break
        await asyncio.sleep(0.02)
    await issuer.stop()
    assert latest is not None and latest.tree_size == 5
    assert latest.verify(keyring.verification_keys())
    # Stored and read back, the checkpoint still verifies (times keep their microseconds).
    assert Checkpoint.from_json(latest.to_json()) == latest
    await log.stop()
