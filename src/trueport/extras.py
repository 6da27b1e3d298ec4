"""The optional extras: which configured feature needs which, checked when the configuration loads.

A plain ``pip install trueport`` serves the embedded default (SQLite, in-process state, the guard,
the OpenAI, Azure OpenAI, Anthropic and Gemini providers) and the offline guard client. The heavier
backends are extras (``pyproject.toml``): ``postgres`` (asyncpg), ``redis`` (redis-py, for the
circuit breakers shared through Redis), ``aws`` (boto3: Bedrock's credential chain, where the
provider has no keys of its own, and the S3 audit archive), ``vertex`` (google-auth) and ``otel`` (OpenTelemetry); ``server`` (and
``all``) is every one of them, as the container image installs.

A configuration that names a feature whose extra is not installed is refused when it loads, in one
sentence that names the extra to install, rather than with an ``ImportError`` deep in a request.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trueport.errors import ConfigError

if TYPE_CHECKING:
    from trueport.settings import Settings


@dataclass(frozen=True, slots=True)
class Extra:
    name: str
    modules: tuple[str, ...]  # what the code that needs the extra imports

    def installed(self) -> bool:
        """Whether every module is there: found, not imported (boto3 alone would add a tenth of a
        second to every command's start); a parent package is imported to look inside it."""
        for module in self.modules:
            try:
                if importlib.util.find_spec(module) is None:
                    return False
            except (ImportError, ValueError):  # a parent missing; a module set to None in sys.modules
                return False
        return True


POSTGRES = Extra("postgres", ("asyncpg",))
REDIS = Extra("redis", ("redis",))
AWS = Extra("aws", ("boto3", "botocore"))
VERTEX = Extra("vertex", ("google.auth", "google.oauth2", "urllib3"))
OTEL = Extra("otel", ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http"))


class MissingExtra(ConfigError):
    """The configuration needs an extra that is not installed."""


def needed(settings: Settings) -> list[tuple[str, Extra]]:
    """``(feature, extra)`` for each configured feature that needs an extra (installed or not)."""
    features: list[tuple[str, Extra]] = []
    if settings.database_url.startswith("postgresql+"):
        features.append(("database: PostgreSQL", POSTGRES))
    if settings.redis is not None:
        features.append(("redis", REDIS))
    for name, provider in settings.providers.items():
        if provider.type == "bedrock" and (
            provider.access_key_id is None or provider.secret_access_key is None
        ):
            # Signing is TruePort's own (providers/sigv4.py); botocore is for the credential chain.
            features.append((f"provider {name!r} (bedrock, AWS credential chain)", AWS))
        elif provider.type == "vertex":
            features.append((f"provider {name!r} (vertex)", VERTEX))
    if settings.audit.archive_s3 is not None:
        features.append(("audit.archive_s3", AWS))
    if settings.tracing.enabled:
        features.append(("tracing.enabled", OTEL))
    return features


def missing(settings: Settings) -> list[tuple[str, Extra]]:
    """The features of ``needed`` whose extra is not installed."""
    checked: dict[str, bool] = {}
    absent: list[tuple[str, Extra]] = []
    for feature, extra in needed(settings):
        if extra.name not in checked:
            checked[extra.name] = extra.installed()
        if not checked[extra.name]:
            absent.append((feature, extra))
    return absent


def require(settings: Settings) -> None:
    """Raise ``MissingExtra``, one sentence naming what to install, unless every extra is there."""
    absent = missing(settings)
    if not absent:
        return
    names = list(dict.fromkeys(extra.name for _, extra in absent))
    features = ", ".join(f"{feature} needs {extra.name!r}" for feature, extra in absent)
    noun = "extra" if len(names) == 1 else "extras"
    raise MissingExtra(
        f"this configuration needs the TruePort {noun} {', '.join(repr(n) for n in names)}, "
        f"which {'is' if len(names) == 1 else 'are'} not installed ({features}): "
        f"pip install 'trueport[{','.join(names)}]' (or 'trueport[server]' for all of them)"
    )
