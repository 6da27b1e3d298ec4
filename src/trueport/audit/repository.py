"""Every query on the audit tables. Services decide; this module only reads and writes rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.audit.merkle import Node
from trueport.audit.tables import (
    LOG_STATE_ID,
    AuditCheckpointRow,
    AuditEventRow,
    AuditLogState,
    AuditTenantHead,
    AuditTreeNode,
)
from trueport.db.models import utcnow

_CHUNK = 500  # bound parameters per IN (...)


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class AuditRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    # --- the log state and its lock ---------------------------------------------------------------

    async def lock_state(self) -> tuple[int, bytes]:
        """Take the append lock (an UPDATE as the transaction's first statement) and read size and head.

        On PostgreSQL this is a row lock; on SQLite the UPDATE takes the database's write lock at once,
        so two writers never both read first and then collide on the upgrade.
        """
        statement = (
            update(AuditLogState)
            .where(AuditLogState.id == LOG_STATE_ID)
            .values(version=AuditLogState.version + 1)
            .returning(AuditLogState.size, AuditLogState.root)
            .execution_options(synchronize_session=False)
        )
        size, root = (await self._session.execute(statement)).one()
        return int(size), bytes(root)

    async def read_state(self) -> tuple[int, bytes]:
        row = (
            await self._session.execute(
                select(AuditLogState.size, AuditLogState.root).where(AuditLogState.id == LOG_STATE_ID)
            )
        ).one()
        return int(row.size), bytes(row.root)

    async def save_state(self, size: int, root: bytes) -> None:
        await self._session.execute(
            update(AuditLogState)
            .where(AuditLogState.id == LOG_STATE_ID)
            .values(size=size, root=root, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    # --- appending --------------------------------------------------------------------------------

    async def existing_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(event_ids):
            result = await self._session.execute(
                select(AuditEventRow.event_id).where(AuditEventRow.event_id.in_(chunk))
            )
            found.update(result.scalars())
        return found

    async def tenant_heads(self, tenant_ids: Sequence[str]) -> dict[str, int]:
        heads: dict[str, int] = {}
        for chunk in _chunks(tenant_ids):
            result = await self._session.execute(
                select(AuditTenantHead.tenant_id, AuditTenantHead.size).where(
                    AuditTenantHead.tenant_id.in_(chunk)
                )
            )
            heads.update({row.tenant_id: int(row.size) for row in result})
        return heads

    async def save_tenant_heads(self, heads: dict[str, int], existing: set[str]) -> None:
        updates = [
            {"tenant_id": tenant, "size": size} for tenant, size in heads.items() if tenant in existing
        ]
        inserts = [
            {"tenant_id": tenant, "size": size} for tenant, size in heads.items() if tenant not in existing
        ]
        if updates:
            await self._session.execute(update(AuditTenantHead), updates)
        if inserts:
            await self._session.execute(insert(AuditTenantHead), inserts)

    async def insert_events(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self._session.execute(insert(AuditEventRow), rows)

    async def insert_nodes(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self._session.execute(insert(AuditTreeNode), rows)

    # --- reading the tree -------------------------------------------------------------------------

    async def node_hashes(self, nodes: Iterable[Node]) -> dict[Node, bytes]:
        """Hashes of complete subtrees: leaves (level 0) from the events, the rest from the nodes."""
        by_level: dict[int, list[int]] = defaultdict(list)
        for level, index in nodes:
            by_level[level].append(index)
        found: dict[Node, bytes] = {}
        for level, indexes in by_level.items():
            for chunk in _chunks(sorted(indexes)):
                if level == 0:
                    rows = await self._session.execute(
                        select(AuditEventRow.idx, AuditEventRow.leaf_hash).where(AuditEventRow.idx.in_(chunk))
                    )
                else:
                    rows = await self._session.execute(
                        select(AuditTreeNode.idx, AuditTreeNode.hash).where(
                            AuditTreeNode.level == level, AuditTreeNode.idx.in_(chunk)
                        )
                    )
                found.update({(level, int(index)): bytes(value) for index, value in rows})
        return found

    # --- events -----------------------------------------------------------------------------------

    async def events_by_index(self, first: int, last: int, limit: int) -> list[AuditEventRow]:
        """Events with ``first <= idx <= last``, in log order, at most ``limit``."""
        result = await self._session.execute(
            select(AuditEventRow)
            .where(AuditEventRow.idx >= first, AuditEventRow.idx <= last)
            .order_by(AuditEventRow.idx)
            .limit(limit)
        )
        return list(result.scalars())

    async def tenant_events(
        self, tenant_id: str, first_seq: int, last_seq: int, limit: int
    ) -> list[AuditEventRow]:
        """A tenant's events with ``first_seq <= tenant_seq <= last_seq``, in log order."""
        result = await self._session.execute(
            select(AuditEventRow)
            .where(
                AuditEventRow.tenant_id == tenant_id,
                AuditEventRow.tenant_seq >= first_seq,
                AuditEventRow.tenant_seq <= last_seq,
            )
            .order_by(AuditEventRow.tenant_seq)
            .limit(limit)
        )
        return list(result.scalars())

    async def event_by_id(self, event_id: str) -> AuditEventRow | None:
        result = await self._session.execute(select(AuditEventRow).where(AuditEventRow.event_id == event_id))
        return result.scalar_one_or_none()

    async def tenant_page(
        self,
        tenant_id: str,
        *,
        after_seq: int,
        kind: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> list[AuditEventRow]:
        """A page of a tenant's events after ``after_seq`` in log order, within the filters."""
        statement = select(AuditEventRow).where(
            AuditEventRow.tenant_id == tenant_id, AuditEventRow.tenant_seq > after_seq
        )
        if kind is not None:
            statement = statement.where(AuditEventRow.kind == kind)
        if since is not None:
            statement = statement.where(AuditEventRow.ts >= since)
        if until is not None:
            statement = statement.where(AuditEventRow.ts < until)
        result = await self._session.execute(statement.order_by(AuditEventRow.tenant_seq).limit(limit))
        return list(result.scalars())

    async def bounds(
        self, tenant_id: str | None, since: datetime | None, until: datetime | None
    ) -> tuple[int, int] | None:
        """The first and last position (``idx``, or ``tenant_seq`` for a tenant) of events in the window.

        Positions, not timestamps, bound an export, so that it is a contiguous run of the log (or of the
        tenant's events) even where a replayed event's time is out of order.
        """
        position = AuditEventRow.idx if tenant_id is None else AuditEventRow.tenant_seq
        conditions = [] if tenant_id is None else [AuditEventRow.tenant_id == tenant_id]
        first_query = select(func.min(position)).where(*conditions)
        last_query = select(func.max(position)).where(*conditions)
        if since is not None:
            first_query = first_query.where(AuditEventRow.ts >= since)
        if until is not None:
            last_query = last_query.where(AuditEventRow.ts < until)
        first = await self._session.scalar(first_query)
        last = await self._session.scalar(last_query)
        if first is None or last is None or first > last:
            return None
        return int(first), int(last)

    # --- checkpoints ------------------------------------------------------------------------------

    def add_checkpoint(self, row: AuditCheckpointRow) -> None:
        self._session.add(row)

    async def latest_checkpoint(self) -> AuditCheckpointRow | None:
        result = await self._session.execute(
            select(AuditCheckpointRow)
            .order_by(AuditCheckpointRow.tree_size.desc(), AuditCheckpointRow.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def checkpoints(self) -> list[AuditCheckpointRow]:
        """Every checkpoint, oldest first."""
        result = await self._session.execute(
            select(AuditCheckpointRow).order_by(AuditCheckpointRow.tree_size, AuditCheckpointRow.id)
        )
        return list(result.scalars())
