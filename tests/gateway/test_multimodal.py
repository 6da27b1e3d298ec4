"""Images in chat requests, with the openai SDK as client: what each provider receives, and the
guard's note that it did not scan them (it scans text only)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
from sqlalchemy import select
from tests.gateway.harness import RunningGateway, gateway_settings, running_gateway

from trueport.audit.tables import AuditEventRow
from trueport.db.models import GuardViolation
from trueport.mockprovider import MockProvider

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).decode()
DATA_URL = f"data:image/png;base64,{PNG}"
HTTPS_URL = "https://images.example.com/cat.png"


def asking_about(*urls: str) -> list[Any]:
    parts: list[dict[str, Any]] = [{"type": "text", "text": "What is in these pictures?"}]
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in urls]
    return [{"role": "user", "content": parts}]


def client(gateway: RunningGateway) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0)


@pytest.fixture
async def guarded(database_url: str, mock: MockProvider) -> AsyncIterator[RunningGateway]:
    async with running_gateway(gateway_settings(database_url, mock.url, guard={"enabled": True})) as gateway:
        yield gateway


async def test_images_reach_an_anthropic_target_as_image_blocks(
    gateway: RunningGateway, mock: MockProvider
) -> None:
    async with client(gateway) as sdk:
        answer = await sdk.chat.completions.create(model="an", messages=asking_about(DATA_URL, HTTPS_URL))
    assert answer.choices[0].message.content
    [sent] = mock.requests
    assert sent["path"] == "/v1/messages"
    blocks = sent["body"]["messages"][0]["content"]
    assert blocks == [
        {"type": "text", "text": "What is in these pictures?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": HTTPS_URL}},  # passed on, never fetched here
    ]


async def test_images_reach_an_openai_target_unchanged(gateway: RunningGateway, mock: MockProvider) -> None:
    messages = asking_about(DATA_URL, HTTPS_URL)
    async with client(gateway) as sdk:
        answer = await sdk.chat.completions.create(model="oa", messages=messages)
    assert answer.choices[0].message.content
    [sent] = mock.requests
    assert sent["path"] == "/v1/chat/completions"
    assert sent["body"]["messages"] == messages


async def test_an_image_a_target_cannot_take_is_refused_clearly(
    gateway: RunningGateway, mock: MockProvider
) -> None:
    async with client(gateway) as sdk:
        with pytest.raises(openai.BadRequestError) as refused:
            await sdk.chat.completions.create(
                model="an", messages=asking_about("ftp://images.example.com/cat.png")
            )
    assert "data: URL" in str(refused.value.message)
    assert mock.requests == []


async def test_the_guard_notes_the_parts_it_did_not_scan(guarded: RunningGateway, mock: MockProvider) -> None:
    async with client(guarded) as sdk:
        with_images = await sdk.chat.completions.with_raw_response.create(
            model="an", messages=asking_about(DATA_URL, HTTPS_URL)
        )
        text_only = await sdk.chat.completions.with_raw_response.create(
            model="oa", messages=[{"role": "user", "content": "Just words."}]
        )
    assert with_images.headers["x-trueport-guard"] == "unscanned_parts=2"
    assert "x-trueport-guard" not in text_only.headers
    # The images went to the provider as they were (the guard only reads text).
    assert mock.requests[0]["body"]["messages"][0]["content"][1]["source"]["data"] == PNG
    await guarded.records()
    async with guarded.sessions() as session:
        rows = list((await session.execute(select(GuardViolation))).scalars())
    notes = [(r.detector, r.type, r.action, r.direction, r.location) for r in rows]
    assert notes == [("guard", "unscanned_parts", "flag", "input", "2 not scanned: image_url x2")]
    events: list[dict[str, Any]] = []
    for _ in range(200):  # the audit trail is written by the recorder, a moment after the record
        async with guarded.sessions() as session:
            audited = (await session.execute(select(AuditEventRow).order_by(AuditEventRow.idx))).scalars()
            events = [json.loads(row.body) for row in audited if row.kind == "data_plane"]
        if len(events) >= 2:
            break
        await asyncio.sleep(0.05)
    assert [(a["detector"], a["type"], a["action"]) for a in events[0]["guard"]] == [
        ("guard", "unscanned_parts", "flagged")
    ]
    assert events[1]["guard"] == []
