"""Azure OpenAI: OpenAI's bodies under ``/openai/deployments/{deployment}``; the deployment is the model."""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web

from trueport.mockprovider.exchange import Exchange, MockError
from trueport.mockprovider.openai_format import OpenAIDialect, answer_chat, answer_embeddings


class AzureDialect(OpenAIDialect):
    name: ClassVar[str] = "azure"
    credential_hint: ClassVar[str] = "api-key: <key>"
    request_id_header: ClassVar[str] = "apim-request-id"

    def credential(self, request: web.Request) -> str | None:
        return request.headers.get("api-key") or None


def _deployment(ex: Exchange) -> str:
    """The deployment named in the path, once the required ``api-version`` is checked."""
    if not ex.request.query.get("api-version"):
        raise MockError(
            400,
            "the 'api-version' query parameter is required",
            param="api-version",
            code="missing_api_version",
        )
    return ex.request.match_info["deployment"]


async def chat(ex: Exchange) -> web.StreamResponse:
    deployment = _deployment(ex)
    return await answer_chat(ex, ex.body(), deployment)


async def embeddings(ex: Exchange) -> web.StreamResponse:
    deployment = _deployment(ex)
    return await answer_embeddings(ex, ex.body(), deployment)
