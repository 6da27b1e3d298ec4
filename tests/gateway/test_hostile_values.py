"""Model names a key holder makes up (NUL, control characters, over 200 characters) are a 400 in the
OpenAI error shape and never reach a record: every request of every tenant is still recorded."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from tests.gateway.harness import RunningGateway

from trueport.db.models import DeadLetter

HOSTILE = ["x\x00", "\x00", "m" * 201, "gpt-4o\r\nx-injected: 1", "a\x1fb"]


async def test_hostile_model_names_are_400_and_every_record_is_written(gateway: RunningGateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.key}"}
    async with httpx.AsyncClient(base_url=gateway.url, headers=headers) as http:
        answers = [await http.get("/v1/models/%00"), await http.get("/v1/models/" + "m" * 201)]
        for model in HOSTILE:
            answers.append(
                await http.post(
                    "/v1/chat/completions",
                    json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
                )
            )
        answers.append(await http.post("/v1/embeddings", json={"model": "e\x00", "input": "x"}))
        unknown = await http.get("/v1/chat%00/completions")
        fine = await http.post(
            "/v1/chat/completions", json={"model": "oa", "messages": [{"role": "user", "content": "hi"}]}
        )
    for answer in answers:
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["param"] == "model"
        assert "\x00" not in answer.text
    assert fine.status_code == 200
    assert unknown.status_code == 404
    records = await gateway.records()  # on PostgreSQL, a NUL or over-long alias used to stall this
    assert len(records) == len(answers) + 2
    for record in records:
        assert record.alias is None or (record.alias.isprintable() and len(record.alias) <= 200)
        assert record.endpoint.isprintable()
    async with gateway.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DeadLetter)) == 0


@pytest.mark.parametrize("name", ["m" * 200, "org/model:v1.2-beta_3"])
async def test_unusual_but_legal_model_names_are_still_just_unknown(
    gateway: RunningGateway, name: str
) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        answer = await http.get(f"/v1/models/{name}", headers={"Authorization": f"Bearer {gateway.key}"})
    assert answer.status_code == 404
