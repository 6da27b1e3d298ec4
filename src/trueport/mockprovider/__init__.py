"""A deterministic emulator of the providers' wire formats, for demos, tests and benchmarks.

One aiohttp server speaks:

- OpenAI: ``POST /v1/chat/completions`` (JSON and SSE), ``POST /v1/responses`` (JSON and typed SSE
  events, ``previous_response_id`` remembered in the process), ``POST /v1/embeddings``,
  ``GET /v1/models`` (credential ``Authorization: Bearer``);
- Azure OpenAI: ``POST /openai/deployments/{deployment}/chat/completions`` and ``.../embeddings``,
  ``api-version`` query parameter required (credential ``api-key``);
- Anthropic: ``POST /v1/messages`` (JSON and SSE; ``anthropic-version`` required; credential
  ``x-api-key``);
- Gemini: ``POST /v1beta/models/{model}:generateContent``, ``:streamGenerateContent?alt=sse``,
  ``:embedContent``, ``:batchEmbedContents`` (credential ``x-goog-api-key`` or ``?key=``);
- Amazon Bedrock: ``POST /model/{modelId}/converse``, ``/converse-stream`` (AWS event-stream
  frames) and ``/invoke`` (Titan and Cohere embeddings), every request SigV4-signed and the
  signature recomputed (``sigv4``: 403 on a mismatch);
- Google Vertex AI: ``POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent``,
  ``:streamGenerateContent?alt=sse``, ``:predict`` (text embeddings) and ``.../publishers/anthropic/
  models/{model}:rawPredict``, ``:streamRawPredict``; credential: a bearer token from the emulator's
  own OAuth endpoint ``POST /token`` (JWT-bearer grant signed by the test service account of
  ``GET /_mock/vertex/service-account``; see ``google_oauth``);
- introspection: ``GET /_mock/health``, ``GET``/``DELETE /_mock/requests`` (the last 200 requests),
  ``POST /_mock/reset`` (requests and fault counters).

Answers are deterministic (see ``answers``); faults are injected through the model name
(see ``faults``), e.g. ``gpt-4o+status=503`` or ``claude+cut=3``.
"""

from trueport.mockprovider.app import create_app
from trueport.mockprovider.server import MockProvider, MockProviderThread, run
from trueport.mockprovider.state import RecordedRequest

__all__ = ["MockProvider", "MockProviderThread", "RecordedRequest", "create_app", "run"]
