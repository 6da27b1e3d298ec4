"""OpenAI embeddings requests to Bedrock's embedding models (``InvokeModel``), and their answers back.

Two families, told apart by the model id (inference-profile prefixes such as ``us.`` included):

- Amazon Titan (``amazon.titan-embed-text-v2:0``, ``...-v1``): one text per call,
  ``{"inputText", "dimensions"}`` in, ``{"embedding", "inputTextTokenCount"}`` out;
- Cohere (``cohere.embed-english-v3``, ``cohere.embed-multilingual-v3``, ``cohere.embed-v4:0``): up to
  ``COHERE_BATCH`` texts per call, ``{"texts", "input_type"}`` in, ``{"embeddings"}`` out. OpenAI has no
  ``input_type``: texts are embedded as ``search_document``.

Both take text only (token arrays are refused). ``dimensions`` goes to Titan v2 and Cohere v4.
"""

from __future__ import annotations

import base64
import struct
from typing import Literal

from trueport.errors import InvalidRequest, UnsupportedOperation
from trueport.jsonutil import JSONObject

Family = Literal["titan", "cohere"]
COHERE_BATCH = 96


def embedding_family(model: str) -> Family:
    if "amazon.titan-embed-text" in model:
        return "titan"
    if "cohere.embed" in model:
        return "cohere"
    raise UnsupportedOperation(
        f"Bedrock model {model!r} is not an embedding model the gateway knows (Titan text, Cohere embed)"
    )


def embedding_texts(request: JSONObject) -> list[str]:
    value = request.get("input")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return list(value)
    if isinstance(value, list) and value and all(isinstance(item, int | list) for item in value):
        raise InvalidRequest(
            "Bedrock embeds text only: send 'input' as strings, not token arrays", param="input"
        )
    raise InvalidRequest("'input' must be a string or a non-empty list of strings", param="input")


def _dimensions(request: JSONObject) -> int | None:
    value = request.get("dimensions")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidRequest("'dimensions' must be a positive integer", param="dimensions")
    return value


def invoke_bodies(request: JSONObject, model: str) -> list[JSONObject]:
    """The ``InvokeModel`` bodies that embed every text of ``request``, in order."""
    if request.get("encoding_format") not in (None, "float", "base64"):
        raise InvalidRequest("'encoding_format' must be float or base64", param="encoding_format")
    texts = embedding_texts(request)
    dimensions = _dimensions(request)
    if embedding_family(model) == "titan":
        if dimensions is not None and "titan-embed-text-v1" in model:
            raise InvalidRequest(
                "Titan text embeddings v1 have a fixed size: leave out 'dimensions'", param="dimensions"
            )
        extra: JSONObject = {} if dimensions is None else {"dimensions": dimensions}
        return [{"inputText": text, **extra} for text in texts]
    if dimensions is not None and "embed-v4" not in model:
        raise InvalidRequest("this Cohere model has a fixed size: leave out 'dimensions'", param="dimensions")
    extra = {} if dimensions is None else {"output_dimension": dimensions}
    return [
        {"texts": texts[start : start + COHERE_BATCH], "input_type": "search_document", **extra}
        for start in range(0, len(texts), COHERE_BATCH)
    ]


def vectors_of(answer: JSONObject, family: Family) -> list[list[float]]:
    """The vectors of one ``InvokeModel`` answer; ``ValueError`` for the wrong shape."""
    if family == "titan":
        vector = answer.get("embedding")
        return [_floats(vector)]
    embeddings = answer.get("embeddings")
    if isinstance(embeddings, dict):  # asked with embedding_types: {"float": [[...]]}
        embeddings = embeddings.get("float")
    if not isinstance(embeddings, list):
        raise ValueError("Cohere answer has no 'embeddings' list")
    return [_floats(vector) for vector in embeddings]


def _floats(vector: object) -> list[float]:
    if not isinstance(vector, list) or not all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in vector
    ):
        raise ValueError("an embedding is not a list of numbers")
    return [float(x) for x in vector]


def to_embeddings(
    vectors: list[list[float]], model: str, prompt_tokens: int, *, encoding_format: str
) -> JSONObject:
    """An OpenAI embeddings ``list``; ``base64`` packs each vector as little-endian float32, as OpenAI does."""
    data = []
    for index, vector in enumerate(vectors):
        value: object = vector
        if encoding_format == "base64":
            value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": value})
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }
