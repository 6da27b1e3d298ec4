"""Run a route suite's cases through the gateway, one call at a time, and check each answer.

Each case is one ``POST /v1/chat/completions`` to the suite's route (its ``system`` and ``prompt`` as
messages, the suite's ``max_tokens``), made with the suite's eval key through ``EvalGateway``: the
data plane's own path, guard and limits included. Calls are made one after another so that one
case's latency is not another's queueing. A case passes when every check it names passes, and its
call answered 2xx — unless it expects a block, in which case the block is the answer. Its cost is
the answer's usage priced as the gateway bills it (the tenant's price overrides, else the catalog).
The checks run in a worker thread, off the event loop that serves the gateway's calls. No prompt or
answer text is kept: a failure says which check failed and why, not what was said.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import structlog

from trueport.db.models import EvalSuite
from trueport.guard.scanner import percentile
from trueport.jsonutil import JSONDecodeError, JSONObject, dumps, loads
from trueport.platform.evals.checks import (
    check_cost,
    check_guard,
    check_json_schema,
    check_latency,
    check_regex,
    guard_verdicts,
)
from trueport.platform.evals.gateway_calls import EvalGateway, GatewayAnswer
from trueport.platform.evals.runner import RunResult

log = structlog.get_logger(__name__)

CHAT = "/v1/chat/completions"


@dataclass(frozen=True, slots=True)
class _Reply:
    text: str
    error_code: str | None
    error_message: str
    cost_usd: float


def request_body(suite: EvalSuite, case: JSONObject) -> JSONObject:
    messages: list[JSONObject] = []
    if case.get("system"):
        messages.append({"role": "system", "content": str(case["system"])})
    messages.append({"role": "user", "content": str(case["prompt"])})
    body: JSONObject = {"model": suite.route, "messages": messages}
    if suite.max_tokens is not None:
        body["max_tokens"] = suite.max_tokens
    return body


async def run_route_cases(
    gateway: EvalGateway, suite: EvalSuite, secret: str, policy_version: int
) -> RunResult:
    results: list[JSONObject] = []
    latencies: list[float] = []
    passed = 0
    total_cost = Decimal(0)
    for index, case in enumerate(suite.cases):
        answer = await _call(gateway, dumps(request_body(suite, case)), secret)
        reply = _reply(gateway, suite.tenant_id, answer)
        expect = case.get("expect") or {}
        assert isinstance(expect, dict)
        verdicts = guard_verdicts(
            answer.status, reply.error_code, reply.error_message, answer.headers.get("x-trueport-guard", "")
        )
        # Off the event loop: a tenant's regex or schema may be slow on a long answer, and the loop
        # serves every tenant's calls.
        failures = await asyncio.to_thread(_failures, expect, answer, reply, verdicts)
        ok = not failures
        passed += ok
        latencies.append(answer.latency_ms)
        total_cost += Decimal(str(reply.cost_usd))
        actual: dict[str, Any] = {"status": answer.status, "guard": verdicts, "cost_usd": reply.cost_usd}
        if reply.error_code is not None:
            actual["error"] = reply.error_code
        results.append(
            {
                "index": index,
                "passed": ok,
                "expected": {k: v for k, v in expect.items() if v is not None},
                "actual": actual,
                "latency_ms": round(answer.latency_ms, 3),
                "failures": failures,
                "request_id": answer.headers.get("x-request-id"),
            }
        )
    return RunResult(
        total=len(suite.cases),
        passed=passed,
        latency_p50_ms=round(percentile(latencies, 50), 3),
        latency_p95_ms=round(percentile(latencies, 95), 3),
        policy_version=policy_version,
        results=results,
        cost_usd=float(total_cost),
    )


async def _call(gateway: EvalGateway, body: bytes, secret: str) -> GatewayAnswer:
    """The gateway's answer; a call that got none (the gateway unreachable, or no answer within the
    caller's timeout) is a status 0 answer, which fails its case rather than the run."""
    started = time.perf_counter()
    try:
        return await gateway.caller.post(CHAT, body, secret)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        log.warning("eval_gateway_call_failed", error=type(exc).__name__)
        failed = {"error": {"code": "no_answer", "message": type(exc).__name__}}
        return GatewayAnswer(0, {}, dumps(failed), (time.perf_counter() - started) * 1000)


def _failures(
    expect: dict[str, Any], answer: GatewayAnswer, reply: _Reply, verdicts: dict[str, str]
) -> list[str]:
    failures: list[str] = []
    guard = expect.get("guard")
    expects_block = isinstance(guard, dict) and "blocked" in guard.values()
    if isinstance(guard, dict) and (found := check_guard(guard, verdicts)):
        failures.append(found)
    answered = 200 <= answer.status < 300
    if not answered and not expects_block:
        failures.append(f"status: {answer.status} {reply.error_code or ''}".rstrip())
    if answered:
        if isinstance(regex := expect.get("regex"), str) and (found := check_regex(regex, reply.text)):
            failures.append(found)
        schema = expect.get("json_schema")
        if isinstance(schema, dict) and (found := check_json_schema(schema, reply.text)):
            failures.append(found)
    ceiling = expect.get("max_latency_ms")
    if isinstance(ceiling, int | float) and (found := check_latency(ceiling, answer.latency_ms)):
        failures.append(found)
    ceiling = expect.get("max_cost_usd")
    if isinstance(ceiling, int | float) and (found := check_cost(ceiling, reply.cost_usd)):
        failures.append(found)
    return failures


def _reply(gateway: EvalGateway, tenant_id: str, answer: GatewayAnswer) -> _Reply:
    try:
        body = loads(answer.body)
    except JSONDecodeError:
        return _Reply("", "unreadable_answer", "", 0.0)
    if not isinstance(body, dict):
        return _Reply("", "unreadable_answer", "", 0.0)
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        return _Reply("", str(code) if code is not None else "error", str(error.get("message", "")), 0.0)
    return _Reply(_text(body), None, "", _cost(gateway, tenant_id, body))


def _text(body: JSONObject) -> str:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return ""
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def _cost(gateway: EvalGateway, tenant_id: str, body: JSONObject) -> float:
    usage, model = body.get("usage"), body.get("model")
    if not isinstance(usage, dict) or not isinstance(model, str):
        return 0.0
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens", 0) if isinstance(details, dict) else 0
    priced = gateway.prices.cost(
        tenant_id,
        model,
        _int(usage.get("prompt_tokens")),
        _int(usage.get("completion_tokens")),
        _int(cached),
    )
    return float(priced[0]) if priced is not None else 0.0


def _int(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
