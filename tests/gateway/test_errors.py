"""Every refusal has the right status and the right error shape, and still leaves a record."""

from __future__ import annotations

import asyncio
import time

import anthropic
import httpx
import openai
import pytest
from tests.gateway.harness import RunningGateway

from trueport.keys.service import revoke_key
from trueport.tenants.repository import TenantRepository

HELLO = {"model": "oa", "messages": [{"role": "user", "content": "hi"}]}


def openai_client(gateway: RunningGateway, key: str | None = None) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gateway.base_url, api_key=key or gateway.key, max_retries=0)


def assert_openai_shape(response: httpx.Response, status: int, error_type: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == error_type
    assert error["message"]
    return error  # type: ignore[no-any-return]


async def post(
    gateway: RunningGateway,
    path: str,
    *,
    key: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: object,
) -> httpx.Response:
    sent = {"Authorization": f"Bearer {key if key is not None else gateway.key}", **(headers or {})}
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as http:
        return await http.post(path, headers=sent, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["tp_short", "sk-not-ours", "tp_" + "A" * 38])
async def test_wrong_key_is_401(gateway: RunningGateway, key: str) -> None:
    response = await post(gateway, "/v1/chat/completions", key=key, json=HELLO)
    assert_openai_shape(response, 401, "authentication_error")


async def test_no_key_is_401(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        response = await http.post("/v1/chat/completions", json=HELLO)
    assert_openai_shape(response, 401, "authentication_error")


async def test_sdk_raises_authentication_error(gateway: RunningGateway) -> None:
    async with openai_client(gateway, "tp_wrong") as sdk:
        with pytest.raises(openai.AuthenticationError):
            await sdk.chat.completions.create(model="oa", messages=[{"role": "user", "content": "x"}])


async def test_revoked_key_stops_working_within_seconds(gateway: RunningGateway) -> None:
    key = await gateway.new_key(name="to-revoke")
    assert (await post(gateway, "/v1/chat/completions", key=key, json=HELLO)).status_code == 200
    async with gateway.sessions() as session:
        tenant = await TenantRepository(session).get_by_slug("acme")
        assert tenant is not None
        from trueport.keys.repository import KeyRepository

        keys = await KeyRepository(session).list_for_tenant(tenant.id)
        target = next(k for k in keys if k.name == "to-revoke")
        await revoke_key(session, tenant, target.id)
        await session.commit()
    revoked_at = time.monotonic()
    while True:
        response = await post(gateway, "/v1/chat/completions", key=key, json=HELLO)
        if response.status_code == 401:
            break
        assert time.monotonic() - revoked_at < 5, "revoked key still accepted after 5 s"
        await asyncio.sleep(0.1)
    assert_openai_shape(response, 401, "authentication_error")


async def test_expired_key_is_401(gateway: RunningGateway) -> None:
    from datetime import timedelta

    key = await gateway.new_key(expires_in=timedelta(seconds=0.3))
    assert (await post(gateway, "/v1/chat/completions", key=key, json=HELLO)).status_code == 200
    await asyncio.sleep(0.4)
    error = assert_openai_shape(
        await post(gateway, "/v1/chat/completions", key=key, json=HELLO), 401, "authentication_error"
    )
    assert "expired" in str(error["message"])


async def test_model_not_allowed_is_403(gateway: RunningGateway) -> None:
    key = await gateway.new_key(models=["an"])
    response = await post(gateway, "/v1/chat/completions", key=key, json=HELLO)
    assert_openai_shape(response, 403, "permission_error")
    async with openai_client(gateway, key) as sdk:
        with pytest.raises(openai.PermissionDeniedError):
            await sdk.chat.completions.create(model="oa", messages=[{"role": "user", "content": "x"}])


async def test_unknown_model_is_404(gateway: RunningGateway) -> None:
    response = await post(gateway, "/v1/chat/completions", json={**HELLO, "model": "no-such-model"})
    error = assert_openai_shape(response, 404, "invalid_request_error")
    assert error["code"] == "model_not_found"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"model": "oa"}',
        b'{"model": "oa", "messages": []}',
        b'{"messages": [{"role": "user"}]}',
        b'{"model": "oa", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
    ],
)
async def test_malformed_request_is_400(gateway: RunningGateway, body: bytes) -> None:
    response = await post(
        gateway, "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert_openai_shape(response, 400, "invalid_request_error")


async def test_body_over_limit_is_413(gateway: RunningGateway) -> None:
    big = {"model": "oa", "messages": [{"role": "user", "content": "x" * 70_000}]}
    response = await post(gateway, "/v1/chat/completions", json=big)
    assert_openai_shape(response, 413, "invalid_request_error")


async def test_unknown_endpoint_is_404_and_wrong_method_405(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        assert (await http.get("/v1/nope")).status_code == 404
        response = await http.get("/v1/chat/completions", headers={"Authorization": f"Bearer {gateway.key}"})
    assert_openai_shape(response, 405, "invalid_request_error")


async def test_all_targets_failing_is_502(gateway: RunningGateway) -> None:
    response = await post(gateway, "/v1/chat/completions", json={**HELLO, "model": "all-down"})
    assert_openai_shape(response, 502, "upstream_error")


async def test_all_targets_rate_limited_is_429(gateway: RunningGateway) -> None:
    response = await post(gateway, "/v1/chat/completions", json={**HELLO, "model": "all-429"})
    assert_openai_shape(response, 429, "rate_limit_error")


async def test_a_hanging_provider_answers_within_the_timeout(gateway: RunningGateway) -> None:
    started = time.monotonic()
    response = await post(gateway, "/v1/chat/completions", json={**HELLO, "model": "hang"})
    elapsed = time.monotonic() - started
    assert response.status_code in (502, 503)
    assert elapsed < gateway.settings.resilience.deadline_s + 1.5  # retries included, never past the deadline


async def test_provider_rejecting_the_request_passes_its_400_back(gateway: RunningGateway) -> None:
    response = await post(gateway, "/v1/chat/completions", json={**HELLO, "model": "bad-request"})
    assert_openai_shape(response, 400, "invalid_request_error")


async def test_stream_cut_after_first_byte_ends_with_an_error_event(gateway: RunningGateway) -> None:
    async with openai_client(gateway) as sdk:
        stream = await sdk.chat.completions.create(
            model="cut", messages=[{"role": "user", "content": "one two three four five"}], stream=True
        )
        with pytest.raises(openai.APIError):
            async for _chunk in stream:
                pass
    record = (await gateway.records())[-1]
    assert record.error_class == "UpstreamStreamBroken"


async def test_rpm_limit_is_429_with_retry_after(gateway: RunningGateway) -> None:
    key = await gateway.new_key(rpm_limit=2)
    statuses = [(await post(gateway, "/v1/chat/completions", key=key, json=HELLO)) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429] or statuses[0].headers[
        "x-ratelimit-reset-requests"
    ] in ("0s", "1s")  # the minute may turn between calls
    limited = statuses[-1]
    if limited.status_code == 429:
        assert_openai_shape(limited, 429, "rate_limit_error")
        assert int(limited.headers["retry-after"]) >= 1
    assert statuses[0].headers["x-ratelimit-limit-requests"] == "2"


# Anthropic-shaped errors on /v1/messages


async def test_messages_errors_use_anthropic_shape(gateway: RunningGateway) -> None:
    async with anthropic.AsyncAnthropic(base_url=gateway.url, api_key="tp_wrong", max_retries=0) as sdk:
        with pytest.raises(anthropic.AuthenticationError):
            await sdk.messages.create(model="an", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        response = await http.post(
            "/v1/messages",
            headers={"x-api-key": gateway.key},
            json={"model": "an", "messages": [{"role": "user", "content": "x"}]},
        )
        assert response.status_code == 400
        body = response.json()
        assert body["type"] == "error"
        assert body["error"]["type"] == "invalid_request_error"
        response = await http.post(
            "/v1/messages",
            headers={"x-api-key": gateway.key},
            json={"model": "nope", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
        )
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "not_found_error"
