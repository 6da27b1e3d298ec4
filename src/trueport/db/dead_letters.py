"""What the writers do with an item the database refuses: split the batch, keep the rest, park the one.

A batch insert that fails for a *data* reason (an integrity or data error, a value a column refuses,
a row that cannot be built) is split in halves, recursively, until the items that fail alone are
found; everything else is written, in order, in as few transactions as that allows (one bad item in a
batch of ``n`` costs about ``2 log2 n`` extra transactions). The bad items go to the ``dead_letters``
table with the database's message, and ``trueport_dead_letters_total{kind}`` counts them.

Any other failure (the connection is lost, the database is down, a timeout, a bug) is not the
items' fault: ``write_splitting`` stops, and the caller keeps whatever was not yet written and
retries it later with backoff (logged, counted in ``trueport_writer_errors_total``). See ARCHITECTURE.md, "Dead letters".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import structlog
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, insert, select

from trueport import metrics
from trueport.db.engine import SessionFactory
from trueport.db.models import DeadLetter, new_id, utcnow
from trueport.jsonutil import dumps

log = structlog.get_logger(__name__)

T = TypeVar("T")

_ERROR_CHARS = 2000
_INSERT = insert(DeadLetter.__table__)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Rejected:
    """One item the database refused, and why."""

    kind: str  # request_record | audit_event
    item_id: str
    tenant_id: str | None
    error: str
    payload: bytes


class WriteInterrupted(Exception):
    """A transient failure stopped ``write_splitting``; ``unwritten`` are still to be written."""

    def __init__(self, unwritten: list[object], cause: BaseException) -> None:
        super().__init__(type(cause).__name__)
        self.unwritten = unwritten
        self.cause = cause


def is_transient(exc: BaseException) -> bool:
    """Worth retrying as it is: the database or the way to it failed, not the data."""
    transient = (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.DisconnectionError,
        sa_exc.TimeoutError,  # the pool's
        OSError,
        TimeoutError,
    )
    if isinstance(exc, transient):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


def is_data_error(exc: BaseException) -> bool:
    """The database (or the driver, binding them) refused these values: retrying them as they are
    can never succeed. An outage, a missing table or a bug is not one of these."""
    if isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and not is_transient(exc):
        # PostgreSQL's classes 22 (data exception: NUL, too long, out of range) and 23 (integrity)
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(sqlstate, str) and sqlstate[:2] in ("22", "23")
    # A value the driver cannot bind (SQLite: an integer over 64 bits) or a row that cannot be built.
    return isinstance(
        exc, ArithmeticError | ValueError | TypeError | sa_exc.StatementError
    ) and not isinstance(exc, sa_exc.DBAPIError)


def error_text(exc: BaseException) -> str:
    """The database's own message: never the statement, never its parameters (they may hold secrets)."""
    if isinstance(exc, sa_exc.StatementError):  # its str() carries the statement and parameters
        cause = exc.orig
        text = f"{type(cause).__name__}: {cause}" if cause is not None else type(exc).__name__
    else:
        text = f"{type(exc).__name__}: {exc}"
    return clean(text, _ERROR_CHARS)


def clean(text: str, limit: int) -> str:
    """``text`` without NUL characters or lone surrogates, at most ``limit`` characters."""
    text = text.replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:limit]


def payload_of(value: object) -> bytes:
    """An item as JSON bytes, whatever it holds (huge integers, NaN, datetimes, NUL characters)."""
    return dumps(_plain(value), default=str)


def _plain(value: object) -> object:
    """Integers beyond 64 bits as strings (orjson refuses them); the rest as it is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


async def write_splitting(
    items: Sequence[T], write: Callable[[list[T]], Awaitable[None]]
) -> list[tuple[T, BaseException]]:
    """Write ``items`` with ``write`` (one transaction per call), splitting around the ones that fail.

    Returns the items that failed alone, with their errors; they were not written. Raises
    ``WriteInterrupted`` on a transient error, with every item not yet written, in order.
    """
    chunks: list[list[T]] = [list(items)]
    bad: list[tuple[T, BaseException]] = []
    while chunks:
        chunk = chunks.pop(0)
        try:
            await write(chunk)
        except Exception as exc:
            if not is_data_error(exc):
                rest = [item for later in chunks for item in later]
                # the items already found bad are retried too: nothing is lost on the way out
                raise WriteInterrupted([*(item for item, _ in bad), *chunk, *rest], exc) from exc
            if len(chunk) == 1:
                bad.append((chunk[0], exc))
                continue
            middle = len(chunk) // 2
            chunks[0:0] = [chunk[:middle], chunk[middle:]]
    return bad


async def store(sessions: SessionFactory, rejected: Sequence[Rejected]) -> None:
    """Park refused items in ``dead_letters`` and count them. Raises what the database raises."""
    if not rejected:
        return
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "kind": item.kind,
            "item_id": clean(item.item_id, 64),
            "tenant_id": clean(item.tenant_id, 36) if item.tenant_id is not None else None,
            "error": clean(item.error, _ERROR_CHARS),
            "payload": item.payload,
            "created_at": now,
        }
        for item in rejected
    ]
    async with sessions() as session:
        await session.execute(_INSERT, rows)
        await session.commit()
    for item in rejected:
        metrics.DEAD_LETTERS.labels(item.kind).inc()
        log.error("dead_lettered", kind=item.kind, item_id=clean(item.item_id, 64), error=item.error[:300])


async def count(sessions: SessionFactory, kind: str | None = None) -> int:
    statement = select(func.count()).select_from(DeadLetter)
    if kind is not None:
        statement = statement.where(DeadLetter.kind == kind)
    async with sessions() as session:
        return int(await session.scalar(statement) or 0)
