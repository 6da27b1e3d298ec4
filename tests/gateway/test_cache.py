"""The response cache: opt-in per alias, exact match, per tenant, hits cost nothing."""

from __future__ import annotations

import httpx
from tests.gateway.harness import RunningGateway


async def ask(gateway: RunningGateway, body: dict[str, object], key: str | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as http:
        return await http.post(
            "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key or gateway.key}"}
        )


async def test_an_equal_request_is_served_from_the_cache(gateway: RunningGateway, mock) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "cached", "messages": [{"role": "user", "content": "cache me"}], "temperature": 0}
    reordered = {"temperature": 0, "messages": [{"content": "cache me", "role": "user"}], "model": "cached"}
    first, second = await ask(gateway, body), await ask(gateway, reordered)
    assert first.headers["x-trueport-cache"] == "miss"
    assert second.headers["x-trueport-cache"] == "hit"
    assert second.content == first.content
    assert sum(1 for r in mock.requests if "cache me" in str(r["body"])) == 1
    hit = (await gateway.records())[-1]
    assert hit.served_from == "cache"
    assert hit.prompt_tokens == 0
    assert float(hit.cost_usd) == 0


async def test_a_different_request_misses(gateway: RunningGateway) -> None:
    await ask(gateway, {"model": "cached", "messages": [{"role": "user", "content": "a"}]})
    other = await ask(gateway, {"model": "cached", "messages": [{"role": "user", "content": "b"}]})
    assert other.headers["x-trueport-cache"] == "miss"


async def test_aliases_without_a_ttl_are_never_cached(gateway: RunningGateway) -> None:
    body = {"model": "oa", "messages": [{"role": "user", "content": "no cache"}]}
    await ask(gateway, body)
    assert "x-trueport-cache" not in (await ask(gateway, body)).headers


async def test_tenants_never_share_cached_answers(gateway: RunningGateway) -> None:
    from trueport.keys.secret import key_hmac_secret
    from trueport.keys.service import create_key
    from trueport.tenants.service import create_tenant

    async with gateway.sessions() as session:
        other = await create_tenant(session, "globex")
        created = await create_key(
            session, other, hmac_secret=await key_hmac_secret(gateway.settings, gateway.sessions)
        )
        await session.commit()
    body = {"model": "cached", "messages": [{"role": "user", "content": "tenant secret answer"}]}
    await ask(gateway, body)
    assert (await ask(gateway, body, key=created.secret)).headers["x-trueport-cache"] == "miss"
