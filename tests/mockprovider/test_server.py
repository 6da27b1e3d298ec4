"""Ways to run the emulator: in the test's loop, in a thread, and as a blocking process."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
import pytest
from anthropic import Anthropic
from anthropic.types import TextBlock
from openai import OpenAI

from trueport.mockprovider import MockProvider, MockProviderThread, create_app


async def test_the_url_names_the_bound_port() -> None:
    async with MockProvider() as mock:
        assert mock.port > 0
        assert mock.url == f"http://127.0.0.1:{mock.port}"
    with pytest.raises(RuntimeError):
        _ = mock.url


def test_the_thread_serves_synchronous_sdks() -> None:
    with MockProviderThread(api_key="k") as mock:
        with OpenAI(base_url=f"{mock.url}/v1", api_key="k", max_retries=0) as client:
            completion = client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}]
            )
        with Anthropic(base_url=mock.url, api_key="k", max_retries=0) as anthropic_client:
            message = anthropic_client.messages.create(
                model="c", max_tokens=5, messages=[{"role": "user", "content": "yo"}]
            )
        assert completion.choices[0].message.content == "Echo: hi"
        assert isinstance(message.content[0], TextBlock)
        assert message.content[0].text == "Echo: yo"
        assert [r["path"] for r in mock.requests] == ["/v1/chat/completions", "/v1/messages"]
        mock.reset()
        assert mock.requests == []


def test_the_thread_reports_a_failure_to_start() -> None:
    with MockProviderThread() as first:
        second = MockProviderThread(port=first.port)
        with pytest.raises(OSError):
            second.__enter__()


def test_create_app_refuses_negative_latency() -> None:
    with pytest.raises(ValueError, match="latency_ms"):
        create_app(latency_ms=-1)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_run_serves_until_signalled(signum: signal.Signals, http: aiohttp.ClientSession) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from trueport.mockprovider import run; run('127.0.0.1', 0, latency_ms=1, api_key='k')",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith("mock provider listening on http://127.0.0.1:")
        url = line.split()[-1]
        async with http.get(f"{url}/v1/models", headers={"Authorization": "Bearer k"}) as response:
            assert response.status == 200
        async with http.get(f"{url}/v1/models", headers={"Authorization": "Bearer nope"}) as response:
            assert response.status == 401
        process.send_signal(signum)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert stderr == b""
