"""Every fault directive, on each wire format where its effect differs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import openai
import pytest
from openai import AsyncOpenAI

from trueport.jsonutil import loads
from trueport.mockprovider import MockProvider

OPENAI = {"Authorization": "Bearer k"}
ANTHROPIC = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
GEMINI = {"x-goog-api-key": "k"}


def chat(model: str, text: str = "one two three four five", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


async def read_lines(response: aiohttp.ClientResponse) -> tuple[list[bytes], bool]:
    """The lines received, and whether the connection broke before the body was complete."""
    lines: list[bytes] = []
    try:
        async for line in response.content:
            lines.append(line)
    except aiohttp.ClientPayloadError:
        return lines, True
    return lines, False


async def test_status_answers_with_that_status(openai_client: AsyncOpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        await openai_client.chat.completions.create(**chat("gpt-4o+status=503"))
    assert caught.value.status_code == 503
    assert caught.value.type == "server_error"


async def test_status_429_carries_retry_after(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{mock.url}/v1/chat/completions", json=chat("m+status=429"), headers=OPENAI
    ) as response:
        assert response.status == 429
        assert response.headers["retry-after"] == "1"
        error = (await response.json())["error"]
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")


async def test_other_statuses_carry_no_retry_after(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{mock.url}/v1/chat/completions", json=chat("m+status=502"), headers=OPENAI
    ) as response:
        assert response.status == 502
        assert "retry-after" not in response.headers


async def test_delay_waits_before_answering(openai_client: AsyncOpenAI) -> None:
    started = time.perf_counter()
    await openai_client.chat.completions.create(**chat("m+delay=200"))
    assert time.perf_counter() - started >= 0.2


async def test_without_delay_the_answer_is_quick(openai_client: AsyncOpenAI) -> None:
    await openai_client.chat.completions.create(**chat("warm-up"))
    started = time.perf_counter()
    await openai_client.chat.completions.create(**chat("m"))
    assert time.perf_counter() - started < 0.2


async def test_cut_drops_an_openai_stream_after_n_chunks(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{mock.url}/v1/chat/completions", json=chat("m+cut=3", stream=True), headers=OPENAI
    ) as response:
        lines, broken = await read_lines(response)
    assert broken
    data = [loads(line[6:]) for line in lines if line.startswith(b"data: {")]
    assert [d["choices"][0]["delta"].get("content") for d in data] == ["", "Echo:", " one", " two"]
    assert all(d["choices"][0]["finish_reason"] is None for d in data)
    assert b"data: [DONE]\n" not in lines


async def test_cut_breaks_the_openai_sdk_stream(openai_client: AsyncOpenAI) -> None:
    stream = await openai_client.chat.completions.create(**chat("m+cut=1", stream=True))
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert received == ["", "Echo:"]


async def test_cut_drops_an_anthropic_stream_before_message_stop(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    body = chat("claude+cut=2", stream=True, max_tokens=50)
    async with http.post(f"{mock.url}/v1/messages", json=body, headers=ANTHROPIC) as response:
        lines, broken = await read_lines(response)
    assert broken
    events = [line.decode().strip().removeprefix("event: ") for line in lines if line.startswith(b"event:")]
    assert events == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
    ]


async def test_cut_drops_a_gemini_stream_before_the_finish(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "a b c"}]}]}
    async with http.post(
        f"{mock.url}/v1beta/models/g+cut=1:streamGenerateContent?alt=sse", json=body, headers=GEMINI
    ) as response:
        lines, broken = await read_lines(response)
    assert broken
    data = [loads(line[6:]) for line in lines if line.startswith(b"data: ")]
    assert len(data) == 1
    assert data[0]["candidates"][0]["content"]["parts"] == [{"text": "Echo:"}]
    assert "finishReason" not in data[0]["candidates"][0]


async def test_cut_beyond_the_answer_still_withholds_the_end(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{mock.url}/v1/chat/completions", json=chat("m+cut=99", "hi", stream=True), headers=OPENAI
    ) as response:
        lines, broken = await read_lines(response)
    assert broken
    assert sum(1 for line in lines if line.startswith(b"data: {")) == 3  # role, "Echo:", " hi"


async def test_cut_closes_a_plain_answer_mid_body(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{mock.url}/v1/chat/completions", json=chat("m+cut=1"), headers=OPENAI) as response:
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_cut_plain_answer_is_a_connection_error_for_the_sdk(openai_client: AsyncOpenAI) -> None:
    with pytest.raises(openai.APIConnectionError):
        await openai_client.chat.completions.create(**chat("m+cut=1"))


async def test_hang_never_answers(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    with pytest.raises(TimeoutError):
        await http.post(
            f"{mock.url}/v1/chat/completions",
            json=chat("m+hang"),
            headers=OPENAI,
            timeout=aiohttp.ClientTimeout(total=0.3),
        )
    assert mock.requests[-1]["body"]["model"] == "m+hang"


async def test_shutdown_releases_a_hanging_request(http: aiohttp.ClientSession) -> None:
    async with MockProvider() as mock:
        pending = asyncio.create_task(
            http.post(f"{mock.url}/v1/chat/completions", json=chat("m+hang"), headers=OPENAI)
        )
        while not mock.requests:
            await asyncio.sleep(0.01)
        started = time.perf_counter()
    assert time.perf_counter() - started < 2
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await pending


async def test_flaky_fails_every_nth_request_per_model(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    async def status(model: str) -> int:
        async with http.post(f"{mock.url}/v1/chat/completions", json=chat(model), headers=OPENAI) as response:
            return response.status

    assert [await status("m+flaky=2") for _ in range(5)] == [200, 503, 200, 503, 200]
    assert [await status("m+flaky=3") for _ in range(3)] == [200, 200, 503]
    async with http.post(f"{mock.url}/_mock/reset") as response:
        assert response.status == 204
    assert await status("m+flaky=2") == 200


async def test_slowstream_spaces_the_content_chunks(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    started = time.perf_counter()
    async with http.post(
        f"{mock.url}/v1/chat/completions", json=chat("m+slowstream=100", "a b", stream=True), headers=OPENAI
    ) as response:
        lines, broken = await read_lines(response)
    # Three content chunks ("Echo:", " a", " b"): two pauses between them.
    assert time.perf_counter() - started >= 0.2
    assert not broken
    assert sum(1 for line in lines if line.startswith(b"data: ")) == 6


async def test_directives_combine(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    started = time.perf_counter()
    async with http.post(
        f"{mock.url}/v1/chat/completions", json=chat("m+delay=100+status=500"), headers=OPENAI
    ) as response:
        assert response.status == 500
    assert time.perf_counter() - started >= 0.1


async def test_an_unknown_directive_is_refused(openai_client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="unknown mock directive"):
        await openai_client.chat.completions.create(**chat("m+stauts=503"))


async def test_latency_is_added_to_every_answer(http: aiohttp.ClientSession) -> None:
    async with MockProvider(latency_ms=150) as mock:
        started = time.perf_counter()
        async with http.post(f"{mock.url}/v1/chat/completions", json=chat("m"), headers=OPENAI) as response:
            assert response.status == 200
        assert time.perf_counter() - started >= 0.15
