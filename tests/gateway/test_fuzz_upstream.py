"""Fuzzing what providers answer: whatever an upstream sends back (broken JSON, wrong types, cut or
garbled streams, odd statuses, absurd usage), the client gets an answer or a clean error — never a
500, never a cut connection, never a hang — and every call is recorded.

The emulator's scripted mode (``trueport.mockprovider.scripted``) answers the bytes Hypothesis
generates, mutated from valid OpenAI, Anthropic and Gemini answers (plain and streamed). Runs on
PostgreSQL with a fixed seed; raise ``TRUEPORT_FUZZ_EXAMPLES`` to fuzz longer.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.gateway.fuzzing import encode, fuzz_settings, json_values
from tests.gateway.harness import PROVIDER_KEY, gateway_settings
from tests.gateway.threaded import ThreadedGateway

from support.postgres import PostgresServer
from trueport.db.models import RequestRecord
from trueport.mockprovider import MockProviderThread

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FUZZ = fuzz_settings(120)
COPIES = 4  # each answer is queued this many times: retries take the same answer again

SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.text(alphabet="\x00\u202e\ufffd{}[]", max_size=8),
)
JSON_VALUE = json_values(SCALAR, st.text(max_size=8), max_size=3, max_leaves=8)

OPENAI_ANSWER: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
OPENAI_CHUNK: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "delta": {"content": "hel"}, "finish_reason": None}],
}
OPENAI_USAGE_CHUNK: dict[str, Any] = {
    **OPENAI_CHUNK,
    "choices": [],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
ANTHROPIC_ANSWER: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "m",
    "content": [{"type": "text", "text": "hello"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 3, "output_tokens": 1},
}
ANTHROPIC_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("message_start", {"type": "message_start", "message": {**ANTHROPIC_ANSWER, "content": []}}),
    (
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ),
    (
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hel"}},
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    (
        "message_delta",
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
    ),
    ("message_stop", {"type": "message_stop"}),
]
GEMINI_ANSWER: dict[str, Any] = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "hello"}]}, "finishReason": "STOP", "index": 0}
    ],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
}


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``value`` (keys and indexes), the value itself included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, template: Any) -> Any:
    """``template`` with up to three of its parts replaced by random JSON or removed."""
    value = copy.deepcopy(template)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(paths(value)))
        if not path:
            return draw(JSON_VALUE)
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON_VALUE)
    return value


@st.composite
def garbled(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` cut, or with random bytes in it, or left alone."""
    how = draw(st.sampled_from(["keep", "keep", "cut", "insert"]))
    if how == "keep" or not body:
        return body
    at = draw(st.integers(0, len(body)))
    if how == "cut":
        return body[:at]
    return body[:at] + draw(st.binary(min_size=1, max_size=20)) + body[at:]


def sse(events: list[bytes]) -> bytes:
    return b"".join(events)


@st.composite
def stream_body(draw: st.DrawFn, dialect: str) -> bytes:
    if dialect == "anthropic":
        events = [
            f"event: {name}\n".encode() + b"data: " + encode(draw(mutated(data))) + b"\n\n"
            for name, data in ANTHROPIC_EVENTS
        ]
    elif dialect == "gemini":
        events = [
            b"data: " + encode(draw(mutated(GEMINI_ANSWER))) + b"\n\n" for _ in range(draw(st.integers(1, 3)))
        ]
    else:
        chunks = [draw(mutated(OPENAI_CHUNK)) for _ in range(draw(st.integers(1, 3)))]
        events = [b"data: " + encode(chunk) + b"\n\n" for chunk in chunks]
        events.append(b"data: " + encode(draw(mutated(OPENAI_USAGE_CHUNK))) + b"\n\n")
        events.append(b"data: [DONE]\n\n")
    if draw(st.booleans()):
        index = draw(st.integers(0, len(events) - 1))
        events[index] = draw(st.one_of(st.binary(max_size=60), garbled(events[index])))
    if draw(st.integers(0, 9)) == 0:  # one long line
        events.insert(0, b"data: " + b"y" * draw(st.integers(1, 200_000)) + b"\n\n")
    return sse(events)


@st.composite
def upstream_answer(draw: st.DrawFn, dialect: str, stream: bool) -> dict[str, Any]:
    status = draw(
        st.sampled_from([200, 200, 200, 200, 201, 204, 400, 401, 404, 408, 413, 429, 500, 502, 503, 529])
    )
    if stream and status == 200 and draw(st.integers(0, 4)) > 0:
        body = draw(stream_body(dialect))
        pieces = [body[i : i + 37] for i in range(0, len(body), 37)] or [b""]
        return {
            "status": status,
            "content_type": draw(st.sampled_from(["text/event-stream", "application/json", "text/html"])),
            "chunks": [base64.b64encode(piece).decode() for piece in pieces],
        }
    template = {"anthropic": ANTHROPIC_ANSWER, "gemini": GEMINI_ANSWER}.get(dialect, OPENAI_ANSWER)
    body = draw(
        st.one_of(
            mutated(template).map(encode).flatmap(garbled),
            st.binary(max_size=200),
            JSON_VALUE.map(encode),
        )
    )
    content_type = draw(st.sampled_from(["application/json", "application/json", "text/plain", "text/html"]))
    return {"status": status, "content_type": content_type, "body": base64.b64encode(body).decode()}


ALIASES = {"openai": "sc-oa", "anthropic": "sc-an", "gemini": "sc-ge"}


@pytest.fixture(scope="module")
def fuzzed(postgres_server: PostgresServer) -> Iterator[tuple[ThreadedGateway, str]]:
    name = f"t_{secrets.token_hex(6)}"
    url = postgres_server.create_database(name)

    def provider(kind: str, base_url: str) -> dict[str, Any]:
        return {
            "type": kind,
            "base_url": base_url,
            "api_key": PROVIDER_KEY,
            "timeout_s": 3,
            "stream_idle_timeout_s": 3,
        }

    try:
        with MockProviderThread(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock:
            settings_ = gateway_settings(
                url,
                mock.url,
                providers={
                    "sc-oa": provider("openai", f"{mock.url}/scripted/v1"),
                    "sc-an": provider("anthropic", f"{mock.url}/scripted"),
                    "sc-ge": provider("gemini", f"{mock.url}/scripted"),
                },
                models={alias: [{"provider": alias, "model": "m"}] for alias in ALIASES.values()},
                resilience={"deadline_s": 8.0, "breaker_enabled": False},
            )
            with ThreadedGateway(settings_) as gateway:
                yield gateway, mock.url
    finally:
        postgres_server.drop_database(name)


SENT: list[int] = []


def read(client: httpx.Client, path: str, body: dict[str, Any], key: str) -> tuple[int, bytes]:
    """The whole answer; a connection the gateway cuts raises here."""
    SENT.append(1)
    with client.stream(
        "POST", path, json=body, headers={"authorization": f"Bearer {key}", "x-api-key": key}
    ) as response:
        return response.status_code, response.read()


def check_stream(content: bytes) -> None:
    """A streamed answer ends cleanly: the OpenAI terminator or an error event, never mid-event."""
    text = content.decode("utf-8")
    assert text.endswith("\n\n"), text[-300:]
    events = [event for event in text.split("\n\n") if event.strip()]
    last = events[-1]
    data = [line[len("data: ") :] for line in last.splitlines() if line.startswith("data: ")]
    assert data, last
    assert (
        data[-1] == "[DONE]"
        or "error" in json.loads(data[-1])
        or json.loads(data[-1]).get("type")
        in (
            "message_stop",
            "error",
        )
    ), last


@FUZZ
@given(
    data=st.data(),
    dialect=st.sampled_from(sorted(ALIASES)),
    stream=st.booleans(),
    client_speaks=st.sampled_from(["openai", "anthropic"]),
)
def test_whatever_the_upstream_answers(
    fuzzed: tuple[ThreadedGateway, str], data: st.DataObject, dialect: str, stream: bool, client_speaks: str
) -> None:
    gateway, mock_url = fuzzed
    answer = data.draw(upstream_answer(dialect, stream), label="answer")
    with httpx.Client(timeout=20) as control:
        control.delete(f"{mock_url}/_scripted/answers").raise_for_status()
        control.post(f"{mock_url}/_scripted/answers", json=[answer] * COPIES).raise_for_status()
    with httpx.Client(base_url=gateway.running.url, timeout=20) as client:
        if client_speaks == "openai":
            request = {
                "model": ALIASES[dialect],
                "messages": [{"role": "user", "content": "hi"}],
                "stream": stream,
            }
            status, content = read(client, "/v1/chat/completions", request, gateway.running.key)
        else:
            request = {
                "model": ALIASES[dialect],
                "max_tokens": 16,
                "messages": [{"role": "user", "content": "hi"}],
                "stream": stream,
            }
            status, content = read(client, "/v1/messages", request, gateway.running.key)
    assert status != 500 and status < 600, (status, content[:300])
    if status >= 400:
        body = json.loads(content)
        assert "error" in body, body
        assert PROVIDER_KEY not in content.decode("utf-8", "replace")
        return
    if stream:
        check_stream(content)
    else:
        json.loads(content)


def test_after_the_fuzzing_every_call_is_recorded(fuzzed: tuple[ThreadedGateway, str]) -> None:
    gateway, _ = fuzzed
    running = gateway.running

    async def count() -> int:
        await running.app.gateway.records.flush()
        async with running.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(RequestRecord)) or 0)

    deadline = time.monotonic() + 10
    recorded = gateway.call(count())
    while recorded < len(SENT) and time.monotonic() < deadline:
        time.sleep(0.2)
        recorded = gateway.call(count())
    assert recorded == len(SENT), (recorded, len(SENT))
