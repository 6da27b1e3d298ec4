"""Export: sealed archive segments of the whole log or of one tenant's events (see ``layout``).

The export is bounded by positions in the log, found from the time window: the first event at or
after ``since`` and the last before ``until``; everything between is exported (for a tenant, its
events between), so the archive is a contiguous run an auditor can check for gaps. A checkpoint
covering the newest exported event is issued first when none exists.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import gzip
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from trueport.audit.canonical import canonical_json
from trueport.audit.checkpoints import Checkpoint
from trueport.audit.events import format_timestamp
from trueport.audit.issuer import CheckpointIssuer, checkpoint_from_row
from trueport.audit.layout import (
    ARCHIVE_FORMAT,
    MANIFEST_NAME,
    PROOFS_FORMAT,
    events_file,
    manifest_message,
    proofs_file,
    segment_name,
)
from trueport.audit.repository import AuditRepository
from trueport.audit.tables import AuditCheckpointRow
from trueport.audit.tree import LoggedEvent, StoredTree
from trueport.db.engine import SessionFactory
from trueport.db.models import utcnow
from trueport.jsonutil import dumps

_PAGE = 1000


class ExportError(Exception):
    """The export cannot be written (e.g. the output directory is not empty)."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    directory: Path
    events: int
    segments: int


@dataclass(slots=True)
class _Segment:
    checkpoint: Checkpoint
    events: list[LoggedEvent] = field(default_factory=list)


async def export_archive(
    sessions: SessionFactory,
    issuer: CheckpointIssuer,
    out_dir: Path,
    *,
    tenant_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    segment_events: int = 10_000,
) -> ExportResult:
    """Write the archive of ``tenant_id``'s events (all events when None) in ``[since, until)``."""
    await asyncio.to_thread(_prepare, out_dir)
    keyring = issuer.keyring
    async with sessions() as session:
        repo = AuditRepository(session)
        bounds = await repo.bounds(tenant_id, since, until)
        size, _ = await repo.read_state()
        checkpoints = _usable(await repo.checkpoints(), issuer.origin)
    if bounds is not None and (not checkpoints or checkpoints[-1].tree_size < size):
        fresh = await issuer.issue()  # covers every event in the bounds, found before it
        assert fresh is not None
        checkpoints.append(fresh)
    sizes = [checkpoint.tree_size for checkpoint in checkpoints]

    entries: list[dict[str, Any]] = []
    total = 0
    async with sessions() as session:
        repo = AuditRepository(session)
        tree = StoredTree(session)
        previous: Checkpoint | None = None
        current: _Segment | None = None
        async for event in _events(repo, tenant_id, bounds):
            checkpoint = checkpoints[bisect.bisect_right(sizes, event.index)]
            if current is not None and (
                current.checkpoint is not checkpoint or len(current.events) >= segment_events
            ):
                entries.append(await _seal(out_dir, len(entries) + 1, current, previous, tenant_id, tree))
                previous = current.checkpoint
                current = None
            if current is None:
                current = _Segment(checkpoint)
            current.events.append(event)
            total += 1
        if current is not None:
            entries.append(await _seal(out_dir, len(entries) + 1, current, previous, tenant_id, tree))

    manifest: dict[str, Any] = {
        "format": ARCHIVE_FORMAT,
        "origin": issuer.origin,
        "tenant_id": tenant_id,
        "since": format_timestamp(since) if since is not None else None,
        "until": format_timestamp(until) if until is not None else None,
        "created_at": format_timestamp(utcnow()),
        "events": total,
        "segments": entries,
        "key_id": keyring.key_id,
    }
    manifest["signature"] = base64.b64encode(keyring.sign(manifest_message(manifest))).decode()
    await asyncio.to_thread(_write, out_dir / MANIFEST_NAME, canonical_json(manifest) + b"\n")
    return ExportResult(out_dir, total, len(entries))


def _prepare(out_dir: Path) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ExportError(f"{out_dir} is not empty")
    out_dir.mkdir(parents=True, exist_ok=True)


def _write(path: Path, data: bytes) -> None:
    """Write a file durably: an archive is evidence."""
    with path.open("xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _usable(rows: list[AuditCheckpointRow], origin: str) -> list[Checkpoint]:
    """One checkpoint per tree size (the first issued), of this log's origin, smallest first."""
    chosen: dict[int, Checkpoint] = {}
    for row in rows:
        checkpoint = checkpoint_from_row(row)
        if checkpoint.origin == origin and checkpoint.tree_size > 0:
            chosen.setdefault(checkpoint.tree_size, checkpoint)
    return [chosen[size] for size in sorted(chosen)]


async def _events(
    repo: AuditRepository, tenant_id: str | None, bounds: tuple[int, int] | None
) -> AsyncIterator[LoggedEvent]:
    if bounds is None:
        return
    first, last = bounds
    while first <= last:
        if tenant_id is None:
            rows = await repo.events_by_index(first, last, _PAGE)
        else:
            rows = await repo.tenant_events(tenant_id, first, last, _PAGE)
        if not rows:
            return
        for row in rows:
            yield LoggedEvent.from_row(row)
        last_row = rows[-1]
        first = (last_row.idx if tenant_id is None else int(last_row.tenant_seq or 0)) + 1


async def _seal(
    out_dir: Path,
    number: int,
    segment: _Segment,
    previous: Checkpoint | None,
    tenant_id: str | None,
    tree: StoredTree,
) -> dict[str, Any]:
    checkpoint = segment.checkpoint
    indexes = [event.index for event in segment.events]
    proofs = await tree.inclusion_proofs(indexes, checkpoint.tree_size)
    consistency: list[bytes] = []
    if previous is not None and previous.tree_size != checkpoint.tree_size:
        consistency = await tree.consistency_proof(previous.tree_size, checkpoint.tree_size)
    document = {
        "format": PROOFS_FORMAT,
        "segment": number,
        "tenant_id": tenant_id,
        "checkpoint": checkpoint.to_json(),
        "previous_checkpoint": previous.to_json() if previous is not None else None,
        "consistency_proof": [value.hex() for value in consistency],
        "events": [{"index": index, "proof": [value.hex() for value in proofs[index]]} for index in indexes],
    }
    events_data = gzip.compress(b"".join(event.body + b"\n" for event in segment.events), mtime=0)
    proofs_data = dumps(document) + b"\n"
    await asyncio.to_thread(_write, out_dir / events_file(number), events_data)
    await asyncio.to_thread(_write, out_dir / proofs_file(number), proofs_data)
    return {
        "name": segment_name(number),
        "events": len(indexes),
        "first_index": indexes[0],
        "last_index": indexes[-1],
        "tree_size": checkpoint.tree_size,
        "events_sha256": hashlib.sha256(events_data).hexdigest(),
        "proofs_sha256": hashlib.sha256(proofs_data).hexdigest(),
    }
