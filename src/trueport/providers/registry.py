"""The one place that maps a provider ``type`` to its adapter, and builds adapters from settings."""

from __future__ import annotations

import importlib

import aiohttp

from trueport.providers.base import AdapterFactory, ProviderAdapter
from trueport.settings import ProviderConfig, Settings

# Imported on first use so that a provider's module costs nothing until a config names it.
_ADAPTERS: dict[str, str] = {
    "openai": "trueport.providers.openai:OpenAIAdapter",
    "azure_openai": "trueport.providers.azure_openai:AzureOpenAIAdapter",
    "anthropic": "trueport.providers.anthropic:AnthropicAdapter",
    "gemini": "trueport.providers.gemini:GeminiAdapter",
    "bedrock": "trueport.providers.bedrock:BedrockAdapter",
    "vertex": "trueport.providers.vertex:VertexAdapter",
}


def adapter_factory(provider_type: str) -> AdapterFactory:
    module_name, _, attribute = _ADAPTERS[provider_type].partition(":")
    factory: AdapterFactory = getattr(importlib.import_module(module_name), attribute)
    return factory


def build_adapter(name: str, config: ProviderConfig, http: aiohttp.ClientSession) -> ProviderAdapter:
    return adapter_factory(config.type)(name, config, http)


def build_adapters(settings: Settings, http: aiohttp.ClientSession) -> dict[str, ProviderAdapter]:
    return {name: build_adapter(name, config, http) for name, config in settings.providers.items()}
