"""The AWS event-stream framing: what is encoded botocore decodes, and what botocore's format holds we decode."""

from __future__ import annotations

import struct
import uuid
import zlib

import pytest
from botocore.eventstream import EventStreamBuffer

from trueport.formats.eventstream import EventStreamDecoder, EventStreamError, encode_message

HEADERS = {":message-type": "event", ":event-type": "contentBlockDelta", ":content-type": "application/json"}
PAYLOAD = b'{"contentBlockIndex":0,"delta":{"text":"Hello"}}'


def test_botocore_reads_what_is_encoded() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(encode_message(HEADERS, PAYLOAD) + encode_message({":message-type": "event"}, b""))
    messages = list(buffer)
    assert [m.headers for m in messages] == [HEADERS, {":message-type": "event"}]
    assert [m.payload for m in messages] == [PAYLOAD, b""]


def test_messages_split_anywhere_come_out_whole() -> None:
    frames = encode_message(HEADERS, PAYLOAD) + encode_message(HEADERS, b"{}")
    for size in (1, 3, 7, 16, len(frames)):
        decoder = EventStreamDecoder()
        messages = [
            m for start in range(0, len(frames), size) for m in decoder.feed(frames[start : start + size])
        ]
        assert [m.payload for m in messages] == [PAYLOAD, b"{}"]
        assert messages[0].header(":event-type") == "contentBlockDelta"
        assert decoder.pending == 0


def test_a_cut_message_stays_pending() -> None:
    frame = encode_message(HEADERS, PAYLOAD)
    decoder = EventStreamDecoder()
    assert list(decoder.feed(frame[:-5])) == []
    assert decoder.pending == len(frame) - 5


def _typed_headers() -> bytes:
    def header(name: str, kind: int, value: bytes) -> bytes:
        return bytes([len(name)]) + name.encode() + bytes([kind]) + value

    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    return b"".join(
        [
            header("t", 0, b""),
            header("f", 1, b""),
            header("b", 2, struct.pack(">b", -3)),
            header("s", 3, struct.pack(">h", 300)),
            header("i", 4, struct.pack(">i", -70000)),
            header("l", 5, struct.pack(">q", 2**40)),
            header("x", 6, struct.pack(">H", 2) + b"\x00\xff"),
            header("d", 8, struct.pack(">q", 1_700_000_000_000)),
            header("u", 9, ident.bytes),
        ]
    )


def _frame(headers: bytes, payload: bytes) -> bytes:
    prelude = struct.pack(">II", 16 + len(headers) + len(payload), len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


def test_every_header_type_decodes_as_botocore_does() -> None:
    frame = _frame(_typed_headers(), b"p")
    [ours] = list(EventStreamDecoder().feed(frame))
    buffer = EventStreamBuffer()
    buffer.add_data(frame)
    [theirs] = list(buffer)
    assert ours.headers["t"] is True and ours.headers["f"] is False
    for name in ("b", "s", "i", "l", "x"):
        assert ours.headers[name] == theirs.headers[name]
    assert ours.headers["u"] == uuid.UUID(bytes=theirs.headers["u"])
    assert ours.headers["d"].timestamp() == 1_700_000_000  # type: ignore[union-attr]


def test_a_corrupted_payload_fails_the_message_crc() -> None:
    frame = bytearray(encode_message(HEADERS, PAYLOAD))
    frame[-10] ^= 0x01
    with pytest.raises(EventStreamError, match="message CRC"):
        list(EventStreamDecoder().feed(bytes(frame)))


def test_a_corrupted_length_fails_the_prelude_crc() -> None:
    frame = bytearray(encode_message(HEADERS, PAYLOAD))
    frame[3] ^= 0x40
    with pytest.raises(EventStreamError, match="prelude CRC"):
        list(EventStreamDecoder().feed(bytes(frame)))


def test_an_oversized_message_is_refused_before_it_is_buffered() -> None:
    frame = encode_message(HEADERS, b"x" * 2000)
    with pytest.raises(EventStreamError, match="over 1024"):
        list(EventStreamDecoder(max_message_bytes=1024).feed(frame[:20]))


def test_impossible_lengths_and_header_types_are_errors() -> None:
    prelude = struct.pack(">II", 16, 8)  # headers longer than the message
    with pytest.raises(EventStreamError, match="impossible"):
        list(EventStreamDecoder().feed(prelude + struct.pack(">I", zlib.crc32(prelude)) + b"\0" * 4))
    with pytest.raises(EventStreamError, match="unknown type"):
        list(EventStreamDecoder().feed(_frame(b"\x01a\x0f", b"")))
    with pytest.raises(EventStreamError, match=r"malformed|cut"):
        list(EventStreamDecoder().feed(_frame(b"\x01a\x07\x00\x09ab", b"")))
