"""One finished call as the serving process hands it to the recorder: one compact JSON line.

The serving process does no more with a finished call than ``encode`` it (one ``orjson`` encode of a
flat list, no model construction) and hand the line over (``trueport.books.handoff``). The recorder
``decode``s it back into the request record, the rate-limit headers the call was answered with and
whether it is audited, and builds the request record row, the audit event and the inference event
from that (``trueport.books.recorder``). Nothing is parsed twice and nothing is priced on the hot path.

The line is a JSON array whose first element is the format version; a line of another version, or
one that does not decode, is refused with ``ValueError`` (the recorder dead-letters it). The last
elements, the call's trace id and then its region pinning (``[allowed regions, region served]``), were
added within version 1 and are optional: a line written before them (25 or 26 elements) still
decodes, so a recorder and servers can be upgraded in any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from trueport.usage.records import RequestRecordData

FORMAT_VERSION = 1
_RATELIMIT_PREFIX = b"x-ratelimit-"
_FIELDS = 27  # version + the elements below
_FIELDS_BEFORE_TRACE_ID = 25
_FIELDS_BEFORE_REGIONS = 26


@dataclass(frozen=True, slots=True)
class CallItem:
    """A decoded line: the call's record and what its audit event needs beyond it."""

    record: RequestRecordData
    status: int  # the status the client was answered with (the record's own when it had none)
    ratelimit_headers: list[tuple[bytes, bytes]]  # the x-ratelimit-* headers it was answered with
    audited: bool  # the call gets an audit event (authenticated, and the audit trail is on)
    answered_at: datetime  # when the answer ended: the audit event's time


def encode(
    record: RequestRecordData, status: int, headers: list[tuple[bytes, bytes]], *, audited: bool
) -> bytes:
    """The call as one line (no newline inside: orjson escapes control characters in strings)."""
    ratelimits = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in headers
        if name.startswith(_RATELIMIT_PREFIX)
    ]
    created = record.created_at
    return orjson.dumps(
        (
            FORMAT_VERSION,
            record.id,
            int(created.timestamp() * 1_000_000),
            record.endpoint,
            record.status_code,
            record.tenant_id,
            record.key_id,
            record.alias,
            record.provider,
            record.upstream_model,
            record.stream,
            record.error_class,
            record.attempts,
            record.latency_ms,
            record.ttft_ms,
            record.prompt_tokens,
            record.completion_tokens,
            record.cached_tokens,
            record.fallback,
            record.served_from,
            record.targets_tried,
            record.violations,
            record.upstream_usage_invalid,
            [status, ratelimits, audited],
            int(datetime.now(UTC).timestamp() * 1_000_000),
            record.trace_id,
            [record.allowed_regions, record.region],
        )
    )


def decode(line: bytes) -> CallItem:
    """The item of a line; ValueError when it is not one (wrong version, shape or types)."""
    try:
        fields = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if (
        not isinstance(fields, list)
        or len(fields) not in (_FIELDS, _FIELDS_BEFORE_REGIONS, _FIELDS_BEFORE_TRACE_ID)
        or fields[0] != FORMAT_VERSION
    ):
        raise ValueError("not a call item of format version 1")
    try:
        (_, request_id, created_us, endpoint, status_code, tenant_id, key_id, alias, provider) = fields[:9]
        (upstream_model, stream, error_class, attempts, latency_ms, ttft_ms) = fields[9:15]
        (prompt, completion, cached, fallback, served_from, targets, violations, invalid) = fields[15:23]
        status, ratelimits, audited = fields[23]
        allowed, region = fields[26] if len(fields) > _FIELDS_BEFORE_REGIONS else (None, None)
        record = RequestRecordData(
            id=_text(request_id),
            created_at=_moment(created_us),
            endpoint=_text(endpoint),
            status_code=_integer(status_code),
            tenant_id=_optional_text(tenant_id),
            key_id=_optional_text(key_id),
            alias=_optional_text(alias),
            provider=_optional_text(provider),
            upstream_model=_optional_text(upstream_model),
            stream=stream is True,
            error_class=_optional_text(error_class),
            attempts=_integer(attempts),
            latency_ms=float(latency_ms),
            ttft_ms=float(ttft_ms) if ttft_ms is not None else None,
            prompt_tokens=_integer(prompt),
            completion_tokens=_integer(completion),
            cached_tokens=_integer(cached),
            fallback=fallback is True,
            served_from=_optional_text(served_from),
            targets_tried=[_text(target) for target in targets],
            violations=[violation for violation in violations if isinstance(violation, dict)],
            upstream_usage_invalid=invalid is True,
            trace_id=_optional_text(fields[25]) if len(fields) > _FIELDS_BEFORE_TRACE_ID else None,
            allowed_regions=[_text(name) for name in allowed] if allowed is not None else None,
            region=_optional_text(region),
        )
        return CallItem(
            record=record,
            status=_integer(status),
            ratelimit_headers=[
                (_text(n).encode("latin-1"), _text(v).encode("latin-1")) for n, v in ratelimits
            ],
            audited=audited is True,
            answered_at=_moment(fields[24]),
        )
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"malformed call item: {exc}") from None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _moment(microseconds: object) -> datetime:
    return datetime.fromtimestamp(_integer(microseconds) / 1_000_000, UTC)
