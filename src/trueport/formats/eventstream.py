"""AWS event-stream framing (``application/vnd.amazon.eventstream``): encoding and incremental decoding.

Amazon Bedrock's streaming APIs send binary messages, each framed as::

    total length (4) | headers length (4) | prelude CRC32 (4) | headers | payload | message CRC32 (4)

big-endian, both CRCs the standard CRC32 (``zlib.crc32``): the prelude's over the first 8 bytes, the
message's over everything before it. A header is a 1-byte name length, the name, a 1-byte value
type and the value (strings and byte arrays with a 2-byte length). Bedrock's events carry the string
headers ``:message-type`` (``event``, ``exception`` or ``error``), ``:event-type`` /
``:exception-type`` and ``:content-type``, and a JSON payload.

The decoder checks both CRCs and every length before it trusts a byte, so a corrupted or hostile
stream is an ``EventStreamError``, never a wrong message or a huge allocation.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

_PRELUDE = 12  # total length, headers length, prelude CRC
_MIN_MESSAGE = _PRELUDE + 4
DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # AWS's own limit on one message

HeaderValue = bool | int | str | bytes | datetime | uuid.UUID
_FIXED = {2: ">b", 3: ">h", 4: ">i", 5: ">q"}  # byte, short, integer, long


class EventStreamError(ValueError):
    """The bytes are not a valid event stream: a bad CRC, an impossible length or a bad header."""


@dataclass(frozen=True, slots=True)
class EventMessage:
    headers: dict[str, HeaderValue]
    payload: bytes

    def header(self, name: str) -> str | None:
        """A string header's value, ``None`` when absent or not a string."""
        value = self.headers.get(name)
        return value if isinstance(value, str) else None


def encode_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One message with string headers (all Bedrock's events need)."""
    encoded = b"".join(_encode_header(name, value) for name, value in headers.items())
    total = _MIN_MESSAGE + len(encoded) + len(payload)
    prelude = struct.pack(">II", total, len(encoded))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + encoded + payload
    return body + struct.pack(">I", zlib.crc32(body))


def _encode_header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    if len(raw_name) > 255 or len(raw_value) > 0xFFFF:
        raise ValueError(f"header {name!r} is too long for the event-stream framing")
    return bytes([len(raw_name)]) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value


class EventStreamDecoder:
    """Feed bytes as they arrive; iterate the complete messages they finish."""

    def __init__(self, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES):
        self._buffer = bytearray()
        self._max = max_message_bytes

    @property
    def pending(self) -> int:
        """Bytes received that do not yet make a whole message (non-zero at the end: a cut stream)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> Iterator[EventMessage]:
        self._buffer += data
        while len(self._buffer) >= _PRELUDE:
            total, headers_length, prelude_crc = struct.unpack_from(">III", self._buffer)
            if zlib.crc32(self._buffer[:8]) != prelude_crc:
                raise EventStreamError("event-stream prelude CRC mismatch")
            if total < _MIN_MESSAGE or headers_length > total - _MIN_MESSAGE:
                raise EventStreamError(f"event-stream message length {total} is impossible")
            if total > self._max:
                raise EventStreamError(f"event-stream message of {total} bytes is over {self._max}")
            if len(self._buffer) < total:
                return
            message = bytes(self._buffer[:total])
            del self._buffer[:total]
            (message_crc,) = struct.unpack_from(">I", message, total - 4)
            if zlib.crc32(message[: total - 4]) != message_crc:
                raise EventStreamError("event-stream message CRC mismatch")
            headers = _decode_headers(message[_PRELUDE : _PRELUDE + headers_length])
            yield EventMessage(headers, message[_PRELUDE + headers_length : total - 4])


def _decode_headers(raw: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    at = 0
    try:
        while at < len(raw):
            name_length = raw[at]
            name = raw[at + 1 : at + 1 + name_length].decode()
            at += 1 + name_length
            kind = raw[at]
            at += 1
            value: HeaderValue
            if kind in (0, 1):
                value = kind == 0
            elif kind in _FIXED:
                form = _FIXED[kind]
                (value,) = struct.unpack_from(form, raw, at)
                at += struct.calcsize(form)
            elif kind in (6, 7):
                (length,) = struct.unpack_from(">H", raw, at)
                data = raw[at + 2 : at + 2 + length]
                if len(data) != length:
                    raise EventStreamError("event-stream header value is cut")
                value = data.decode() if kind == 7 else bytes(data)
                at += 2 + length
            elif kind == 8:
                (millis,) = struct.unpack_from(">q", raw, at)
                value = datetime.fromtimestamp(millis / 1000, tz=UTC)
                at += 8
            elif kind == 9:
                if at + 16 > len(raw):
                    raise EventStreamError("event-stream header value is cut")
                value = uuid.UUID(bytes=bytes(raw[at : at + 16]))
                at += 16
            else:
                raise EventStreamError(f"event-stream header of unknown type {kind}")
            headers[name] = value
    except (IndexError, struct.error, UnicodeDecodeError, ValueError, OverflowError) as exc:
        if isinstance(exc, EventStreamError):
            raise
        raise EventStreamError("event-stream headers are malformed") from exc
    return headers
