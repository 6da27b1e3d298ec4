"""The Azure OpenAI routes, through the official SDK's ``AsyncAzureOpenAI``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from openai import AsyncAzureOpenAI, InternalServerError

from trueport.mockprovider import MockProvider
from trueport.mockprovider.vectors import embed

API_VERSION = "2024-10-21"


@pytest.fixture
async def azure(mock: MockProvider) -> AsyncIterator[AsyncAzureOpenAI]:
    async with AsyncAzureOpenAI(
        azure_endpoint=mock.url, api_key="azure-key", api_version=API_VERSION, max_retries=0
    ) as client:
        yield client


async def test_chat_uses_the_deployment_as_the_model(azure: AsyncAzureOpenAI, mock: MockProvider) -> None:
    completion = await azure.chat.completions.create(
        model="my-deployment", messages=[{"role": "user", "content": "hi there"}]
    )
    assert completion.model == "my-deployment"
    assert completion.choices[0].message.content == "Echo: hi there"
    request = mock.requests[-1]
    assert request["path"] == "/openai/deployments/my-deployment/chat/completions"
    assert request["query"] == {"api-version": API_VERSION}
    assert request["headers"]["api-key"] == "azure-key"


async def test_stream_with_usage(azure: AsyncAzureOpenAI) -> None:
    stream = await azure.chat.completions.create(
        model="dep",
        messages=[{"role": "user", "content": "a b"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: a b"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3


async def test_embeddings(azure: AsyncAzureOpenAI) -> None:
    result = await azure.embeddings.create(model="embed-dep", input="hello", encoding_format="float")
    assert result.model == "embed-dep"
    assert result.data[0].embedding == embed("hello")


async def test_api_version_is_required(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{mock.url}/openai/deployments/dep/chat/completions",
        headers={"api-key": "k"},
        json={"messages": [{"role": "user", "content": "x"}]},
    ) as response:
        assert response.status == 400
        error = (await response.json())["error"]
    assert error["param"] == "api-version"
    assert error["type"] == "invalid_request_error"


async def test_a_bearer_token_is_not_an_azure_key(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{mock.url}/openai/deployments/dep/chat/completions?api-version={API_VERSION}",
        headers={"Authorization": "Bearer k"},
        json={"messages": [{"role": "user", "content": "x"}]},
    ) as response:
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "invalid_api_key"


async def test_directives_live_in_the_deployment_name(azure: AsyncAzureOpenAI) -> None:
    with pytest.raises(InternalServerError) as caught:
        await azure.chat.completions.create(
            model="dep+status=500", messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.status_code == 500
