"""The Bedrock adapter against the emulator, which recomputes every SigV4 signature; and against a small
fake for what the emulator does not send (exception events inside a stream, corrupted frames)."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from trueport.errors import UnsupportedOperation, UpstreamStatus, UpstreamStreamBroken
from trueport.formats.eventstream import encode_message
from trueport.jsonutil import JSONObject
from trueport.mockprovider import MockProvider
from trueport.mockprovider.sigv4 import MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY
from trueport.mockprovider.vectors import embed
from trueport.providers.bedrock import BedrockAdapter, error_type
from trueport.settings import ProviderConfig

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def config(base_url: str, **values: Any) -> ProviderConfig:
    keys = {"access_key_id": MOCK_ACCESS_KEY_ID, "secret_access_key": MOCK_SECRET_ACCESS_KEY}
    return ProviderConfig(
        type="bedrock", region="us-east-1", base_url=base_url, timeout_s=5, **(keys | values)
    )


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def adapter(mock: MockProvider, http: aiohttp.ClientSession) -> BedrockAdapter:
    return BedrockAdapter("bedrock", config(mock.url), http)


async def last_request(mock: MockProvider, http: aiohttp.ClientSession) -> Any:
    async with http.get(f"{mock.url}/_mock/requests") as response:
        return (await response.json())[-1]


async def test_chat_is_signed_translated_and_answered(
    adapter: BedrockAdapter, mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    request: JSONObject = {
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}],
        "max_tokens": 50,
        "temperature": 0.2,
    }
    completion = await adapter.chat(request, MODEL)
    assert completion.body["choices"][0]["message"] == {"role": "assistant", "content": "Echo: Hello there"}
    assert completion.body["choices"][0]["finish_reason"] == "stop"
    assert completion.body["model"] == MODEL
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (4, 3)
    seen = await last_request(mock, http)
    assert seen["path"] == f"/model/{MODEL}/converse"
    assert seen["headers"]["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={MOCK_ACCESS_KEY_ID}/")
    assert "/us-east-1/bedrock/aws4_request" in seen["headers"]["authorization"]
    assert seen["body"] == {
        "messages": [{"role": "user", "content": [{"text": "Hello there"}]}],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": 50, "temperature": 0.2},
    }


async def test_tool_calls_round_trip(adapter: BedrockAdapter) -> None:
    first = await adapter.chat({"messages": [{"role": "user", "content": "Paris"}], "tools": [TOOL]}, MODEL)
    choice = first.body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    [call] = choice["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"input":"Paris"}'}
    history = [
        {"role": "user", "content": "Paris"},
        choice["message"],
        {"role": "tool", "tool_call_id": call["id"], "content": "sunny"},
    ]
    second = await adapter.chat({"messages": history, "tools": [TOOL]}, MODEL)
    assert second.body["choices"][0]["message"]["content"] == "Echo: sunny"


async def test_stream_with_usage(adapter: BedrockAdapter) -> None:
    request: JSONObject = {
        "messages": [{"role": "user", "content": "stream this answer"}],
        "stream_options": {"include_usage": True},
    }
    stream = await adapter.chat_stream(request, "us.amazon.nova-lite-v1:0")
    chunks = [chunk async for chunk in stream]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Echo: stream this answer"
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 4
    assert stream.usage.prompt_tokens == 3


async def test_streamed_tool_call_arguments_arrive_in_pieces(adapter: BedrockAdapter) -> None:
    stream = await adapter.chat_stream(
        {"messages": [{"role": "user", "content": "Paris"}], "tools": [TOOL]}, MODEL
    )
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        async for c in stream
        if c["choices"][0]["delta"].get("tool_calls")
    ]
    assert calls[0]["function"]["name"] == "get_weather" and calls[0]["id"].startswith("tooluse_")
    assert json.loads("".join(call["function"]["arguments"] for call in calls)) == {"input": "Paris"}
    assert stream.usage.completion_tokens > 0


async def test_a_wrong_secret_is_a_403_from_the_emulator(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    adapter = BedrockAdapter("bedrock", config(mock.url, secret_access_key="wrong-secret"), http)
    with pytest.raises(UpstreamStatus) as caught:
        await adapter.chat({"messages": [{"role": "user", "content": "hi"}]}, MODEL)
    assert caught.value.status == 403 and caught.value.retryable
    assert "InvalidSignatureException" in caught.value.message
    assert "wrong-secret" not in caught.value.message


async def test_a_session_token_is_sent_and_signed(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    adapter = BedrockAdapter("bedrock", config(mock.url, session_token="session-token-1"), http)
    await adapter.chat({"messages": [{"role": "user", "content": "hi"}]}, MODEL)
    seen = await last_request(mock, http)
    assert seen["headers"]["x-amz-security-token"] == "session-token-1"
    assert "x-amz-security-token" in seen["headers"]["authorization"]


@pytest.mark.parametrize(
    ("directive", "status", "retryable"),
    [
        ("status=429", 429, True),
        ("status=503", 503, True),
        ("status=424", 502, True),
        ("status=400", 400, False),
    ],
)
async def test_bedrock_errors_map_to_gateway_statuses(
    adapter: BedrockAdapter, directive: str, status: int, retryable: bool
) -> None:
    with pytest.raises(UpstreamStatus) as caught:
        await adapter.chat({"messages": [{"role": "user", "content": "hi"}]}, f"{MODEL}+{directive}")
    assert (caught.value.status, caught.value.retryable) == (status, retryable)
    with pytest.raises(UpstreamStatus) as caught:
        await adapter.chat_stream({"messages": [{"role": "user", "content": "hi"}]}, f"{MODEL}+{directive}")
    assert caught.value.status == status


def test_error_type_reads_the_header_or_the_body() -> None:
    assert error_type("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", None) == (
        "ThrottlingException"
    )
    assert (
        error_type(None, {"__type": "com.amazon.coral.validate#ValidationException"}) == "ValidationException"
    )
    assert error_type(None, None) == ""


async def test_a_cut_stream_is_broken(adapter: BedrockAdapter) -> None:
    stream = await adapter.chat_stream(
        {"messages": [{"role": "user", "content": "one two three"}]}, f"{MODEL}+cut=1"
    )
    with pytest.raises(UpstreamStreamBroken, match="stream broken"):
        async for _chunk in stream:
            pass


async def test_embeddings_titan_one_call_per_text(
    adapter: BedrockAdapter, mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    result = await adapter.embeddings(
        {"input": ["hello world", "bye"], "dimensions": 256}, "amazon.titan-embed-text-v2:0"
    )
    assert [item["embedding"] for item in result.body["data"]] == [
        embed("hello world", 256),
        embed("bye", 256),
    ]
    assert result.usage.prompt_tokens == 3  # the emulator's counts, from X-Amzn-Bedrock-Input-Token-Count
    assert (await last_request(mock, http))["body"] in (
        {"inputText": "bye", "dimensions": 256},
        {"inputText": "hello world", "dimensions": 256},
    )


async def test_embeddings_cohere_in_batches_and_base64(adapter: BedrockAdapter) -> None:
    result = await adapter.embeddings(
        {"input": ["a", "b c"], "encoding_format": "base64"}, "cohere.embed-english-v3"
    )
    assert len(result.body["data"]) == 2 and isinstance(result.body["data"][0]["embedding"], str)
    assert result.usage.prompt_tokens == 3
    with pytest.raises(UnsupportedOperation):
        await adapter.embeddings({"input": "x"}, MODEL)


async def test_the_credential_chain_reads_the_environment(
    mock: MockProvider, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", MOCK_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", MOCK_SECRET_ACCESS_KEY)
    adapter = BedrockAdapter("bedrock", config(mock.url, access_key_id=None, secret_access_key=None), http)
    completion = await adapter.chat({"messages": [{"role": "user", "content": "hi"}]}, MODEL)
    assert completion.body["choices"][0]["message"]["content"] == "Echo: hi"


def isolate_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials from this machine: no AWS variables, empty files, no instance metadata."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


async def test_no_credentials_anywhere_is_a_401_for_the_failover(
    mock: MockProvider, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate_aws(monkeypatch, tmp_path)
    adapter = BedrockAdapter("bedrock", config(mock.url, access_key_id=None, secret_access_key=None), http)
    with pytest.raises(UpstreamStatus, match="no AWS credentials") as caught:
        await adapter.chat({"messages": [{"role": "user", "content": "hi"}]}, MODEL)
    assert caught.value.status == 401 and caught.value.retryable


async def test_a_profile_with_expiring_credentials_is_refreshed(
    mock: MockProvider, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A ``credential_process`` profile: temporary keys that expire within botocore's refresh window,
    so each call refreshes them (in a worker thread) and the emulator checks the new ones."""
    isolate_aws(monkeypatch, tmp_path)
    calls = tmp_path / "calls"
    script = tmp_path / "creds.py"
    script.write_text(
        "import datetime, json, pathlib\n"
        f"p = pathlib.Path({str(calls)!r}); p.write_text(p.read_text() + 'x' if p.exists() else 'x')\n"
        "expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=2)\n"
        f"print(json.dumps({{'Version': 1, 'AccessKeyId': {MOCK_ACCESS_KEY_ID!r}, "
        f"'SecretAccessKey': {MOCK_SECRET_ACCESS_KEY!r}, 'SessionToken': 'token-' + str(len(p.read_text())), "
        "'Expiration': expires.isoformat()}))\n"
    )
    (tmp_path / "config").write_text(f"[profile ci]\ncredential_process = {sys.executable} {script}\n")
    adapter = BedrockAdapter(
        "bedrock", config(mock.url, access_key_id=None, secret_access_key=None, profile="ci"), http
    )
    for _ in range(2):
        await adapter.chat({"messages": [{"role": "user", "content": "hi"}]}, MODEL)
    assert len(calls.read_text()) >= 2  # resolved, then refreshed
    assert (await last_request(mock, http))["headers"][
        "x-amz-security-token"
    ] == f"token-{len(calls.read_text())}"


# ---------------------------------------------------------------- a fake for broken streams


def frame(event_type: str, payload: JSONObject, message_type: str = "event") -> bytes:
    kind = ":exception-type" if message_type == "exception" else ":event-type"
    headers = {kind: event_type, ":content-type": "application/json", ":message-type": message_type}
    return encode_message(headers, json.dumps(payload).encode())


@pytest.fixture
async def fake(http: aiohttp.ClientSession) -> AsyncIterator[str]:
    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/vnd.amazon.eventstream"})
        await response.prepare(request)
        await response.write(frame("messageStart", {"role": "assistant"}))
        await response.write(frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}))
        model = request.match_info["model"]
        if model == "exception":
            await response.write(frame("throttlingException", {"message": "slow down"}, "exception"))
        elif model == "corrupt":
            await response.write(frame("messageStop", {"stopReason": "end_turn"})[:-1] + b"\0")
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/model/{model}/converse-stream", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


@pytest.mark.parametrize(
    ("model", "words"),
    [("exception", "throttlingException inside stream"), ("corrupt", "CRC"), ("short", "before messageStop")],
)
async def test_exceptions_and_bad_frames_inside_a_stream_break_it(
    fake: str, http: aiohttp.ClientSession, model: str, words: str
) -> None:
    adapter = BedrockAdapter("bedrock", config(fake), http)
    stream = await adapter.chat_stream({"messages": [{"role": "user", "content": "hi"}]}, model)
    seen: list[JSONObject] = []
    with pytest.raises(UpstreamStreamBroken, match=words):
        async for chunk in stream:
            seen.append(chunk)
    assert seen[-1]["choices"][0]["delta"] == {"content": "Hi"}
    await stream.aclose()


def test_secrets_are_not_in_the_settings_repr() -> None:
    shown = repr(config("http://127.0.0.1:1", session_token=SecretStr("tok-secret")))
    assert MOCK_SECRET_ACCESS_KEY not in shown and "tok-secret" not in shown
