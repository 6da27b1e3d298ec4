"""The Bedrock routes, through boto3's own ``bedrock-runtime`` client (which signs and parses event streams)
and as raw HTTP where a request must be signed wrongly on purpose."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, EventStreamError

from trueport.mockprovider import MockProvider
from trueport.mockprovider.sigv4 import MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY
from trueport.mockprovider.vectors import embed

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0"
TOOLS = {"tools": [{"toolSpec": {"name": "search", "inputSchema": {"json": {"type": "object"}}}}]}


def client(mock: MockProvider, secret: str = MOCK_SECRET_ACCESS_KEY, key: str = MOCK_ACCESS_KEY_ID) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=mock.url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


async def test_converse_echoes_through_boto3(mock: MockProvider) -> None:
    answer = await asyncio.to_thread(
        client(mock).converse,
        modelId=MODEL,
        system=[{"text": "be brief"}],
        messages=[user("first"), {"role": "assistant", "content": [{"text": "ok"}]}, user("hello world")],
        inferenceConfig={"maxTokens": 100},
    )
    assert answer["output"]["message"] == {"role": "assistant", "content": [{"text": "Echo: hello world"}]}
    assert answer["stopReason"] == "end_turn"
    assert answer["usage"] == {"inputTokens": 6, "outputTokens": 3, "totalTokens": 9}


async def test_converse_stream_is_event_stream_framed_for_an_inference_profile_arn(
    mock: MockProvider,
) -> None:
    def events() -> list[dict[str, Any]]:
        answer = client(mock).converse_stream(modelId=PROFILE_ARN, messages=[user("stream this please")])
        return list(answer["stream"])

    received = await asyncio.to_thread(events)
    assert [next(iter(event)) for event in received] == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in received if "contentBlockDelta" in e)
    assert text == "Echo: stream this please"
    assert received[-1]["metadata"]["usage"]["outputTokens"] == 4
    assert (
        (await mock_paths(mock))[-1]
        == "/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0/converse-stream"
    )


async def mock_paths(mock: MockProvider) -> list[str]:
    async with aiohttp.ClientSession() as http, http.get(f"{mock.url}/_mock/requests") as response:
        return [entry["path"] for entry in await response.json()]


async def test_tool_use_plain_and_streamed(mock: MockProvider) -> None:
    bedrock = client(mock)
    answer = await asyncio.to_thread(
        bedrock.converse, modelId=MODEL, messages=[user("find cats")], toolConfig=TOOLS
    )
    assert answer["stopReason"] == "tool_use"
    tool_use = answer["output"]["message"]["content"][0]["toolUse"]
    assert tool_use["name"] == "search" and tool_use["input"] == {"input": "find cats"}

    def streamed() -> list[dict[str, Any]]:
        return list(
            bedrock.converse_stream(modelId=MODEL, messages=[user("find cats")], toolConfig=TOOLS)["stream"]
        )

    events = await asyncio.to_thread(streamed)
    assert events[1]["contentBlockStart"]["start"]["toolUse"]["name"] == "search"
    pieces = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e
    )
    assert json.loads(pieces) == {"input": "find cats"}
    assert events[-2] == {"messageStop": {"stopReason": "tool_use"}}

    result = {"toolResult": {"toolUseId": tool_use["toolUseId"], "content": [{"text": "three cats"}]}}
    history = [
        user("find cats"),
        {"role": "assistant", "content": [{"toolUse": tool_use}]},
        {"role": "user", "content": [result]},
    ]
    answer = await asyncio.to_thread(bedrock.converse, modelId=MODEL, messages=history, toolConfig=TOOLS)
    assert answer["output"]["message"]["content"] == [{"text": "Echo: three cats"}]
    with pytest.raises(ClientError, match="toolConfig field must be defined"):
        await asyncio.to_thread(bedrock.converse, modelId=MODEL, messages=history)


@pytest.mark.parametrize(
    ("messages", "words"),
    [
        ([{"role": "assistant", "content": [{"text": "hi"}]}], "must start with a user message"),
        ([user("a"), user("b")], "alternate"),
        ([user("  ")], "is blank"),
    ],
)
async def test_what_bedrock_refuses_is_refused(mock: MockProvider, messages: list[Any], words: str) -> None:
    with pytest.raises(ClientError, match=words) as caught:
        await asyncio.to_thread(client(mock).converse, modelId=MODEL, messages=messages)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


async def test_a_wrong_secret_is_rejected_with_403(mock: MockProvider) -> None:
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(
            client(mock, secret="not-the-secret").converse, modelId=MODEL, messages=[user("x")]
        )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"


async def test_an_unknown_access_key_is_rejected(mock: MockProvider) -> None:
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(
            client(mock, key="AKIASOMEONEELSE00000").converse, modelId=MODEL, messages=[user("x")]
        )
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


def signed(url: str, body: bytes, *, when: datetime | None = None) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    signer = SigV4Auth(Credentials(MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY), "bedrock", "us-east-1")
    if when is None:
        signer.add_auth(request)
    else:  # sign as of ``when``: botocore's own steps with a fixed timestamp
        request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
        request.headers["X-Amz-Date"] = request.context["timestamp"]
        signature = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        signer._inject_signature_to_request(request, signature)
    return dict(request.headers.items())


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any, str | None]:
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as response:
        return (
            response.status,
            await response.json(content_type=None),
            response.headers.get("x-amzn-ErrorType"),
        )


async def test_a_body_changed_after_signing_is_rejected(mock: MockProvider) -> None:
    url = f"{mock.url}/model/{MODEL}/converse"
    body = json.dumps({"messages": [user("hello")]}).encode()
    status, _answer, _kind = await post(url, body, signed(url, body))
    assert status == 200
    tampered = body.replace(b"hello", b"HELLO")
    status, answer, kind = await post(url, tampered, signed(url, body))
    assert status == 403
    assert answer["__type"] == "InvalidSignatureException"
    assert kind is not None and kind.startswith("InvalidSignatureException:")


async def test_an_old_signature_has_expired_and_none_is_missing(mock: MockProvider) -> None:
    url = f"{mock.url}/model/{MODEL}/converse"
    body = json.dumps({"messages": [user("hello")]}).encode()
    status, answer, _ = await post(
        url, body, signed(url, body, when=datetime.now(UTC) - timedelta(minutes=20))
    )
    assert (status, answer["__type"]) == (403, "InvalidSignatureException")
    assert "expired" in answer["message"]
    status, answer, _ = await post(url, body, {"Content-Type": "application/json"})
    assert (status, answer["__type"]) == (403, "MissingAuthenticationTokenException")


async def test_throttling_fault_has_aws_error_type(mock: MockProvider) -> None:
    url = f"{mock.url}/model/{MODEL}+status=429/converse"
    body = json.dumps({"messages": [user("hello")]}).encode()
    status, answer, _ = await post(url, body, signed(url, body))
    assert status == 429
    assert answer == {"message": "mock fault: status 429", "__type": "ThrottlingException"}
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(client(mock).converse, modelId=f"{MODEL}+status=503", messages=[user("x")])
    assert caught.value.response["Error"]["Code"] == "ServiceUnavailableException"


async def test_cut_stream_ends_before_message_stop(mock: MockProvider) -> None:
    def events() -> list[str]:
        answer = client(mock).converse_stream(modelId=f"{MODEL}+cut=2", messages=[user("one two three four")])
        seen = []
        try:
            for event in answer["stream"]:
                seen.append(next(iter(event)))
        except (EventStreamError, Exception):  # botocore reports a cut body as a connection error
            seen.append("broken")
        return seen

    assert await asyncio.to_thread(events) == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
        "broken",
    ]


async def test_titan_and_cohere_embeddings(mock: MockProvider) -> None:
    bedrock = client(mock)
    titan = await asyncio.to_thread(
        bedrock.invoke_model,
        modelId="amazon.titan-embed-text-v2:0",
        body=json.dumps({"inputText": "hello world", "dimensions": 256}),
    )
    value = json.loads(titan["body"].read())
    assert value["embedding"] == embed("hello world", 256)
    assert value["inputTextTokenCount"] == 2
    assert titan["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-input-token-count"] == "2"
    cohere = await asyncio.to_thread(
        bedrock.invoke_model,
        modelId="cohere.embed-english-v3",
        body=json.dumps({"texts": ["a", "b c"], "input_type": "search_document"}),
    )
    value = json.loads(cohere["body"].read())
    assert value["embeddings"] == [embed("a", 1024), embed("b c", 1024)]
    with pytest.raises(ClientError, match="input_type"):
        await asyncio.to_thread(
            bedrock.invoke_model, modelId="cohere.embed-english-v3", body=json.dumps({"texts": ["a"]})
        )
