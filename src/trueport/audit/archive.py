"""Export: sealed archive segments of the whole log or of one tenant's events (see ``layout``).

The export is bounded by positions in the log, found from the time window: the first event at or
after ``since`` and the last before ``until``; everything between is exported (for a tenant, its
events between), so the archive is a contiguous run an auditor can check for gaps. A checkpoint
covering the newest exported event is issued first when none exists.

Files go to an ``ObjectStore``: a directory, or S3 with every object under Object Lock. The
scheduled ``archive_sealed`` writes the events sealed by a checkpoint since the previous run as one
more archive under the configured root (``<first index>-<last index>-<time>/``), each verifiable on
its own.
"""

from __future__ import annotations

import base64
import bisect
import gzip
import hashlib
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
from trueport.audit.objectstore import DirectoryStore, ObjectStore, StoreError
from trueport.audit.repository import AuditRepository
from trueport.audit.tables import AuditCheckpointRow
from trueport.audit.tree import LoggedEvent, StoredTree
from trueport.db.engine import SessionFactory
from trueport.db.models import utcnow
from trueport.jsonutil import dumps

_PAGE = 1000


class ExportError(Exception):
    """The export cannot be written (e.g. the output directory is not empty, the bucket refuses)."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    location: str
    events: int
    segments: int


@dataclass(slots=True)
class _Segment:
    checkpoint: Checkpoint
    events: list[LoggedEvent] = field(default_factory=list)


async def export_archive(
    sessions: SessionFactory,
    issuer: CheckpointIssuer,
    out: ObjectStore | Path,
    *,
    tenant_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    segment_events: int = 10_000,
) -> ExportResult:
    """Write the archive of ``tenant_id``'s events (all events when None) in ``[since, until)``."""
    store = DirectoryStore(out) if isinstance(out, Path) else out
    try:
        await store.ensure_empty()
        async with sessions() as session:
            repo = AuditRepository(session)
            bounds = await repo.bounds(tenant_id, since, until)
            size, _ = await repo.read_state()
            checkpoints = _usable(await repo.checkpoints(), issuer.origin)
        if bounds is not None and (not checkpoints or checkpoints[-1].tree_size < size):
            fresh = await issuer.issue()  # covers every event in the bounds, found before it
            assert fresh is not None
            checkpoints.append(fresh)
        return await _write_archive(
            sessions,
            issuer,
            store,
            checkpoints,
            bounds,
            tenant_id=tenant_id,
            window=(since, until),
            segment_events=segment_events,
        )
    except StoreError as exc:
        raise ExportError(str(exc)) from None


async def archive_sealed(
    sessions: SessionFactory, issuer: CheckpointIssuer, root: ObjectStore, *, segment_events: int = 10_000
) -> ExportResult | None:
    """Archive the whole log's events sealed (covered by a checkpoint) since the last archive.

    Meant to run on a schedule, after checkpoints are issued. Returns None when nothing new is
    sealed. An archive is complete once its manifest is written (last); an incomplete one left by a
    crash is ignored (its objects may be locked) and its events go into the next archive.
    """
    try:
        after = await _last_archived(root)
        async with sessions() as session:
            checkpoints = _usable(await AuditRepository(session).checkpoints(), issuer.origin)
        if not checkpoints or checkpoints[-1].tree_size - 1 <= after:
            return None
        bounds = after + 1, checkpoints[-1].tree_size - 1
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        store = root.child(f"{bounds[0]:012d}-{bounds[1]:012d}-{stamp}")
        await store.ensure_empty()
        return await _write_archive(
            sessions, issuer, store, checkpoints, bounds, tenant_id=None, segment_events=segment_events
        )
    except StoreError as exc:
        raise ExportError(str(exc)) from None


async def _last_archived(root: ObjectStore) -> int:
    """The last index of the newest complete archive under ``root``, or -1."""
    for folder in reversed(await root.folders()):
        first, _, rest = folder.partition("-")
        last = rest.partition("-")[0]
        if first.isdigit() and last.isdigit() and MANIFEST_NAME in await root.child(folder).names():
            return int(last)
    return -1


async def _write_archive(
    sessions: SessionFactory,
    issuer: CheckpointIssuer,
    store: ObjectStore,
    checkpoints: list[Checkpoint],
    bounds: tuple[int, int] | None,
    *,
    tenant_id: str | None,
    window: tuple[datetime | None, datetime | None] = (None, None),
    segment_events: int,
) -> ExportResult:
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
                entries.append(await _seal(store, len(entries) + 1, current, previous, tenant_id, tree))
                previous = current.checkpoint
                current = None
            if current is None:
                current = _Segment(checkpoint)
            current.events.append(event)
            total += 1
        if current is not None:
            entries.append(await _seal(store, len(entries) + 1, current, previous, tenant_id, tree))

    since, until = window
    keyring = issuer.keyring
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
    await store.put(MANIFEST_NAME, canonical_json(manifest) + b"\n")
    return ExportResult(store.location, total, len(entries))


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
    store: ObjectStore,
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
    await store.put(events_file(number), events_data)
    await store.put(proofs_file(number), proofs_data)
    return {
        "name": segment_name(number),
        "events": len(indexes),
        "first_index": indexes[0],
        "last_index": indexes[-1],
        "tree_size": checkpoint.tree_size,
        "events_sha256": hashlib.sha256(events_data).hexdigest(),
        "proofs_sha256": hashlib.sha256(proofs_data).hexdigest(),
    }
