"""TruePort's own OpenAI adapter accepts the emulator, and sees its faults as upstream errors."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession
from pydantic import SecretStr

from trueport.errors import UpstreamStatus, UpstreamStreamBroken
from trueport.mockprovider import MockProvider
from trueport.providers.openai import OpenAIAdapter
from trueport.settings import ProviderConfig

REQUEST = {"messages": [{"role": "user", "content": "hello world"}]}


def adapter(mock: MockProvider, http: ClientSession) -> OpenAIAdapter:
    config = ProviderConfig(type="openai", base_url=f"{mock.url}/v1", api_key=SecretStr("k"))
    return OpenAIAdapter("mock", config, http)


async def test_chat_and_stream(mock: MockProvider, http: ClientSession) -> None:
    completion = await adapter(mock, http).chat(REQUEST, "gpt-4o")
    assert completion.body["choices"][0]["message"]["content"] == "Echo: hello world"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (2, 3)
    stream = await adapter(mock, http).chat_stream(
        {**REQUEST, "stream": True, "stream_options": {"include_usage": True}}, "m"
    )
    chunks = [chunk async for chunk in stream]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == (
        "Echo: hello world"
    )
    assert stream.usage.completion_tokens == 3


async def test_faults_become_upstream_errors(mock: MockProvider, http: ClientSession) -> None:
    with pytest.raises(UpstreamStatus) as caught:
        await adapter(mock, http).chat(REQUEST, "m+status=503")
    assert caught.value.status == 503
    stream = await adapter(mock, http).chat_stream({**REQUEST, "stream": True}, "m+cut=2")
    with pytest.raises(UpstreamStreamBroken):
        async for _chunk in stream:
            pass
