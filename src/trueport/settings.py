"""One typed settings object, loaded from a YAML file and ``TRUEPORT_*`` environment variables.

Precedence, highest first: environment variables (``TRUEPORT_DATABASE``, ``TRUEPORT_SECRET_KEY``,
nested with ``__`` as in ``TRUEPORT_LIMITS__MAX_BODY_BYTES``), then the YAML file, then defaults.
The YAML file may refer to environment variables as ``${NAME}`` or ``${NAME:-default}``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from trueport.errors import ConfigError

ProviderType = Literal["openai", "azure_openai", "anthropic", "gemini"]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderConfig(_Strict):
    """One upstream account: where it is and how to authenticate to it."""

    type: ProviderType
    base_url: str
    api_key: SecretStr = SecretStr("")
    api_version: str | None = None  # azure_openai only
    connect_timeout_s: float = Field(default=5.0, gt=0)
    timeout_s: float = Field(default=60.0, gt=0, description="Whole-response timeout (non-streaming).")
    stream_idle_timeout_s: float = Field(default=60.0, gt=0, description="Longest silence inside a stream.")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _azure_needs_version(self) -> ProviderConfig:
        if self.type == "azure_openai" and not self.api_version:
            raise ValueError("azure_openai providers need api_version")
        return self


class TargetConfig(_Strict):
    """One place a model alias can be served from."""

    provider: str
    model: str


class FallbackConfig(_Strict):
    """What a model alias answers when every target failed: a fixed message, or one more target."""

    message: str | None = None
    provider: str | None = None
    model: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> FallbackConfig:
        if (self.message is None) == (self.provider is None):
            raise ValueError("a fallback is either a message or a provider and model")
        if (self.provider is None) != (self.model is None):
            raise ValueError("a fallback target needs both provider and model")
        return self


class RouteConfig(_Strict):
    """A model alias: its targets in order, and optionally a fallback and a response cache."""

    targets: list[TargetConfig]
    fallback: FallbackConfig | None = None
    cache_ttl_s: float | None = Field(default=None, gt=0, description="Opt-in exact-match response cache.")


class LimitsConfig(_Strict):
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)


class RecordsConfig(_Strict):
    """The batched writer of request records."""

    batch_size: int = Field(default=500, gt=0)
    flush_interval_ms: int = Field(default=200, gt=0)
    max_pending: int = Field(
        default=100_000, gt=0, description="Records held in memory while the DB is down."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRUEPORT_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    environment: Literal["development", "production"] = "development"
    database: str = "sqlite:///./trueport.db"
    redis: str | None = None
    secret_key: SecretStr | None = Field(
        default=None,
        description="HMAC key for virtual keys (>= 32 bytes). If unset in development, one is generated "
        "once and kept in the database.",
    )
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    models: dict[str, RouteConfig] = Field(
        default_factory=dict, description="alias -> [targets] or {targets, fallback, cache_ttl_s}"
    )
    limits: LimitsConfig = LimitsConfig()
    records: RecordsConfig = RecordsConfig()
    key_refresh_interval_s: float = Field(default=2.0, gt=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the YAML file, which arrives as init arguments.
        return env_settings, init_settings

    @field_validator("models", mode="before")
    @classmethod
    def _routes(cls, value: object) -> object:
        # The short form `alias: [targets]` is the common case; both forms are accepted.
        if isinstance(value, dict):
            return {alias: {"targets": route} if isinstance(route, list) else route for alias, route in value.items()}
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        for alias, route in self.models.items():
            if not route.targets:
                raise ValueError(f"model {alias!r} has no targets")
            providers = [target.provider for target in route.targets]
            if route.fallback is not None and route.fallback.provider is not None:
                providers.append(route.fallback.provider)
            for provider in providers:
                if provider not in self.providers:
                    raise ValueError(f"model {alias!r} refers to unknown provider {provider!r}")
        if self.secret_key is not None and len(self.secret_key.get_secret_value().encode()) < 32:
            raise ValueError("secret_key must be at least 32 bytes")
        if self.environment == "production" and self.secret_key is None:
            raise ValueError("secret_key is required when environment is production")
        return self

    @property
    def database_url(self) -> str:
        """The SQLAlchemy async URL for ``database``."""
        return async_database_url(self.database)


def async_database_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        return url
    raise ConfigError(f"unsupported database URL scheme in {url.split(':', 1)[0]!r}")


def interpolate_env(text: str, environ: dict[str, str], missing: list[str]) -> str:
    """Replace ``${NAME}`` and ``${NAME:-default}``; names that are unset become "" and are reported."""

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        missing.append(name)
        return ""

    return _ENV_REF.sub(replace, text)


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings from a YAML file (optional) plus the environment."""
    data: dict[str, Any] = {}
    missing: list[str] = []
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        text = interpolate_env(text, dict(os.environ), missing)  # noqa: TID251 - the one place env is read
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must hold a mapping at the top level")
        data.update(loaded)
    data.update(overrides)
    try:
        settings = Settings(**data)
    except ValueError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from exc
    object.__setattr__(settings, "_missing_env", tuple(missing))
    return settings


def missing_env_vars(settings: Settings) -> tuple[str, ...]:
    """Environment variables the YAML referred to that were unset (reported as warnings at start)."""
    value: tuple[str, ...] = getattr(settings, "_missing_env", ())
    return value


CONFIG_PATH_ENV = "TRUEPORT_CONFIG"


def config_path_from_env() -> str | None:
    """The config file named by ``TRUEPORT_CONFIG`` (how ``serve --workers N`` hands it to workers)."""
    return os.environ.get(CONFIG_PATH_ENV) or None  # noqa: TID251


def load_settings_from_env() -> Settings:
    return load_settings(config_path_from_env())
