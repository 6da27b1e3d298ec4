"""Export and offline verification: intact archives pass, every kind of tampering is found and located."""

from __future__ import annotations

import asyncio
import random
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.audit.archive_mutations import (
    MUTATIONS,
    events_files,
    proofs_path,
    read_lines,
    read_proofs,
    snapshot,
    write_lines,
    write_proofs,
)
from tests.audit.helpers import T0, control_event, data_event

from support.migrated import upgrade_empty_to_head
from trueport.audit.archive import ExportError, export_archive
from trueport.audit.issuer import CheckpointIssuer
from trueport.audit.log import AuditLog
from trueport.audit.signing import KeyRing, PublicKeys
from trueport.audit.spool import Spool
from trueport.audit.verify import verify_archive
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.settings import async_database_url

TENANTS = ("tenant-a", "tenant-b")


async def fill(sessions: SessionFactory, issuer: CheckpointIssuer, spool: Path, *, rounds: int = 4) -> int:
    """Rounds of events with a checkpoint after each, then a few the export must cover itself."""
    log = AuditLog(sessions, Spool(spool), batch_size=4)
    n = 0
    for _ in range(rounds):
        for _ in range(9):
            log.append(control_event(None, n) if n % 7 == 3 else data_event(TENANTS[n % 2], n))
            n += 1
        await log.flush()
        await issuer.issue()
    for _ in range(3):
        log.append(data_event(TENANTS[n % 2], n))
        n += 1
    await log.stop()
    return n


@pytest.fixture
async def sqlite_sessions(sqlite_database_url: str) -> AsyncIterator[SessionFactory]:
    url = async_database_url(sqlite_database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


async def exported(sessions: SessionFactory, keyring: KeyRing, tmp_path: Path, **options: object) -> Path:
    issuer = CheckpointIssuer(sessions, keyring, origin="trueport", interval_s=60)
    await fill(sessions, issuer, tmp_path / "spool")
    out = tmp_path / "archive"
    await export_archive(sessions, issuer, out, segment_events=5, **options)  # type: ignore[arg-type]
    return out


async def test_an_intact_archive_verifies(sessions: SessionFactory, keyring: KeyRing, tmp_path: Path) -> None:
    issuer = CheckpointIssuer(sessions, keyring, origin="trueport", interval_s=60)
    total = await fill(sessions, issuer, tmp_path / "spool")
    result = await export_archive(sessions, issuer, tmp_path / "all", segment_events=5)
    assert result.events == total == 39
    verified = verify_archive(tmp_path / "all", keyring.verification_keys())
    assert verified.ok, verified.problems
    assert (verified.events, verified.segments) == (39, result.segments)
    # Segments follow the checkpoints (9 events between them, at most 5 per segment).
    sizes = [read_proofs(path)["checkpoint"]["tree_size"] for path in events_files(tmp_path / "all")]
    assert sizes == [9, 9, 18, 18, 27, 27, 36, 36, 39]

    tenant = await export_archive(sessions, issuer, tmp_path / "a", tenant_id="tenant-a", segment_events=5)
    verified = verify_archive(tmp_path / "a", keyring.verification_keys())
    assert verified.ok, verified.problems
    lines = [orjson.loads(line) for path in events_files(tmp_path / "a") for line in read_lines(path)]
    assert {line["tenant_id"] for line in lines} == {"tenant-a"}
    assert [line["tenant_seq"] for line in lines] == list(range(tenant.events))

    window = await export_archive(
        sessions,
        issuer,
        tmp_path / "window",
        tenant_id="tenant-b",
        since=T0 + timedelta(seconds=10),
        until=T0 + timedelta(seconds=30),
    )
    verified = verify_archive(tmp_path / "window", keyring.verification_keys())
    assert verified.ok, verified.problems
    times = [
        orjson.loads(line)["ts"] for path in events_files(tmp_path / "window") for line in read_lines(path)
    ]
    assert window.events == len(times) > 0
    assert min(times) >= "2026-11-01T12:00:10" and max(times) < "2026-11-01T12:00:30"

    empty = await export_archive(sessions, issuer, tmp_path / "empty", tenant_id="nobody")
    assert empty.events == 0
    assert verify_archive(tmp_path / "empty", keyring.verification_keys()).ok
    with pytest.raises(ExportError, match="not empty"):
        await export_archive(sessions, issuer, tmp_path / "all")


@pytest.mark.slow
@pytest.mark.parametrize("tenant", [None, "tenant-a"], ids=["installation", "tenant"])
async def test_a_thousand_random_mutations_are_all_detected(
    sqlite_sessions: SessionFactory, keyring: KeyRing, tmp_path: Path, tenant: str | None
) -> None:
    archive = await exported(sqlite_sessions, keyring, tmp_path, tenant_id=tenant)
    keys = keyring.verification_keys()
    assert verify_archive(archive, keys).ok
    rng = random.Random(20261122 if tenant is None else 7)
    undetected: list[str] = []
    kinds: dict[str, int] = {}
    for attempt in range(1_000):
        copy = tmp_path / f"m{attempt}"
        shutil.copytree(archive, copy)
        before = snapshot(copy)
        mutation = MUTATIONS[attempt % len(MUTATIONS)]
        description = mutation(copy, rng)
        if snapshot(copy) == before:
            shutil.rmtree(copy)
            continue
        kinds[mutation.__name__] = kinds.get(mutation.__name__, 0) + 1
        result = verify_archive(copy, keys)
        if result.ok:
            undetected.append(description)
        shutil.rmtree(copy)
    assert undetected == []
    assert sum(kinds.values()) >= 990 and len(kinds) == len(MUTATIONS)


async def test_problems_are_located(
    sqlite_sessions: SessionFactory, keyring: KeyRing, tmp_path: Path
) -> None:
    archive = await exported(sqlite_sessions, keyring, tmp_path)
    keys = keyring.verification_keys()
    second = events_files(archive)[1]

    def first_problem(mutate: object) -> str:
        copy = tmp_path / "copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(archive, copy)
        mutate(copy)  # type: ignore[operator]
        result = verify_archive(copy, keys)
        assert not result.ok
        return str(result.problems[0])

    def edit_line_3(copy: Path) -> None:
        path = copy / second.name
        lines = read_lines(path)
        lines[2] = lines[2].replace(b'"status_code":200', b'"status_code":201', 1)
        write_lines(path, lines)

    def delete_line_2(copy: Path) -> None:
        path = copy / second.name
        lines = read_lines(path)
        del lines[1]
        write_lines(path, lines)

    def swap_2_and_3(copy: Path) -> None:
        files = events_files(copy)
        for a, b in ((files[1], files[2]), (proofs_path(files[1]), proofs_path(files[2]))):
            data_a = a.read_bytes()
            a.write_bytes(b.read_bytes())
            b.write_bytes(data_a)

    def old_checkpoint_in_3(copy: Path) -> None:
        files = events_files(copy)
        proofs = read_proofs(files[2])
        proofs["checkpoint"] = proofs["previous_checkpoint"]
        write_proofs(files[2], proofs)

    def cut_last(copy: Path) -> None:
        path = events_files(copy)[-1]
        path.write_bytes(path.read_bytes()[:-9])

    edited = first_problem(edit_line_3)
    assert edited.startswith("segment-000002.events.jsonl.gz line 3 (event 7)") and "not included" in edited
    deleted = first_problem(delete_line_2)
    assert deleted.startswith("segment-000002.events.jsonl.gz line 2 (event 7)")
    assert "the proofs list event 6 here" in deleted
    swapped = first_problem(swap_2_and_3)
    assert swapped.startswith("segment-000002.proofs.json") and "segments swapped" in swapped
    assert "replayed old checkpoint" in first_problem(old_checkpoint_in_3)
    assert first_problem(cut_last).startswith("segment-000009.events.jsonl.gz: not a complete gzip stream")


async def test_archives_spanning_a_key_rotation_verify_with_both_keys(
    sqlite_sessions: SessionFactory, tmp_path: Path
) -> None:
    old = KeyRing(Ed25519PrivateKey.generate())
    await fill(
        sqlite_sessions,
        CheckpointIssuer(sqlite_sessions, old, origin="trueport", interval_s=60),
        tmp_path / "s1",
        rounds=2,
    )
    new = KeyRing(Ed25519PrivateKey.generate(), retired=old.verification_keys())
    issuer = CheckpointIssuer(sqlite_sessions, new, origin="trueport", interval_s=60)
    await fill(sqlite_sessions, issuer, tmp_path / "s2", rounds=2)
    await export_archive(sqlite_sessions, issuer, tmp_path / "archive", segment_events=5)

    keys: PublicKeys = new.verification_keys()
    assert set(keys) == {old.key_id, new.key_id}
    result = verify_archive(tmp_path / "archive", keys)
    assert result.ok, result.problems
    only_new = verify_archive(tmp_path / "archive", {new.key_id: new.public_key})
    assert not only_new.ok
    assert str(only_new.problems[0]).startswith("segment-000001.proofs.json checkpoint (tree size 9)")
    assert "signature does not verify" in str(only_new.problems[0])


async def test_checkpoints_of_another_origin_are_not_used(
    sqlite_sessions: SessionFactory, keyring: KeyRing, tmp_path: Path
) -> None:
    """After the log is renamed (``audit.origin``), exports cover its events with checkpoints of the new name."""
    renamed = CheckpointIssuer(sqlite_sessions, keyring, origin="old-name", interval_s=60)
    total = await fill(sqlite_sessions, renamed, tmp_path / "spool", rounds=2)
    issuer = CheckpointIssuer(sqlite_sessions, keyring, origin="trueport", interval_s=60)
    result = await export_archive(sqlite_sessions, issuer, tmp_path / "archive")
    verified = verify_archive(tmp_path / "archive", keyring.verification_keys())
    assert verified.ok, verified.problems
    assert result.events == verified.events == total
    assert {read_proofs(path)["checkpoint"]["origin"] for path in events_files(tmp_path / "archive")} == {
        "trueport"
    }
