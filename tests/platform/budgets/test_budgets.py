"""``/api/v1/budgets``: changes, validation, roles, scoping; and the data plane holding to a budget."""

from __future__ import annotations

import uuid
from typing import Any

from tests.platform.harness import ControlPlaneHarness
from tests.platform.keys.calls import Acme, eventually

from support.smtp import SmtpSink, body_text

MONTHLY = {
    "name": "monthly spend",
    "unit": "usd",
    "amount": "250",
    "period": "monthly",
    "timezone": "Europe/Paris",
}


async def create(platform: ControlPlaneHarness, acme: Acme, **body: Any) -> dict[str, Any]:
    response = await platform.client.post("/api/v1/budgets", json=body, headers=acme.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_read_list_change_delete(platform: ControlPlaneHarness, acme: Acme) -> None:
    created = await create(platform, acme, **MONTHLY)
    assert created["hard"] is True and created["alert_thresholds"] == [50, 80, 100]
    assert created["key_id"] is None and created["disabled"] is False
    url = f"/api/v1/budgets/{created['id']}"
    assert (await platform.client.get(url, headers=acme.headers)).json() == created
    listed = (await platform.client.get("/api/v1/budgets", headers=acme.headers)).json()
    assert [b["id"] for b in listed["data"]] == [created["id"]]
    changed = await platform.client.patch(
        url, json={"amount": "300.5", "hard": False, "alert_thresholds": [90, 10, 90]}, headers=acme.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["alert_thresholds"] == [10, 90] and changed.json()["hard"] is False
    assert changed.json()["unit"] == "usd" and changed.json()["period"] == "monthly"
    status = (await platform.client.get(f"{url}/status", headers=acme.headers)).json()
    assert status["spent"] == status["reserved"] == "0.0000000000"
    assert status["alerts_sent"] == [] and status["amount"] == "300.500000" and status["exhausted"] is False
    assert status["remaining"] == "300.5000000000"
    assert (await platform.client.delete(url, headers=acme.headers)).status_code == 204
    assert (await platform.client.get(url, headers=acme.headers)).status_code == 404


async def test_invalid_budgets_are_refused(platform: ControlPlaneHarness, acme: Acme) -> None:
    post = platform.client.post
    bad: list[dict[str, Any]] = [
        {**MONTHLY, "timezone": "Mars/Olympus"},
        {**MONTHLY, "unit": "tokens", "amount": "10.5"},
        {**MONTHLY, "amount": "0"},
        {**MONTHLY, "period": "hourly"},
        {**MONTHLY, "alert_thresholds": [0]},
        {**MONTHLY, "surprise": True},
    ]
    for body in bad:
        response = await post("/api/v1/budgets", json=body, headers=acme.headers)
        assert response.status_code == 422, body
    foreign = await post(
        "/api/v1/budgets", json={**MONTHLY, "key_id": str(uuid.uuid4())}, headers=acme.headers
    )
    assert foreign.status_code == 400 and foreign.json()["error"]["code"] == "invalid_budget"
    for missing in ("not-a-uuid", str(uuid.uuid4())):
        assert (
            await platform.client.get(f"/api/v1/budgets/{missing}", headers=acme.headers)
        ).status_code == 404


async def test_members_read_and_only_writers_write(platform: ControlPlaneHarness, acme: Acme) -> None:
    created = await create(platform, acme, **MONTHLY)
    member = await platform.user("member@acme.test")
    await platform.member(acme.tenant, member, "member")
    headers = platform.auth(member, acme.tenant)
    assert (
        await platform.client.get(f"/api/v1/budgets/{created['id']}/status", headers=headers)
    ).status_code == 200
    refused = await platform.client.post("/api/v1/budgets", json=MONTHLY, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    other = await platform.tenant("globex")
    stranger = await platform.user("owner@globex.test")
    await platform.member(other, stranger, "owner")
    foreign = await platform.client.get(
        f"/api/v1/budgets/{created['id']}", headers=platform.auth(stranger, other)
    )
    assert foreign.status_code == 404


async def test_a_hard_token_budget_stops_a_key_with_402_and_alerts_owners_and_admins(
    platform: ControlPlaneHarness, acme: Acme, smtp: SmtpSink
) -> None:
    admin = await platform.user("admin@acme.test")
    await platform.member(acme.tenant, admin, "admin")
    key = (await platform.client.post("/api/v1/keys", json={"name": "k"}, headers=acme.headers)).json()
    budget = await create(
        platform, acme, name="tiny", unit="tokens", amount="40", period="daily", key_id=key["id"]
    )
    chat = {"model": "oa", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
    auth = {"Authorization": f"Bearer {key['secret']}"}

    async def refused() -> bool:  # the gateway has the budget within seconds; then it runs out
        response = await platform.client.post("/v1/chat/completions", json=chat, headers=auth)
        assert response.status_code in (200, 402), response.text
        return response.status_code == 402

    await eventually(refused, within_s=10)
    response = await platform.client.post("/v1/chat/completions", json=chat, headers=auth)
    error = response.json()["error"]
    assert response.status_code == 402 and error["code"] == "budget_exceeded"
    assert "daily budget 'tiny' of this API key (40 tokens)" in error["message"]
    assert "acme" not in error["message"] and acme.tenant.id not in error["message"]

    mail = await smtp.wait_for("admin@acme.test")
    await smtp.wait_for("owner@acme.test")
    assert "tiny" in mail["Subject"] and "40 tokens" in body_text(mail)
    status_url = f"/api/v1/budgets/{budget['id']}/status"

    async def recorded() -> bool:
        status = (await platform.client.get(status_url, headers=acme.headers)).json()
        return bool(status["alerts_sent"] == [50])  # refused before 80 %: the next worst case did not fit

    await eventually(recorded)
    status = (await platform.client.get(status_url, headers=acme.headers)).json()
    assert int(status["reserved"]) == 0 and 20 <= int(status["spent"]) <= 40
    assert status["exhausted"] is False  # refused because the next worst case does not fit
