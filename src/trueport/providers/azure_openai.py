"""Azure OpenAI: OpenAI's wire format, addressed by deployment (the target's model) and api-version."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from trueport.providers.openai import OpenAIAdapter


class AzureOpenAIAdapter(OpenAIAdapter):
    kind: ClassVar[str] = "azure_openai"

    @staticmethod
    def _auth_headers(api_key: str) -> dict[str, str]:
        return {"api-key": api_key} if api_key else {}

    def _url(self, path: str, model: str) -> str:
        deployment = quote(model, safe="")
        version = quote(self._config.api_version or "", safe="")
        return f"{self._config.base_url}/openai/deployments/{deployment}/{path}?api-version={version}"
