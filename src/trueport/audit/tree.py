"""The installation's Merkle tree in the database: appending a batch, heads and proofs for any size.

``append_events`` is one group commit: it takes the log's lock, drops events already logged (by
event id, so a replay after a commit whose answer was lost adds nothing), numbers the rest, extends
the compact range and stores each new leaf and each subtree it completed. The caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from trueport.audit.canonical import CanonicalJSONError, canonical_json
from trueport.audit.events import ControlPlaneEvent, DataPlaneEvent, leaf_document
from trueport.audit.merkle import (
    CompactRange,
    Node,
    consistency_ranges,
    cover,
    fold,
    frontier,
    inclusion_ranges,
    leaf_hash,
    nodes_for,
)
from trueport.audit.repository import AuditRepository
from trueport.audit.tables import AuditEventRow


class AuditIntegrityError(RuntimeError):
    """The stored tree disagrees with itself (a row was changed or lost outside the log)."""


@dataclass(frozen=True, slots=True)
class AppendResult:
    committed: int
    skipped: int  # already in the log (same event id)
    size: int
    root: bytes
    rejected: list[str]  # ids of events with no canonical form (not logged)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event as the log holds it: its global index, its place among its tenant's events, its leaf."""

    index: int
    tenant_id: str | None
    tenant_seq: int | None
    body: bytes  # canonical JSON, the leaf
    leaf_hash: bytes

    @classmethod
    def from_row(cls, row: AuditEventRow) -> LoggedEvent:
        return cls(row.idx, row.tenant_id, row.tenant_seq, bytes(row.body), bytes(row.leaf_hash))


async def append_events(
    session: AsyncSession, events: Sequence[DataPlaneEvent | ControlPlaneEvent]
) -> AppendResult:
    repo = AuditRepository(session)
    size, root = await repo.lock_state()
    already = await repo.existing_event_ids(sorted({event.event_id for event in events}))
    fresh: list[DataPlaneEvent | ControlPlaneEvent] = []
    for event in events:
        if event.event_id not in already:
            fresh.append(event)
            already.add(event.event_id)
    if not fresh:
        return AppendResult(0, len(events), size, root, [])

    edge = frontier(size)
    stored = await repo.node_hashes(edge)
    if len(stored) != len(edge):
        raise AuditIntegrityError(f"the tree of {size} leaves is missing subtree hashes")
    tree = CompactRange(size, [stored[node] for node in edge])
    if tree.root() != root:
        raise AuditIntegrityError(f"the stored subtrees of the tree of {size} do not give its head")

    heads = await repo.tenant_heads(
        sorted({event.tenant_id for event in fresh if event.tenant_id is not None})
    )
    known_tenants = set(heads)
    rows: list[dict[str, object]] = []
    nodes: list[dict[str, object]] = []
    rejected: list[str] = []
    for event in fresh:
        index = tree.size
        tenant_seq = heads.get(event.tenant_id, 0) if event.tenant_id is not None else None
        try:
            body = canonical_json(leaf_document(event, index, tenant_seq))
        except CanonicalJSONError:
            rejected.append(event.event_id)  # cannot be logged; must not hold up the others
            continue
        if event.tenant_id is not None and tenant_seq is not None:
            heads[event.tenant_id] = tenant_seq + 1
        hashed = leaf_hash(body)
        nodes.extend({"level": level, "idx": at, "hash": value} for level, at, value in tree.append(hashed))
        rows.append(
            {
                "idx": index,
                "event_id": event.event_id,
                "tenant_id": event.tenant_id,
                "tenant_seq": tenant_seq,
                "kind": event.type,
                "ts": event.ts,
                "body": body,
                "leaf_hash": hashed,
            }
        )
    await repo.insert_events(rows)
    await repo.insert_nodes(nodes)
    await repo.save_tenant_heads(heads, known_tenants)
    new_root = tree.root()
    await repo.save_state(tree.size, new_root)
    return AppendResult(len(rows), len(events) - len(fresh), tree.size, new_root, rejected)


class StoredTree:
    """Heads and proofs of the stored tree, for any size up to the current one."""

    def __init__(self, session: AsyncSession):
        self._repo = AuditRepository(session)

    async def head(self) -> tuple[int, bytes]:
        return await self._repo.read_state()

    async def root(self, size: int) -> bytes:
        await self._check_size(size)
        if size == 0:
            return fold([])
        nodes = cover(0, size)
        hashes = await self._fetch(nodes)
        return fold([hashes[node] for node in nodes])

    async def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return (await self.inclusion_proofs([index], size))[index]

    async def inclusion_proofs(self, indexes: Sequence[int], size: int) -> dict[int, list[bytes]]:
        """Proofs for many leaves against one tree size, with one round of lookups."""
        await self._check_size(size)
        ranges = {index: inclusion_ranges(index, size) for index in indexes}
        hashes = await self._fetch(nodes_for(r for path in ranges.values() for r in path))
        return {
            index: [fold([hashes[node] for node in cover(lo, hi)]) for lo, hi in path]
            for index, path in ranges.items()
        }

    async def consistency_proof(self, first: int, second: int) -> list[bytes]:
        await self._check_size(second)
        ranges = consistency_ranges(first, second)
        hashes = await self._fetch(nodes_for(ranges))
        return [fold([hashes[node] for node in cover(lo, hi)]) for lo, hi in ranges]

    async def _check_size(self, size: int) -> None:
        current, _ = await self._repo.read_state()
        if not 0 <= size <= current:
            raise ValueError(f"the log has {current} events; there is no tree of {size}")

    async def _fetch(self, nodes: set[Node] | list[Node]) -> dict[Node, bytes]:
        hashes = await self._repo.node_hashes(nodes)
        missing = set(nodes) - set(hashes)
        if missing:
            raise AuditIntegrityError(f"{len(missing)} subtree hashes are missing, e.g. {min(missing)}")
        return hashes


async def tenant_view(
    session: AsyncSession, tenant_id: str, *, after_seq: int = -1, limit: int = 100
) -> list[LoggedEvent]:
    """A tenant's events after ``after_seq``, with their global index (to check against a checkpoint)."""
    rows = await AuditRepository(session).tenant_events(tenant_id, after_seq + 1, 2**62, limit)
    return [LoggedEvent.from_row(row) for row in rows]
