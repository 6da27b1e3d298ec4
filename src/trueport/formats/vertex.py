"""What Vertex AI adds to the Gemini and Anthropic formats: Claude's request body, and text embeddings.

Gemini models on Vertex take the same ``generateContent`` bodies as the Gemini API
(``trueport.formats.gemini``). Anthropic models take an Anthropic Messages body without ``model`` (the
model is in the URL) and with ``anthropic_version: "vertex-2023-10-16"`` in the body instead of a
header. Text embeddings (``text-embedding-005``, ``text-multilingual-embedding-002``,
``gemini-embedding-001``) are ``:predict`` calls with one instance per text, and report their token
counts per text.
"""

from __future__ import annotations

from trueport.errors import InvalidRequest
from trueport.formats.gemini import embedding_inputs
from trueport.jsonutil import JSONObject

ANTHROPIC_VERSION = "vertex-2023-10-16"


def anthropic_body(messages_request: JSONObject, *, stream: bool) -> JSONObject:
    """An Anthropic Messages body as Vertex's ``rawPredict`` / ``streamRawPredict`` want it."""
    body = {key: value for key, value in messages_request.items() if key not in ("model", "stream")}
    body["anthropic_version"] = ANTHROPIC_VERSION
    if stream:
        body["stream"] = True
    return body


def embeddings_request_to_predict(request: JSONObject) -> JSONObject:
    """Translate an OpenAI embeddings request into a text-embedding ``:predict`` body."""
    texts = embedding_inputs(request)
    dimensions = request.get("dimensions")
    if dimensions is not None and (
        isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1
    ):
        raise InvalidRequest("'dimensions' must be a positive integer", param="dimensions")
    if request.get("encoding_format") not in (None, "float", "base64"):
        raise InvalidRequest("'encoding_format' must be float or base64", param="encoding_format")
    body: JSONObject = {"instances": [{"content": text} for text in texts]}
    if dimensions is not None:
        body["parameters"] = {"outputDimensionality": dimensions}
    return body


def predict_to_vectors(answer: JSONObject) -> tuple[list[list[float]], int | None]:
    """``(vectors, tokens)`` of a ``:predict`` answer; tokens ``None`` when any count is missing.

    Raises ``ValueError`` for an answer of the wrong shape.
    """
    predictions = answer.get("predictions")
    if not isinstance(predictions, list):
        raise ValueError("predict answer has no 'predictions' list")
    vectors: list[list[float]] = []
    tokens: int | None = 0
    for index, prediction in enumerate(predictions):
        embeddings = prediction.get("embeddings") if isinstance(prediction, dict) else None
        values = embeddings.get("values") if isinstance(embeddings, dict) else None
        if not isinstance(values, list) or not all(
            isinstance(value, (int, float)) and not isinstance(value, bool) for value in values
        ):
            raise ValueError(f"prediction {index} has no list of numbers in embeddings.values")
        vectors.append([float(value) for value in values])
        statistics = embeddings.get("statistics") if isinstance(embeddings, dict) else None
        count = statistics.get("token_count") if isinstance(statistics, dict) else None
        if (
            tokens is not None
            and isinstance(count, (int, float))
            and not isinstance(count, bool)
            and count >= 0
        ):
            tokens += int(count)
        else:
            tokens = None
    return vectors, tokens
