"""Issuing checkpoints: sign the current tree head and store it, on a schedule and on demand.

The schedule skips a checkpoint when nothing was appended since the last one. Several replicas may
each run a schedule; at worst two checkpoints of the same tree size are stored (both valid).
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from sqlalchemy.exc import SQLAlchemyError

from trueport.audit.checkpoints import Checkpoint, sign_checkpoint
from trueport.audit.repository import AuditRepository
from trueport.audit.signing import KeyRing
from trueport.audit.tables import AuditCheckpointRow
from trueport.db.engine import SessionFactory
from trueport.db.models import utcnow

log = structlog.get_logger(__name__)


def checkpoint_from_row(row: AuditCheckpointRow) -> Checkpoint:
    return Checkpoint(
        row.origin, row.tree_size, bytes(row.root_hash), row.issued_at, row.key_id, bytes(row.signature)
    )


def checkpoint_row(checkpoint: Checkpoint) -> AuditCheckpointRow:
    return AuditCheckpointRow(
        origin=checkpoint.origin,
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash,
        issued_at=checkpoint.issued_at,
        key_id=checkpoint.key_id,
        signature=checkpoint.signature,
    )


class CheckpointIssuer:
    """Signs the current tree head and stores it: every ``interval_s`` and whenever asked."""

    def __init__(self, sessions: SessionFactory, keyring: KeyRing, *, origin: str, interval_s: float):
        self._sessions = sessions
        self._keyring = keyring
        self._origin = origin
        self._interval = interval_s
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def keyring(self) -> KeyRing:
        return self._keyring

    @property
    def origin(self) -> str:
        return self._origin

    async def issue(self, *, only_if_grown: bool = False) -> Checkpoint | None:
        """Sign and store the current head; with ``only_if_grown``, None when it is already signed."""
        async with self._sessions() as session:
            repo = AuditRepository(session)
            size, root = await repo.read_state()
            if only_if_grown:
                latest = await repo.latest_checkpoint()
                if latest is not None and latest.tree_size >= size:
                    return None
            checkpoint = sign_checkpoint(self._keyring, self._origin, size, root, utcnow())
            repo.add_checkpoint(checkpoint_row(checkpoint))
            await session.commit()
        log.info("audit_checkpoint_issued", tree_size=size, key_id=checkpoint.key_id)
        return checkpoint

    async def latest(self) -> Checkpoint | None:
        async with self._sessions() as session:
            row = await AuditRepository(session).latest_checkpoint()
            return checkpoint_from_row(row) if row is not None else None

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="audit-checkpoints")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)
            if self._stop.is_set():
                return
            try:
                await self.issue(only_if_grown=True)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("audit_checkpoint_failed", error=type(exc).__name__)
