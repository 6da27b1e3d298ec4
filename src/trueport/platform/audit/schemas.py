"""What ``/audit`` returns: events as the log holds them, signed checkpoints and Merkle proofs.

Hashes are lower-case hex. An event's ``leaf`` is its canonical JSON exactly as hashed: a client
checks an inclusion proof with SHA-256(0x00 || leaf) as the leaf hash (RFC 9162), against the
checkpoint's ``root_hash``, whose signature it checks with a key from ``/audit/public-keys``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

_HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_CHECKPOINT_EXAMPLE: dict[str, Any] = {
    "origin": "trueport",
    "tree_size": 1042,
    "root_hash": _HEX,
    "timestamp": "2026-11-22T10:00:00.000000Z",
    "key_id": "3f2a9c0d1e4b5a67",
    "signature": "base64 of the 64-byte Ed25519 signature",
}

EventKind = Literal["data_plane", "control_plane"]


class PublicKeyOut(BaseModel):
    """A checkpoint-signing key: the current one, or a retired one whose checkpoints stay valid."""

    key_id: str = Field(description="First 16 hex digits of SHA-256 of the raw public key.")
    pem: str
    current: bool


class CheckpointOut(BaseModel):
    """A signed tree head; the signed message is its fields one per line (``trueport-audit-checkpoint/1``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHECKPOINT_EXAMPLE]})

    origin: str
    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    signature: str = Field(description="Base64 Ed25519 signature.")


class AuditEventOut(BaseModel):
    """One of the tenant's events and its place in the log."""

    event_id: str
    kind: EventKind
    index: int = Field(description="Leaf index in the installation's tree.")
    tenant_seq: int = Field(description="Position among the tenant's events (0, 1, 2, ... with no gap).")
    ts: AwareDatetime
    leaf: str = Field(description="Canonical JSON of the event, exactly as hashed.")
    leaf_hash: str
    event: dict[str, Any] = Field(description="The same document, parsed.")


class InclusionProofOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "0b0c4c1e-5a7d-4c3b-9a51-2f1e0d9c8b7a",
                    "leaf_index": 17,
                    "tree_size": 1042,
                    "leaf_hash": _HEX,
                    "audit_path": [_HEX],
                    "checkpoint": _CHECKPOINT_EXAMPLE,
                }
            ]
        }
    )

    event_id: str
    leaf_index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str] = Field(description="Hex hashes, from the leaf up (RFC 9162 §2.1.3).")
    checkpoint: CheckpointOut


class ConsistencyProofOut(BaseModel):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str] = Field(description="Hex hashes (RFC 9162 §2.1.4).")


class EventFilter(BaseModel):
    since: AwareDatetime | None
    until: AwareDatetime | None
    kind: EventKind | None


def event_filter(
    since: Annotated[AwareDatetime | None, Query(description="Events at or after (ISO 8601).")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Events before (ISO 8601).")] = None,
    kind: Annotated[EventKind | None, Query(description="Only this kind of event.")] = None,
) -> EventFilter:
    return EventFilter(since=since, until=until, kind=kind)
