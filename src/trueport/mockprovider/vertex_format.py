"""Google Vertex AI's wire format: ``POST /v1/projects/{project}/locations/{location}/publishers/...``.

Publisher ``google``: ``models/{model}:generateContent``, ``:streamGenerateContent`` (SSE with
``alt=sse``) with Gemini's bodies and answers (``gemini_format``), and ``:predict`` for text
embeddings (``{"instances": [{"content"}], "parameters": {"outputDimensionality"}}``, answered with
``predictions[].embeddings.values`` and ``statistics.token_count``). Publisher ``anthropic``:
``models/{model}:rawPredict`` and ``:streamRawPredict`` with Anthropic Messages bodies that carry
``anthropic_version: "vertex-2023-10-16"`` and no ``model`` (``anthropic_format`` answers them).

Every request needs a live bearer token from the emulator's own token endpoint (``google_oauth``);
errors are Google's ``{"error": {"code", "message", "status"}}``. The model carries the usual fault
directives (``gemini-2.0-flash+status=429``).
"""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web

from trueport.mockprovider import anthropic_format, gemini_format
from trueport.mockprovider.answers import count_words
from trueport.mockprovider.exchange import Exchange, MockError, bearer_token, send_json
from trueport.mockprovider.vectors import DEFAULT_DIMENSIONS, MAX_DIMENSIONS, embed

ANTHROPIC_VERSION = "vertex-2023-10-16"
PATH = "/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{target}"


class VertexDialect(gemini_format.GeminiDialect):
    name: ClassVar[str] = "vertex"
    credential_hint: ClassVar[str] = "Authorization: Bearer <OAuth access token from /token>"

    def credential(self, request: web.Request) -> str | None:
        return bearer_token(request)


async def _predict(ex: Exchange, model: str) -> web.StreamResponse:
    body = ex.body()
    instances = body.get("instances")
    if not isinstance(instances, list) or not instances:
        raise MockError(400, "instances: at least one instance is required")
    texts = [instance.get("content") if isinstance(instance, dict) else None for instance in instances]
    if not all(isinstance(text, str) for text in texts):
        raise MockError(400, "instances[].content must be a string")
    parameters = body.get("parameters") or {}
    dimensions = (
        parameters.get("outputDimensionality", DEFAULT_DIMENSIONS) if isinstance(parameters, dict) else None
    )
    if (
        not isinstance(dimensions, int)
        or isinstance(dimensions, bool)
        or not 1 <= dimensions <= MAX_DIMENSIONS
    ):
        raise MockError(400, f"parameters.outputDimensionality must be from 1 to {MAX_DIMENSIONS}")
    faults = await ex.apply_faults(model)
    predictions = [
        {
            "embeddings": {
                "values": embed(str(text), dimensions),
                "statistics": {"token_count": max(1, count_words(str(text))), "truncated": False},
            }
        }
        for text in texts
    ]
    return await send_json(ex, {"predictions": predictions}, faults)


async def _raw_predict(ex: Exchange, model: str, *, stream: bool) -> web.StreamResponse:
    body = ex.body()
    if body.get("anthropic_version") != ANTHROPIC_VERSION:
        raise MockError(400, f"anthropic_version: must be {ANTHROPIC_VERSION!r} on Vertex AI")
    if "model" in body:
        raise MockError(400, "model: Extra inputs are not permitted (the model is in the URL)")
    if bool(body.get("stream")) != stream:
        raise MockError(400, "stream: must be true for streamRawPredict and absent or false for rawPredict")
    return await anthropic_format.answer_messages(ex, body, model, stream=stream)


async def model_method(ex: Exchange) -> web.StreamResponse:
    """One route for every publisher and method: the model and the method share a path segment."""
    publisher = ex.request.match_info["publisher"]
    model, _, method = ex.request.match_info["target"].rpartition(":")
    if not model:
        raise MockError(404, "a model and a method are required (models/{model}:{method})")
    if publisher == "google" and method in ("generateContent", "streamGenerateContent"):
        return await gemini_format.generate(ex, model, stream=method == "streamGenerateContent")
    if publisher == "google" and method == "predict":
        return await _predict(ex, model)
    if publisher == "anthropic" and method in ("rawPredict", "streamRawPredict"):
        return await _raw_predict(ex, model, stream=method == "streamRawPredict")
    raise MockError(404, f"method {method!r} is not found for publishers/{publisher}/models/{model}")
