"""``POST /v1/guard/scan``: the detectors outside the proxy path, for a key's own checks.

Request: ``{"text": str, "detectors": [names]?, "direction": "input"|"output"?, "source": ...?}``.
Answer: ``{"findings": [{detector, type, start, end, score}], "flagged": bool}``, listing what the
default thresholds count as a violation — the same as ``trueport scan`` — never the matched text.
"""

from __future__ import annotations

import asyncio

from trueport.errors import InvalidRequest, UnsupportedOperation
from trueport.gateway.call import Call
from trueport.gateway.gateway import Gateway
from trueport.guard.base import Direction, ScanContext, Source
from trueport.jsonutil import JSONObject, dumps

_MAX_TEXT = 256 * 1024


async def handle_scan(gateway: Gateway, call: Call, request: JSONObject) -> None:
    guard = gateway.guard
    if guard is None:
        raise UnsupportedOperation("the guard is disabled on this gateway (guard.enabled: false)")
    text = request.get("text")
    if not isinstance(text, str):
        raise InvalidRequest("'text' is required and must be a string", param="text")
    if len(text) > _MAX_TEXT:
        raise InvalidRequest(f"'text' is longer than {_MAX_TEXT} characters", param="text")
    names = request.get("detectors")
    available = {detector.name for detector in guard.scanner.detectors}
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InvalidRequest("'detectors' must be an array of names", param="detectors")
        unknown = sorted(set(names) - available)
        if unknown:
            raise InvalidRequest(
                f"unknown detectors {unknown}; available: {sorted(available)}", param="detectors"
            )
    try:
        context = ScanContext(
            direction=Direction(request.get("direction", "input")),
            source=Source(request.get("source", "prompt")),
            tenant_id=call.key_info.tenant_id,
        )
    except ValueError as exc:
        raise InvalidRequest(f"invalid direction or source: {exc}") from exc
    # Detectors are CPU-bound: run them off the event loop so other calls keep flowing.
    findings = await asyncio.to_thread(guard.scanner.scan, text, context)
    if names is not None:
        findings = [f for f in findings if f.detector in names]
    body = {"findings": [f.as_dict() for f in findings], "flagged": bool(findings)}
    await call.respond_json(200, dumps(body))
