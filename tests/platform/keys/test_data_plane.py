"""Keys made through the API work on the data plane (``/v1``), and changes reach it within seconds."""

from __future__ import annotations

import openai
from tests.platform.harness import ControlPlaneHarness
from tests.platform.keys.calls import Acme, chat_status, eventually


async def test_a_created_key_works_with_the_openai_sdk(platform: ControlPlaneHarness, acme: Acme) -> None:
    created = await platform.client.post(
        "/api/v1/keys", json={"name": "sdk", "models": ["oa"]}, headers=acme.headers
    )
    secret = created.json()["secret"]
    async with openai.AsyncOpenAI(base_url=f"{platform.url}/v1", api_key=secret, max_retries=0) as sdk:
        reply = await sdk.chat.completions.create(model="oa", messages=[{"role": "user", "content": "hello"}])
        assert reply.choices[0].message.content
        try:
            await sdk.chat.completions.create(model="an", messages=[{"role": "user", "content": "x"}])
        except openai.PermissionDeniedError:
            pass
        else:
            raise AssertionError("the key may only use `oa`")


async def test_changing_the_models_reaches_the_gateway(platform: ControlPlaneHarness, acme: Acme) -> None:
    created = (
        await platform.client.post("/api/v1/keys", json={"models": ["oa"]}, headers=acme.headers)
    ).json()
    assert await chat_status(platform, created["secret"], "an") == 403
    changed = await platform.client.patch(
        f"/api/v1/keys/{created['id']}", json={"models": ["an"]}, headers=acme.headers
    )
    assert changed.status_code == 200

    async def switched() -> bool:
        return await chat_status(platform, created["secret"], "an") == 200

    await eventually(switched)
    assert await chat_status(platform, created["secret"], "oa") == 403


async def test_a_revoked_key_stops_working(platform: ControlPlaneHarness, acme: Acme) -> None:
    created = (await platform.client.post("/api/v1/keys", json={}, headers=acme.headers)).json()
    assert await chat_status(platform, created["secret"]) == 200
    revoked = await platform.client.post(f"/api/v1/keys/{created['id']}/revoke", headers=acme.headers)
    assert revoked.status_code == 200

    async def refused() -> bool:
        return await chat_status(platform, created["secret"]) == 401

    await eventually(refused)


async def test_both_keys_work_during_the_overlap_and_only_the_new_one_after(
    platform: ControlPlaneHarness, acme: Acme
) -> None:
    old = (await platform.client.post("/api/v1/keys", json={}, headers=acme.headers)).json()
    assert await chat_status(platform, old["secret"]) == 200
    rotated = await platform.client.post(
        f"/api/v1/keys/{old['id']}/rotate", json={"overlap_s": 2}, headers=acme.headers
    )
    new = rotated.json()
    assert await chat_status(platform, new["secret"]) == 200
    assert await chat_status(platform, old["secret"]) == 200

    async def old_refused() -> bool:
        return await chat_status(platform, old["secret"]) == 401

    await eventually(old_refused, within_s=6)
    assert await chat_status(platform, new["secret"]) == 200

    # An overlap of zero: the rotated key is refused at once (after the gateway hears of it).
    newest = await platform.client.post(
        f"/api/v1/keys/{new['id']}/rotate", json={"overlap_s": 0}, headers=acme.headers
    )

    async def new_refused() -> bool:
        return await chat_status(platform, new["secret"]) == 401

    await eventually(new_refused)
    assert await chat_status(platform, newest.json()["secret"]) == 200
