"""``GET /v1/models`` and ``GET /v1/models/{id}``: the aliases this key may use.

A tenant sees the installation's aliases and its own routes; another tenant's routes do not exist
for it (404, as for any unknown alias).
"""

from __future__ import annotations

from trueport.errors import ModelNotFound
from trueport.gateway.call import Call
from trueport.gateway.gateway import Gateway
from trueport.gateway.validation import check_model_name
from trueport.jsonutil import JSONObject, dumps


def _model(alias: str) -> JSONObject:
    return {"id": alias, "object": "model", "created": 0, "owned_by": "trueport"}


async def handle_list_models(gateway: Gateway, call: Call) -> None:
    key = call.key_info
    data = [_model(alias) for alias in gateway.routing.aliases(key.tenant_id) if key.allows(alias)]
    await call.respond_json(200, dumps({"object": "list", "data": data}))


async def handle_get_model(gateway: Gateway, call: Call, alias: str) -> None:
    call.record.alias = check_model_name(alias)
    key = call.key_info
    if gateway.routing.targets(key.tenant_id, alias) is None or not key.allows(alias):
        raise ModelNotFound(f"the model {alias!r} does not exist", param="model")
    await call.respond_json(200, dumps(_model(alias)))
