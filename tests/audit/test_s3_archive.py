"""The audit archive in S3 with Object Lock, against moto's S3 server running as a real HTTP server.

Every object must come back with Object Lock mode COMPLIANCE and a retain-until date per settings,
a locked version must refuse deletion, and the archive, downloaded, must pass the offline verifier
(the same code path as ``trueport audit verify``). Credentials must never reach an error or a log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from moto.server import ThreadedMotoServer
from pydantic import ValidationError
from tests.audit.helpers import data_event
from tests.audit.test_archive import fill
from tests.support import free_port

from trueport.audit.archive import ExportError, archive_sealed, export_archive
from trueport.audit.commands import audit
from trueport.audit.config import AuditConfig, S3ArchiveConfig
from trueport.audit.issuer import CheckpointIssuer
from trueport.audit.log import AuditLog
from trueport.audit.objectstore import DirectoryStore, StoreError, download, open_store
from trueport.audit.s3 import S3Store
from trueport.audit.signing import KeyRing
from trueport.audit.spool import Spool
from trueport.audit.verify import verify_archive
from trueport.db.engine import SessionFactory

ACCESS_KEY = "AKIATRUEPORTTEST0001"
SECRET_KEY = "s3cr3t-never-printed-0b7f6c1e9d2a"
RETENTION_DAYS = 30


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def admin(endpoint: str) -> Any:
    """A plain boto3 client, as an auditor would use, to inspect what the archive wrote."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def settings(endpoint: str, bucket: str, **values: Any) -> S3ArchiveConfig:
    return S3ArchiveConfig(
        bucket=bucket,
        prefix="audit/",
        endpoint_url=endpoint,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        retention_days=RETENTION_DAYS,
        **values,
    )


def locked_bucket(endpoint: str) -> str:
    bucket = f"audit-{uuid.uuid4().hex[:12]}"
    admin(endpoint).create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    return bucket


def all_versions(endpoint: str, bucket: str) -> list[dict[str, Any]]:
    return list(admin(endpoint).list_object_versions(Bucket=bucket).get("Versions", []))


def assert_locked(endpoint: str, bucket: str, written_after: datetime) -> int:
    """Every object version in the bucket is under COMPLIANCE lock until its upload + RETENTION_DAYS."""
    client = admin(endpoint)
    versions = all_versions(endpoint, bucket)
    assert versions
    for version in versions:
        key, version_id = version["Key"], version["VersionId"]
        head = client.head_object(Bucket=bucket, Key=key, VersionId=version_id)
        got = client.get_object(Bucket=bucket, Key=key, VersionId=version_id)
        got["Body"].close()
        # (moto 5.2 answers GetObjectRetention with a 500; HEAD and GET carry the same lock headers.)
        for response in (head, got):
            assert response["ObjectLockMode"] == "COMPLIANCE", key
            until = response["ObjectLockRetainUntilDate"]
            expected = written_after + timedelta(days=RETENTION_DAYS)
            assert expected - timedelta(seconds=5) <= until <= expected + timedelta(minutes=5), (key, until)
    return len(versions)


def cli_verify(directory: Path, keyring: KeyRing, tmp_path: Path) -> str:
    key_file = tmp_path / "public.pem"
    key_file.write_text(keyring.public_keys()[0].pem)
    result = CliRunner().invoke(audit, ["verify", str(directory), "--public-key", str(key_file)])
    assert result.exit_code == 0, result.output
    return result.output


async def test_an_archive_in_s3_is_locked_and_verifies_after_download(
    sessions: SessionFactory, keyring: KeyRing, tmp_path: Path, s3_endpoint: str
) -> None:
    bucket = locked_bucket(s3_endpoint)
    issuer = CheckpointIssuer(sessions, keyring, origin="trueport", interval_s=60)
    total = await fill(sessions, issuer, tmp_path / "spool")
    store = S3Store(settings(s3_endpoint, bucket))
    started = datetime.now(UTC)

    result = await export_archive(sessions, issuer, store, segment_events=5)

    assert result.events == total and result.location == f"s3://{bucket}/audit/"
    objects = assert_locked(s3_endpoint, bucket, started)
    assert objects == 2 * result.segments + 1  # events + proofs per segment, and the manifest
    assert all(version["Key"].startswith("audit/") for version in all_versions(s3_endpoint, bucket))

    local = tmp_path / "downloaded"
    assert await download(store, local) == objects
    verified = verify_archive(local, keyring.verification_keys())
    assert verified.ok, verified.problems
    assert cli_verify(local, keyring, tmp_path) == f"OK {total} events\n"

    with pytest.raises(ExportError, match="is not empty"):
        await export_archive(sessions, issuer, store)


async def test_a_locked_version_cannot_be_deleted_or_its_lock_shortened(
    sessions: SessionFactory, keyring: KeyRing, tmp_path: Path, s3_endpoint: str
) -> None:
    bucket = locked_bucket(s3_endpoint)
    issuer = CheckpointIssuer(sessions, keyring, origin="trueport", interval_s=60)
    await fill(sessions, issuer, tmp_path / "spool", rounds=1)
    await export_archive(sessions, issuer, S3Store(settings(s3_endpoint, bucket)))
    client = admin(s3_endpoint)
    manifest = next(v for v in all_versions(s3_endpoint, bucket) if v["Key"] == "audit/manifest.json")

    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=bucket, Key=manifest["Key"], VersionId=manifest["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError):  # compliance mode: not even with the governance bypass
        client.delete_object(
            Bucket=bucket,
            Key=manifest["Key"],
            VersionId=manifest["VersionId"],
            BypassGovernanceRetention=True,
        )
    head = client.head_object(Bucket=bucket, Key=manifest["Key"], VersionId=manifest["VersionId"])
    assert head["ContentLength"] == manifest["Size"]


async def test_scheduled_archives_cover_each_sealed_event_once(
    sessions: SessionFactory, keyring: KeyRing, tmp_path: Path, s3_endpoint: str
) -> None:
    bucket = locked_bucket(s3_endpoint)
    root = S3Store(settings(s3_endpoint, bucket))
    issuer = CheckpointIssuer(sessions, keyring, origin="trueport", interval_s=60)
    started = datetime.now(UTC)
    assert await archive_sealed(sessions, issuer, root) is None  # nothing sealed yet

    await fill(sessions, issuer, tmp_path / "spool", rounds=2)  # 18 sealed, 3 not yet
    first = await archive_sealed(sessions, issuer, root, segment_events=5)
    assert first is not None and first.events == 18
    assert await archive_sealed(sessions, issuer, root) is None

    log = AuditLog(sessions, Spool(tmp_path / "spool2"), batch_size=4)
    for n in range(4):
        log.append(data_event("tenant-a", 100 + n))
    await log.stop()
    await issuer.issue()
    second = await archive_sealed(sessions, issuer, root)
    assert second is not None and second.events == 3 + 4

    folders = await root.folders()
    assert [folder.split("-")[:2] for folder in folders] == [
        ["000000000000", "000000000017"],
        ["000000000018", "000000000024"],
    ]
    assert_locked(s3_endpoint, bucket, started)
    for number, folder in enumerate(folders):
        local = tmp_path / f"archive-{number}"
        await download(root.child(folder), local)
        verified = verify_archive(local, keyring.verification_keys())
        assert verified.ok, verified.problems
        assert verified.events == (18, 7)[number]


async def test_the_directory_backend_archives_on_schedule_too(
    sessions: SessionFactory, keyring: KeyRing, tmp_path: Path
) -> None:
    store = open_store(None, AuditConfig(archive_dir=tmp_path / "archive"))
    assert isinstance(store, DirectoryStore)
    issuer = CheckpointIssuer(sessions, keyring, origin="trueport", interval_s=60)
    await fill(sessions, issuer, tmp_path / "spool", rounds=2)
    result = await archive_sealed(sessions, issuer, store)
    assert result is not None and result.events == 18
    (folder,) = await store.folders()
    assert verify_archive(tmp_path / "archive" / folder, keyring.verification_keys()).ok
    assert await archive_sealed(sessions, issuer, store) is None


async def test_a_bucket_without_object_lock_is_refused(
    sessions: SessionFactory, keyring: KeyRing, tmp_path: Path, s3_endpoint: str
) -> None:
    bucket = f"plain-{uuid.uuid4().hex[:12]}"
    admin(s3_endpoint).create_bucket(Bucket=bucket)
    issuer = CheckpointIssuer(sessions, keyring, origin="trueport", interval_s=60)
    with pytest.raises(ExportError, match="Object Lock"):
        await export_archive(sessions, issuer, S3Store(settings(s3_endpoint, bucket)))
    assert all_versions(s3_endpoint, bucket) == []


async def test_credentials_never_appear_in_errors_or_logs(
    s3_endpoint: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # an operator debugging: botocore must still not dump headers
    config = settings(s3_endpoint, f"missing-{uuid.uuid4().hex[:12]}", session_token="tok-never-printed-77")
    unreachable = settings(f"http://127.0.0.1:{free_port()}", "any-bucket", timeout_s=1)
    messages = [repr(config), str(config.model_dump()), repr(S3Store(config).config)]
    for store in (S3Store(config), S3Store(unreachable)):
        for attempt in (store.ensure_empty(), store.put("manifest.json", b"{}"), store.get("manifest.json")):
            with pytest.raises(StoreError) as failed:
                await attempt
            messages.append(str(failed.value))
    captured = capsys.readouterr()
    text = "\n".join([*messages, caplog.text, captured.out, captured.err])
    assert "NoSuchBucket" in text and "EndpointConnectionError" in text  # the errors are informative
    for secret in (SECRET_KEY, ACCESS_KEY, "tok-never-printed-77"):
        assert secret not in text


async def test_an_s3_destination_takes_bucket_and_prefix_from_the_target(s3_endpoint: str) -> None:
    config = AuditConfig(archive_s3=settings(s3_endpoint, "configured-bucket"))
    store = open_store("s3://exports-bucket/tenant-a/2026-11/", config)
    assert isinstance(store, S3Store)
    assert store.location == "s3://exports-bucket/tenant-a/2026-11/"
    assert store.config.retention_days == RETENTION_DAYS and store.config.object_lock_mode == "COMPLIANCE"
    assert isinstance(open_store(None, config), S3Store)
    with pytest.raises(StoreError, match=r"needs audit\.archive_s3"):
        open_store("s3://exports-bucket/x", AuditConfig())
    with pytest.raises(StoreError, match="bad bucket"):
        open_store("s3://Not_A_Bucket/x", config)


@pytest.mark.parametrize(
    "endpoint",
    ["file:///etc/passwd", "ftp://s3.example.com", "http://user:pass@s3.example.com", "s3.example.com"],
)
def test_the_endpoint_must_be_a_plain_http_url(endpoint: str) -> None:
    with pytest.raises(ValidationError):
        S3ArchiveConfig(bucket="audit-bucket", endpoint_url=endpoint)
    assert S3ArchiveConfig(bucket="audit-bucket", endpoint_url="https://s3.example.com:9000").endpoint_url


def test_keys_come_in_pairs() -> None:
    with pytest.raises(ValidationError, match="together"):
        S3ArchiveConfig(bucket="audit-bucket", access_key_id="AKIA")
