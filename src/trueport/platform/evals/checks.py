"""The checks a route case makes on one gateway answer: guard verdicts, a regex, a JSON schema, ceilings.

Each check returns the reason it failed, or None. The answer's JSON (for ``json_schema``) is the
whole answer when it parses; else the first fenced code block (```` ```json ... ``` ````) that parses;
else the text from the first ``{`` or ``[`` to the last matching ``}`` or ``]`` — models often wrap
JSON in a sentence or a code fence, and a check that failed on that would test formatting, not content.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from trueport.jsonutil import JSONDecodeError, dumps, loads

_BLOCKED_BY = re.compile(r"blocked by the (\w+) detector")
_FENCE = re.compile(r"```(?:json)?\s*\n?(.*?)```", re.DOTALL)
REGEX_MAX_CHARS = 100_000  # a regex looks at an answer's first 100,000 characters


def check_schema(schema: dict[str, Any], max_chars: int) -> None:
    """Refuse a schema that is not valid JSON Schema (draft 2020-12) or is too large (ValueError)."""
    try:
        size = len(dumps(schema))
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, nesting deeper than JSON allows here
        raise ValueError("the schema cannot be stored as JSON") from None
    if size > max_chars:
        raise ValueError(f"the schema is {size} characters of JSON, more than {max_chars}")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"not a valid JSON Schema: {exc.message}") from None


def guard_verdicts(
    status: int, error_code: str | None, error_message: str, guard_header: str
) -> dict[str, str]:
    """What the gateway reported the guard did: ``{detector: blocked | flagged}`` for the named ones.

    A block is a 400 ``policy_violation`` naming its detector; a flag (or a flagged redaction) is the
    detector's name in ``x-trueport-guard: flagged=...``.
    """
    verdicts: dict[str, str] = {}
    for part in guard_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "flagged":
            verdicts.update({detector: "flagged" for detector in value.split(",") if detector})
    if status == 400 and error_code == "policy_violation":
        found = _BLOCKED_BY.search(error_message)
        if found:
            verdicts[found.group(1)] = "blocked"
    return verdicts


def verdict_matches(expected: str, actual: str) -> bool:
    if expected == "detected":
        return actual in ("blocked", "flagged")
    return expected == actual


def check_guard(expected: dict[str, str], verdicts: dict[str, str]) -> str | None:
    wrong = [
        f"{detector}: expected {want}, got {verdicts.get(detector, 'clean')}"
        for detector, want in expected.items()
        if not verdict_matches(want, verdicts.get(detector, "clean"))
    ]
    return "guard: " + "; ".join(wrong) if wrong else None


def check_regex(pattern: str, answer: str) -> str | None:
    if re.search(pattern, answer[:REGEX_MAX_CHARS]) is None:
        return f"regex: no match of {pattern!r} in the answer"
    return None


def answer_json(answer: str) -> Any:
    """The JSON value in the answer (see the module's docstring); raises ValueError if there is none."""
    candidates = [answer.strip()]
    candidates += [block.strip() for block in _FENCE.findall(answer)]
    for opening, closing in (("{", "}"), ("[", "]")):
        start, end = answer.find(opening), answer.rfind(closing)
        if 0 <= start < end:
            candidates.append(answer[start : end + 1])
    for candidate in candidates:
        try:
            return loads(candidate)
        except JSONDecodeError:
            continue
    raise ValueError("the answer holds no JSON")


def check_json_schema(schema: dict[str, Any], answer: str) -> str | None:
    try:
        value = answer_json(answer)
    except ValueError as exc:
        return f"json_schema: {exc}"
    try:
        error = next(iter(Draft202012Validator(schema).iter_errors(value)), None)
    except Unresolvable as exc:  # a "$ref" to a document that is not in the schema: never fetched
        return f"json_schema: the schema's reference {str(exc.ref)[:100]!r} cannot be resolved"
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        # The schema's keyword, never the answer's value: runs keep no answer text.
        return f"json_schema: at {where}: fails {error.validator!r} ({error.validator_value!r})"[:300]
    return None


def check_latency(ceiling_ms: float, latency_ms: float) -> str | None:
    if latency_ms > ceiling_ms:
        return f"latency: {latency_ms:.1f} ms over the ceiling of {ceiling_ms:g} ms"
    return None


def check_cost(ceiling_usd: float, cost_usd: float) -> str | None:
    if cost_usd > ceiling_usd:
        return f"cost: {cost_usd:.6f} USD over the ceiling of {ceiling_usd:g} USD"
    return None
