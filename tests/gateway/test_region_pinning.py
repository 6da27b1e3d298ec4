"""Region pinning end to end: two provider emulators stand for two regions (EU and US).

A tenant pinned to ``eu-west-1`` must never reach the US emulator, whether its EU target answers,
fails (failover), or has a fallback in the US; the US emulator's request log is the proof.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import openai
import pytest
from sqlalchemy import select
from tests.gateway.harness import PROVIDER_KEY, RunningGateway, gateway_settings, running_gateway

from trueport.audit.tables import AuditEventRow
from trueport.db.models import Tenant
from trueport.keys.secret import key_hmac_secret
from trueport.keys.service import create_key
from trueport.mockprovider import MockProvider
from trueport.tenants.service import create_tenant

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
async def us_mock() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as server:
        yield server


def _provider(kind: str, base_url: str, region: str | None) -> dict[str, Any]:
    extra = {"region": region} if region is not None else {}
    return {"type": kind, "base_url": base_url, "api_key": PROVIDER_KEY, "timeout_s": 3, **extra}


@pytest.fixture
async def gateway(
    database_url: str, mock: MockProvider, us_mock: MockProvider
) -> AsyncIterator[RunningGateway]:
    """``mock`` is the EU emulator (eu-west-1 and eu-central-1 accounts), ``us_mock`` the US one."""
    settings = gateway_settings(
        database_url,
        mock.url,
        providers={
            "eu": _provider("openai", f"{mock.url}/v1", "eu-west-1"),
            "eu-central": _provider("anthropic", mock.url, "eu-central-1"),
            "us": _provider("openai", f"{us_mock.url}/v1", "us-east-1"),
            "nowhere": _provider("openai", f"{us_mock.url}/v1", None),
        },
        models={
            "chat": [{"provider": "eu", "model": "gpt-4o+status=503"}, {"provider": "us", "model": "gpt-4o"}],
            "chat-ok": [{"provider": "eu", "model": "gpt-4o"}, {"provider": "us", "model": "gpt-4o"}],
            "with-fallback": {
                "targets": [{"provider": "eu", "model": "gpt-4o+status=503"}],
                "fallback": {"provider": "us", "model": "gpt-4o"},
            },
            "us-only": [{"provider": "us", "model": "gpt-4o"}],
            "unlabelled": [{"provider": "nowhere", "model": "gpt-4o"}],
            "central": {
                "targets": [
                    {"provider": "eu", "model": "gpt-4o"},
                    {"provider": "eu-central", "model": "claude-sonnet-4-5"},
                    {"provider": "us", "model": "gpt-4o"},
                ],
                "regions": ["eu-central-1"],
            },
        },
    )
    async with running_gateway(settings) as running:
        yield running


async def pin(gateway: RunningGateway, regions: list[str] | None, tenant_id: str | None = None) -> None:
    async with gateway.sessions() as session:
        tenant = await session.get(Tenant, tenant_id or gateway.tenant_id)
        assert tenant is not None
        tenant.allowed_regions = regions
        await session.commit()
    await gateway.app.gateway.keys.refresh()


def client(gateway: RunningGateway, key: str | None = None) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gateway.base_url, api_key=key or gateway.key, max_retries=0)


async def other_tenant_key(gateway: RunningGateway) -> tuple[str, str]:
    async with gateway.sessions() as session:
        other = await create_tenant(session, "globex")
        created = await create_key(
            session, other, hmac_secret=await key_hmac_secret(gateway.settings, gateway.sessions)
        )
        await session.commit()
    return other.id, created.secret


async def audit_events(gateway: RunningGateway, count: int) -> list[dict[str, Any]]:
    await gateway.records()
    events: list[dict[str, Any]] = []
    for _ in range(200):
        async with gateway.sessions() as session:
            rows = (await session.execute(select(AuditEventRow).order_by(AuditEventRow.idx))).scalars()
            events = [json.loads(row.body) for row in rows if row.kind == "data_plane"]
        if len(events) >= count:
            break
        await asyncio.sleep(0.05)
    return events


async def test_a_tenant_pinned_to_eu_never_reaches_us_when_the_eu_target_fails(
    gateway: RunningGateway, mock: MockProvider, us_mock: MockProvider
) -> None:
    await pin(gateway, ["eu-west-1"])
    async with client(gateway) as sdk:
        with pytest.raises(openai.APIStatusError) as failed:
            await sdk.chat.completions.create(model="chat", messages=HELLO)  # type: ignore[arg-type]
        with pytest.raises(openai.APIStatusError) as streamed:
            await sdk.chat.completions.create(model="chat", messages=HELLO, stream=True)  # type: ignore[arg-type]
        with pytest.raises(openai.APIStatusError) as no_fallback:
            await sdk.chat.completions.create(model="with-fallback", messages=HELLO)  # type: ignore[arg-type]
    # The usual upstream error of the in-region target, not an escape to another region.
    assert failed.value.status_code == streamed.value.status_code == no_fallback.value.status_code == 503
    assert len(mock.requests) >= 3  # the EU target was tried (and retried) each time
    assert us_mock.requests == []
    events = await audit_events(gateway, 3)
    assert [{t["provider"] for t in e["targets"]} for e in events] == [{"eu"}, {"eu"}, {"eu"}]
    assert [e["regions"] for e in events] == [{"allowed": ["eu-west-1"], "served": None}] * 3
    assert not any(e["outcome"]["fallback"] for e in events)


async def test_an_unpinned_tenant_fails_over_to_us_as_before(
    gateway: RunningGateway, mock: MockProvider, us_mock: MockProvider
) -> None:
    async with client(gateway) as sdk:
        answer = await sdk.chat.completions.create(model="chat", messages=HELLO)  # type: ignore[arg-type]
        fallback = await sdk.chat.completions.with_raw_response.create(model="with-fallback", messages=HELLO)  # type: ignore[arg-type]
    assert answer.choices[0].message.content
    assert fallback.headers["x-trueport-fallback"] == "true"
    assert len(us_mock.requests) == 2


async def test_a_model_with_no_target_in_the_allowed_regions_is_refused_clearly(
    gateway: RunningGateway, us_mock: MockProvider
) -> None:
    await pin(gateway, ["eu-west-1", "eu-central-1"])
    async with client(gateway) as sdk:
        for alias in ("us-only", "unlabelled"):  # a provider with no region is outside every pinning
            with pytest.raises(openai.PermissionDeniedError) as refused:
                await sdk.chat.completions.create(model=alias, messages=HELLO)  # type: ignore[arg-type]
            assert refused.value.code == "region_unavailable"
            body = refused.value.body
            assert isinstance(body, dict)
            assert "eu-central-1, eu-west-1" in body["message"]
            assert PROVIDER_KEY not in json.dumps(body)
            assert "us-east-1" not in body["message"]
    assert us_mock.requests == []


async def test_a_route_pinned_narrower_than_the_tenant_skips_targets_outside_its_regions(
    gateway: RunningGateway, mock: MockProvider, us_mock: MockProvider
) -> None:
    await pin(gateway, ["eu-west-1", "eu-central-1"])
    async with client(gateway) as sdk:
        answer = await sdk.chat.completions.create(model="central", messages=HELLO)  # type: ignore[arg-type]
    assert answer.choices[0].message.content
    assert [r["path"] for r in mock.requests] == ["/v1/messages"]  # the eu-west-1 target was skipped
    assert us_mock.requests == []
    # Tenant and route together: a route pinned to a region the tenant does not allow serves nothing.
    await pin(gateway, ["eu-west-1"])
    async with client(gateway) as sdk:
        with pytest.raises(openai.PermissionDeniedError) as refused:
            await sdk.chat.completions.create(model="central", messages=HELLO)  # type: ignore[arg-type]
    assert refused.value.code == "region_unavailable"


async def test_the_audit_event_carries_the_pinning_and_the_region_served(
    gateway: RunningGateway, us_mock: MockProvider
) -> None:
    await pin(gateway, ["eu-west-1"])
    async with client(gateway) as sdk:
        await sdk.chat.completions.create(model="chat-ok", messages=HELLO)  # type: ignore[arg-type]
        with pytest.raises(openai.PermissionDeniedError):
            await sdk.chat.completions.create(model="us-only", messages=HELLO)  # type: ignore[arg-type]
    await pin(gateway, None)
    async with client(gateway) as sdk:
        await sdk.chat.completions.create(model="us-only", messages=HELLO)  # type: ignore[arg-type]
    served, refused, unpinned = await audit_events(gateway, 3)
    assert served["regions"] == {"allowed": ["eu-west-1"], "served": "eu-west-1"}
    assert served["targets"][0]["provider"] == "eu"
    assert refused["regions"] == {"allowed": ["eu-west-1"], "served": None}
    assert refused["outcome"]["error_class"] == "RegionUnavailable"
    assert "regions" not in unpinned  # left out of the leaf when the call is not pinned
    assert len(us_mock.requests) == 1


async def test_one_tenants_pinning_does_not_affect_another(
    gateway: RunningGateway, us_mock: MockProvider
) -> None:
    other_id, other_key = await other_tenant_key(gateway)
    await pin(gateway, ["eu-west-1"])
    await pin(gateway, ["us-east-1"], tenant_id=other_id)
    async with client(gateway) as pinned_eu, client(gateway, other_key) as pinned_us:
        with pytest.raises(openai.APIStatusError):
            await pinned_eu.chat.completions.create(model="chat", messages=HELLO)  # type: ignore[arg-type]
        answer = await pinned_us.chat.completions.create(model="chat", messages=HELLO)  # type: ignore[arg-type]
    assert answer.choices[0].message.content
    assert len(us_mock.requests) == 1  # the other tenant's call, served in its own region
    records = await gateway.records()
    assert [(r.tenant_id, r.provider) for r in records] == [(gateway.tenant_id, None), (other_id, "us")]


async def test_anthropic_clients_get_the_refusal_in_their_own_error_shape(
    gateway: RunningGateway, us_mock: MockProvider
) -> None:
    await pin(gateway, ["eu-west-1"])
    async with anthropic.AsyncAnthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0) as sdk:
        with pytest.raises(anthropic.PermissionDeniedError) as refused:
            await sdk.messages.create(
                model="us-only", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )
    body = refused.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "permission_error"
    assert "eu-west-1" in body["error"]["message"]
    assert us_mock.requests == []
