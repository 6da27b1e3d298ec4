"""The official openai SDK's ``client.responses`` against `/v1/responses`: native to OpenAI targets,
translated to chat for the others (Anthropic, Gemini, Azure OpenAI)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import select
from tests.gateway.harness import RunningGateway

from trueport.audit.tables import AuditEventRow
from trueport.keys.secret import key_hmac_secret
from trueport.keys.service import create_key
from trueport.mockprovider import MockProvider
from trueport.tenants.service import create_tenant

ALIASES = ["oa", "an", "ge", "az"]
TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def client(gateway: RunningGateway, key: str | None = None) -> Any:
    """The SDK client, typed loosely: its Responses types are unions of 60 event and item classes."""
    return openai.AsyncOpenAI(base_url=gateway.base_url, api_key=key or gateway.key, max_retries=0)


async def upstream_paths(mock_url: str) -> list[str]:
    async with httpx.AsyncClient() as http:
        return [entry["path"] for entry in (await http.get(f"{mock_url}/_mock/requests")).json()]


@pytest.mark.parametrize("alias", ALIASES)
async def test_create(gateway: RunningGateway, alias: str) -> None:
    async with client(gateway) as sdk:
        response = await sdk.responses.create(model=alias, instructions="Be brief.", input="Hello there")
    assert response.output_text == "Echo: Hello there"
    assert response.status == "completed"
    assert response.usage is not None
    assert response.usage.input_tokens > 0
    assert response.usage.output_tokens == 3
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    record = (await gateway.records())[-1]
    assert record.endpoint == "/v1/responses"
    assert record.alias == alias
    assert record.status_code == 200
    assert record.prompt_tokens == response.usage.input_tokens
    assert record.completion_tokens == response.usage.output_tokens
    assert record.cost_usd > 0


async def test_openai_target_gets_the_request_natively(gateway: RunningGateway, mock: MockProvider) -> None:
    async with client(gateway) as sdk:
        await sdk.responses.create(model="oa", input="native please")
        await sdk.responses.create(model="an", input="translated please")
    paths = await upstream_paths(mock.url)
    assert paths[-2:] == ["/v1/responses", "/v1/messages"]


@pytest.mark.parametrize("alias", ALIASES)
async def test_stream(gateway: RunningGateway, alias: str) -> None:
    async with client(gateway) as sdk:
        stream = await sdk.responses.create(model=alias, input="stream this answer please", stream=True)
        events = [event async for event in stream]
    kinds = [event.type for event in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert "response.output_item.added" in kinds and "response.output_item.done" in kinds
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert text == "Echo: stream this answer please"
    final = events[-1].response
    assert final.output_text == text
    assert final.usage is not None and final.usage.output_tokens > 0
    record = (await gateway.records())[-1]
    assert record.stream is True
    assert record.completion_tokens == final.usage.output_tokens


@pytest.mark.parametrize("alias", ALIASES)
async def test_function_call_round_trip(gateway: RunningGateway, alias: str) -> None:
    async with client(gateway) as sdk:
        first = await sdk.responses.create(model=alias, input="weather in Paris", tools=[TOOL])
        calls = [item for item in first.output if item.type == "function_call"]
        assert len(calls) == 1
        call = calls[0]
        assert call.name == "get_weather"
        assert json.loads(call.arguments) == {"input": "weather in Paris"}
        follow = await sdk.responses.create(
            model=alias,
            tools=[TOOL],
            input=[
                {"role": "user", "content": "weather in Paris"},
                {
                    "type": "function_call",
                    "call_id": call.call_id,
                    "name": call.name,
                    "arguments": call.arguments,
                },
                {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
            ],
        )
    assert follow.output_text == "Echo: sunny"


@pytest.mark.parametrize("alias", ["oa", "an"])
async def test_streamed_function_call(gateway: RunningGateway, alias: str) -> None:
    async with client(gateway) as sdk:
        stream = await sdk.responses.create(model=alias, input="weather in Oslo", tools=[TOOL], stream=True)
        events = [event async for event in stream]
    arguments = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert json.loads(arguments) == {"input": "weather in Oslo"}
    final = events[-1].response
    assert [item.type for item in final.output] == ["function_call"]
    assert final.output[0].name == "get_weather"


async def test_previous_response_id_continues_at_openai(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        fresh = await sdk.responses.create(model="oa", input="and now?")
        first = await sdk.responses.create(model="oa", input="remember the word pineapple")
        second = await sdk.responses.create(model="oa", input="and now?", previous_response_id=first.id)
        stream = await sdk.responses.create(
            model="oa", input="and now?", previous_response_id=second.id, stream=True
        )
        streamed = [event async for event in stream][-1].response
    assert second.output_text == "Echo: and now?"
    assert second.previous_response_id == first.id
    assert fresh.usage is not None and second.usage is not None and streamed.usage is not None
    # The emulator counts the remembered conversation as input, as OpenAI does.
    assert second.usage.input_tokens > fresh.usage.input_tokens
    assert streamed.usage.input_tokens > second.usage.input_tokens


async def test_previous_response_id_of_another_tenant_is_not_found(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        first = await sdk.responses.create(model="oa", input="tenant acme's secret plan")
    async with gateway.sessions() as session:
        other = await create_tenant(session, "globex")
        created = await create_key(
            session, other, hmac_secret=await key_hmac_secret(gateway.settings, gateway.sessions)
        )
        await session.commit()
    async with client(gateway, created.secret) as sdk:
        for _ in range(100):  # the key cache refreshes every 0.5 s in the harness
            try:
                await sdk.models.list()
                break
            except openai.AuthenticationError:
                await asyncio.sleep(0.05)
        with pytest.raises(openai.BadRequestError) as refused:
            await sdk.responses.create(model="oa", input="continue", previous_response_id=first.id)
    error = refused.value.body
    assert isinstance(error, dict)
    assert error["param"] == "previous_response_id"
    assert "not found" in refused.value.message


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "web_search"}]}, "tools[0]"),
        ({"previous_response_id": "resp_123"}, "previous_response_id"),
        ({"store": True}, "store"),
        ({"background": True}, "background"),
    ],
)
async def test_untranslatable_request_to_other_providers_is_400(
    gateway: RunningGateway, extra: dict[str, object], param: str
) -> None:
    async with client(gateway) as sdk:
        with pytest.raises(openai.BadRequestError) as refused:
            await sdk.responses.create(model="an", input="hi", **extra)
    error = refused.value.body
    assert isinstance(error, dict)
    assert error["param"] == param
    assert error["code"] == "unsupported_for_target"
    assert "only OpenAI targets" in error["message"]
    record = (await gateway.records())[-1]
    assert record.status_code == 400
    assert record.error_class == "Untranslatable"


async def test_built_in_tool_goes_to_openai_natively(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        response = await sdk.responses.create(model="oa", input="hi", tools=[{"type": "web_search"}])
    assert response.output_text == "Echo: hi"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "an"}, "input"),
        ({"model": "an", "input": 5}, "input"),
        ({"model": "an", "input": ["x"]}, "input[0]"),
        ({"model": "an", "input": "x", "max_output_tokens": 0}, "max_output_tokens"),
        ({"model": "an", "input": "x", "stream": "yes"}, "stream"),
    ],
)
async def test_invalid_requests_are_400(gateway: RunningGateway, body: dict[str, object], param: str) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        response = await http.post(
            "/v1/responses", json=body, headers={"Authorization": f"Bearer {gateway.key}"}
        )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param


async def test_max_output_tokens_cut_is_incomplete(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        for alias in ("oa", "an"):
            response = await sdk.responses.create(
                model=alias, input="one two three four five six", max_output_tokens=2
            )
            assert response.status == "incomplete"
            assert response.incomplete_details is not None
            assert response.incomplete_details.reason == "max_output_tokens"
            assert response.output_text == "Echo: one"


async def test_broken_stream_ends_with_an_error_event(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        stream = await sdk.responses.create(model="cut", input="one two three four five", stream=True)
        with pytest.raises(openai.APIError):
            async for _ in stream:
                pass
    record = (await gateway.records())[-1]
    assert record.error_class is not None


async def test_key_limits_apply(gateway: RunningGateway) -> None:
    restricted = await gateway.new_key(models=["an"])
    async with client(gateway, restricted) as sdk:
        with pytest.raises(openai.PermissionDeniedError):
            await sdk.responses.create(model="oa", input="x")
    limited = await gateway.new_key(rpm_limit=1)
    async with client(gateway, limited) as sdk:
        await sdk.responses.create(model="an", input="x")
        with pytest.raises(openai.RateLimitError):
            await sdk.responses.create(model="an", input="x")
    tokens = await gateway.new_key(tpm_limit=100)
    async with client(gateway, tokens) as sdk:
        with pytest.raises(openai.BadRequestError) as refused:  # max_output_tokens counts against the TPM
            await sdk.responses.create(model="oa", input="x", max_output_tokens=500)
    assert refused.value.code == "tokens_over_limit"
    records = await gateway.records()
    assert [r.status_code for r in records[-4:]] == [403, 200, 429, 400]
    assert all(r.endpoint == "/v1/responses" for r in records[-4:])


async def test_calls_are_audited_with_their_usage(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        plain = await sdk.responses.create(model="oa", input="audit me")
        stream = await sdk.responses.create(model="an", input="audit me too", stream=True)
        final = [event async for event in stream][-1].response
    await gateway.records()  # the calls have ended and their records are written
    for _ in range(200):
        async with gateway.sessions() as session:
            rows = list((await session.execute(select(AuditEventRow).order_by(AuditEventRow.idx))).scalars())
        events = [json.loads(row.body) for row in rows if row.kind == "data_plane"]
        if len(events) >= 2:
            break
        await asyncio.sleep(0.05)
    assert [(e["endpoint"], e["model"], e["stream"]) for e in events] == [
        ("/v1/responses", "oa", False),
        ("/v1/responses", "an", True),
    ]
    assert events[0]["usage"]["completion_tokens"] == plain.usage.output_tokens
    assert events[1]["usage"]["completion_tokens"] == final.usage.output_tokens
    assert all(e["outcome"]["status_code"] == 200 for e in events)


async def test_failover_crosses_formats_only_when_the_request_translates(
    gateway: RunningGateway, mock: MockProvider
) -> None:
    # "failover": an OpenAI target answering 503, an unreachable OpenAI one, then Anthropic.
    async with client(gateway) as sdk:
        response = await sdk.responses.create(model="failover", input="carry on")
        sent_to_anthropic = (await upstream_paths(mock.url)).count("/v1/messages")
        with pytest.raises(openai.APIStatusError) as failed:
            await sdk.responses.create(model="failover", input="carry on", tools=[{"type": "web_search"}])
    assert response.output_text == "Echo: carry on"
    assert sent_to_anthropic == 1
    assert failed.value.status_code == 503
    paths = await upstream_paths(mock.url)
    assert paths.count("/v1/messages") == 1  # never sent where it would be mistranslated
    assert paths[-1] == "/v1/responses"
    translated, native_only = (await gateway.records())[-2:]
    assert translated.provider == "an"
    assert native_only.status_code == 503
