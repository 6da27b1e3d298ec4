"""``POST /v1/embeddings``."""

from __future__ import annotations

from trueport.gateway.call import Call
from trueport.gateway.gateway import Gateway
from trueport.gateway.router import Target
from trueport.gateway.validation import check_embeddings_request
from trueport.jsonutil import JSONObject, dumps
from trueport.providers.base import Embeddings


async def handle_embeddings(
    gateway: Gateway, call: Call, request: JSONObject, alias: str, targets: tuple[Target, ...]
) -> None:
    check_embeddings_request(request)

    async def attempt(target: Target) -> Embeddings:
        return await target.adapter.embeddings(request, target.model)

    target, result = await gateway.forward(call, alias, targets, attempt)
    call.note_target(target.provider, target.model)
    call.note_usage(result.usage)
    await call.respond_json(200, result.raw if result.raw is not None else dumps(result.body))
