"""The audit trail: every decision and change as a typed event in a verifiable Merkle-tree log.

- ``events``: the event records (``DataPlaneEvent``, ``ControlPlaneEvent``) and their leaf form.
- ``canonical``: canonical JSON (RFC 8785), the bytes that are hashed.
- ``merkle``: RFC 9162 hashing, inclusion and consistency proofs, and their verification.
- ``tree`` / ``repository`` / ``tables``: the tree in the database, appended in O(log n) per leaf.
- ``log`` / ``spool``: the batched appender and its local fsync'd spool for database outages.
- ``signing`` / ``checkpoints``: Ed25519 keys with rotation, signed checkpoints on a schedule.
- ``archive`` / ``layout`` / ``verify``: sealed export segments and their offline verification.
- ``service``: ``AuditTrail``, what the app opens, starts and stops; ``commands``: the CLI.
"""

from trueport.audit.events import (
    AuditEvent,
    ControlPlaneEvent,
    DataPlaneEvent,
    GuardAction,
    LimitDecision,
    Outcome,
    TargetAttempt,
    Usage,
)

__all__ = [
    "AuditEvent",
    "ControlPlaneEvent",
    "DataPlaneEvent",
    "GuardAction",
    "LimitDecision",
    "Outcome",
    "TargetAttempt",
    "Usage",
]
