"""Control-plane changes as audit events, taken from the ORM session itself.

``ChangeTracker`` listens to a session's flushes and keeps, for every row created, updated or
deleted through the ORM, its type, id, tenant and the columns that changed (before and after). So
every endpoint is covered without a line in its service: the unit of work turns them into
``ControlPlaneEvent`` s once it has committed. Secret material never enters an event: columns such
as ``password_hash``, ``key_hash``, ``ciphertext``, ``wrapped_key``, and any column or JSON key
whose name contains ``secret``, ``password`` or ``token`` are dropped (bytes are always dropped).
Bulk ``UPDATE`` statements (token rotation, the live-config counter) are bookkeeping, not
configuration, and are not seen here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import JsonValue
from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from trueport.audit.canonical import MAX_SAFE_INTEGER
from trueport.audit.events import ControlPlaneEvent

_SECRET_COLUMNS = frozenset({"password_hash", "key_hash", "ciphertext", "wrapped_key", "token_hash"})
_SECRET_WORDS = ("secret", "password", "token")
# Timestamps marking a state change name the action better than "update".
_ACTION_STAMPS = {"revoked_at": "revoke", "disabled_at": "disable", "accepted_at": "accept"}


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_COLUMNS or any(word in lowered for word in _SECRET_WORDS)


@dataclass(slots=True)
class Change:
    action: str
    object_type: str
    object_id: str
    tenant_id: str | None
    before: dict[str, JsonValue] | None
    after: dict[str, JsonValue] | None

    def event(self, actor: str, source_ip: str | None) -> ControlPlaneEvent:
        return ControlPlaneEvent(
            tenant_id=self.tenant_id,
            actor=actor,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            before=self.before,
            after=self.after,
            source_ip=source_ip,
        )


class ChangeTracker:
    """Collects the ORM changes of one session's flushes, in flush order."""

    def __init__(self, session: AsyncSession):
        self.changes: list[Change] = []
        event.listen(session.sync_session, "after_flush", self._after_flush)

    def _after_flush(self, session: Session, _context: UOWTransaction) -> None:
        for row in session.new:
            self._add("create", row, None, _columns(row))
        for row in session.dirty:
            before, after = _changed(row)
            if after:
                self._add(_update_action(before, after), row, before, after)
        for row in session.deleted:
            self._add("delete", row, _columns(row), None)

    def _add(
        self,
        action: str,
        row: object,
        before: dict[str, JsonValue] | None,
        after: dict[str, JsonValue] | None,
    ) -> None:
        state = inspect(row)
        identity = state.mapper.primary_key_from_instance(row)  # new rows have no identity key yet
        object_id = ":".join(str(part) for part in identity)
        tenant = getattr(row, "tenant_id", None)
        if tenant is None and state.mapper.local_table.name == "tenants":
            tenant = object_id
        self.changes.append(
            Change(
                action=action,
                object_type=str(state.mapper.local_table.name),
                object_id=object_id,
                tenant_id=str(tenant) if tenant is not None else None,
                before=before,
                after=after,
            )
        )


def _columns(row: object) -> dict[str, JsonValue]:
    state = inspect(row)
    values: dict[str, JsonValue] = {}
    for attribute in state.mapper.column_attrs:
        name = attribute.key
        if is_secret(name) or name not in state.dict:
            continue
        value = _json(state.dict[name])
        if value is not _DROP:
            values[name] = value
    return values


def _changed(row: object) -> tuple[dict[str, JsonValue], dict[str, JsonValue]]:
    state = inspect(row)
    before: dict[str, JsonValue] = {}
    after: dict[str, JsonValue] = {}
    for attribute in state.mapper.column_attrs:
        name = attribute.key
        if is_secret(name):
            continue
        history = state.attrs[name].history
        if not history.added and not history.deleted:
            continue
        old = _json(history.deleted[0]) if history.deleted else None
        new = _json(history.added[0]) if history.added else None
        if old == new or old is _DROP or new is _DROP:
            continue
        before[name] = old
        after[name] = new
    return before, after


def _update_action(before: dict[str, JsonValue], after: dict[str, JsonValue]) -> str:
    for column, action in _ACTION_STAMPS.items():
        if column in after and before.get(column) is None and after[column] is not None:
            return action
    return "update"


_DROP: Any = object()


def _json(value: object) -> Any:
    """A column value as canonical-JSON-safe data; ``_DROP`` for what must not or cannot be logged."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return _json(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dict):
        return {
            str(key): item
            for key, item in ((key, _json(item)) for key, item in value.items())
            if not is_secret(str(key)) and item is not _DROP
        }
    if isinstance(value, list | tuple):
        return [item for item in map(_json, value) if item is not _DROP]
    return _DROP  # bytes (hashes, ciphertext) and anything unknown
