"""NUL characters and over-long strings from a tenant admin are a 400 in the control plane's error
shape, in any field, the path or the query: never a 201 that poisons the data plane, never a 500."""

from __future__ import annotations

import pytest
from tests.platform.credentials.seed import emulator_credential, member_of
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import Tenant
from trueport.platform.inputs import InputRejected, check_column_values


def assert_refused(answer: object, field: str | None = None) -> None:
    import httpx

    assert isinstance(answer, httpx.Response)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert "NUL" in error["message"]
    if field is not None:
        assert error["details"][0]["field"] == field


async def test_nul_anywhere_is_a_400_naming_the_field(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    client, headers = platform.client, acme.headers
    route = {"alias": "chat", "targets": [{"provider": "oa", "model": "gpt-4o\u0000"}]}
    assert_refused(await client.post("/api/v1/routes", json=route, headers=headers), "body.targets.0.model")
    azure = emulator_credential(platform, "az1", type="azure_openai", api_version="2024-10-21\u0000")
    assert_refused(await client.post("/api/v1/credentials", json=azure, headers=headers), "body.api_version")
    webhook = {"url": "http://127.0.0.1:9/hook", "topics": ["inference.events.v1"], "description": "a\u0000"}
    assert_refused(await client.post("/api/v1/webhooks", json=webhook, headers=headers), "body.description")
    assert_refused(await client.post("/api/v1/keys", json={"name": "k\u0000"}, headers=headers), "body.name")
    assert_refused(await client.post("/api/v1/keys", json={"\u0000": 1}, headers=headers))
    assert_refused(await client.get("/api/v1/keys/%00", headers=headers), "path")
    assert_refused(await client.get("/api/v1/routes?cursor=%00", headers=headers))
    login = {"email": "a\u0000@acme.test", "password": "x"}
    assert_refused(await client.post("/api/v1/auth/login", json=login))
    # nothing was stored, and the same requests without the NUL are fine
    listed = await client.get("/api/v1/routes", headers=headers)
    assert listed.status_code == 200 and listed.json()["data"] == []
    route["targets"][0]["model"] = "gpt-4o"  # type: ignore[index]
    assert (await client.post("/api/v1/routes", json=route, headers=headers)).status_code == 201


async def test_over_long_values_are_refused_not_500(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    client, headers = platform.client, acme.headers
    long_model = {"alias": "chat", "targets": [{"provider": "oa", "model": "m" * 201}]}
    azure = emulator_credential(platform, "az1", type="azure_openai", api_version="v" * 33)
    webhook = {"url": "http://127.0.0.1:9/hook", "topics": ["inference.events.v1"], "description": "d" * 201}
    for path, body in (
        ("/api/v1/routes", long_model),
        ("/api/v1/credentials", azure),
        ("/api/v1/webhooks", webhook),
    ):
        answer = await client.post(path, json=body, headers=headers)
        assert answer.status_code in (400, 422), answer.text  # 422: the schema's own limit
        assert set(answer.json()["error"]) >= {"code", "message"}


async def test_any_column_refuses_a_string_longer_than_it_at_flush(platform: ControlPlaneHarness) -> None:
    """The backstop behind every schema: one check on the request's session, for every table."""
    async with platform.sessions() as session:
        check_column_values(session)
        session.add(Tenant(slug="x", name="n" * 201))
        with pytest.raises(InputRejected, match="'name' is too long: at most 200 characters"):
            await session.flush()
    async with platform.sessions() as session:
        check_column_values(session)
        session.add(Tenant(slug="y", name="a\u0000b"))
        with pytest.raises(InputRejected, match="'name' contains a NUL character"):
            await session.flush()
