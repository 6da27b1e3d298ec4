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

from trueport import extras
from trueport.audit.config import AuditConfig
from trueport.errors import ConfigError
from trueport.flags.registry import Flag
from trueport.flags.rules import FlagRule
from trueport.manifests.config import ManifestsConfig
from trueport.platform.config import MailConfig, PlatformConfig
from trueport.platform.credentials.urls import UnsafeUrl, checked_shape
from trueport.regions import MAX_REGIONS, REGION_PATTERN, RegionName

ProviderType = Literal["openai", "azure_openai", "anthropic", "gemini", "bedrock", "vertex"]
# What a tenant may bring as its own credential: an API key and a URL. Not ``bedrock``, whose adapter
# without keys of its own would sign with the installation's AWS identity (its credential chain), nor
# ``vertex`` (the installation's Google identity: application default credentials) for the same reason.
KeyedProviderType = Literal["openai", "azure_openai", "anthropic", "gemini"]
_AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
_AWS_ONLY = ("access_key_id", "secret_access_key", "session_token", "profile")
# A Vertex AI location: a region (europe-west4, us-central1), a multi-region (us, eu) or global.
_GCP_LOCATION = re.compile(r"^(global|us|eu|[a-z]+-[a-z]+[0-9]+)$")
_GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_VERTEX_ONLY = ("project", "location", "credentials_file", "publisher")

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderConfig(_Strict):
    """One upstream account: where it is and how to authenticate to it."""

    type: ProviderType
    base_url: str  # bedrock: optional endpoint override; by default its region's bedrock-runtime endpoint
    api_key: SecretStr = SecretStr("")
    api_version: str | None = None  # azure_openai only
    # Where the provider serves from, for region pinning (``trueport.regions``); bedrock: required,
    # the AWS region it signs for and calls.
    region: str | None = Field(default=None, pattern=REGION_PATTERN)
    # bedrock only: explicit keys or a named profile instead of the default credential chain
    # (environment, shared config, web identity / IRSA, container and instance roles).
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    profile: str | None = None
    # vertex only: the Google Cloud project and location (explicit: no default region), a
    # service-account key file (else application default credentials), and the model publisher
    # (by default from the target's model name: claude-* is anthropic, anything else google).
    project: str | None = None
    location: str | None = None
    credentials_file: Path | None = None
    publisher: Literal["google", "anthropic"] | None = None
    connect_timeout_s: float = Field(default=5.0, gt=0)
    timeout_s: float = Field(default=60.0, gt=0, description="Whole-response timeout (non-streaming).")
    stream_idle_timeout_s: float = Field(default=60.0, gt=0, description="Longest silence inside a stream.")
    max_response_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        description="Largest non-streamed answer body, and largest single line or event of a stream (502 above).",
    )

    @property
    def serving_region(self) -> str | None:
        """The region that region pinning compares for this provider; None: outside every pinning.

        ``region``, or a vertex provider's ``location`` (its ``global`` endpoint has no region)."""
        if self.type == "vertex" and self.region is None:
            return self.location if self.location != "global" else None
        return self.region

    @model_validator(mode="before")
    @classmethod
    def _bedrock_endpoint(cls, data: Any) -> Any:
        """A bedrock provider without ``base_url`` calls its region's public endpoint."""
        if isinstance(data, dict) and data.get("type") == "bedrock" and not data.get("base_url"):
            region = data.get("region")
            if not isinstance(region, str) or not _AWS_REGION.match(region):
                raise ValueError("bedrock providers need region, e.g. us-east-1")
            return {**data, "base_url": f"https://bedrock-runtime.{region}.amazonaws.com"}
        if isinstance(data, dict) and data.get("type") == "vertex" and not data.get("base_url"):
            location = data.get("location")
            if not isinstance(location, str) or not _GCP_LOCATION.match(location):
                raise ValueError("vertex providers need location, e.g. europe-west4, us-central1 or global")
            host = (
                "aiplatform.googleapis.com"
                if location == "global"
                else f"{location}-aiplatform.googleapis.com"
            )
            return {**data, "base_url": f"https://{host}"}
        return data

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

    @model_validator(mode="after")
    def _vertex_settings(self) -> ProviderConfig:
        if self.type != "vertex":
            named = [name for name in _VERTEX_ONLY if getattr(self, name) is not None]
            if named:
                raise ValueError(f"{', '.join(named)}: vertex providers only")
            return self
        if self.location is None or not _GCP_LOCATION.match(self.location):
            raise ValueError("vertex providers need location, e.g. europe-west4, us-central1 or global")
        if self.project is None or not _GCP_PROJECT.match(self.project):
            raise ValueError("vertex providers need project, a Google Cloud project id (e.g. acme-prod-1)")
        if self.api_key.get_secret_value():
            raise ValueError(
                "vertex providers use OAuth tokens: set credentials_file (a service-account key) "
                "or nothing (application default credentials), not api_key"
            )
        # As for bedrock: the paths are appended to the endpoint, which must be a bare origin.
        try:
            checked_shape(self.base_url, allow_private=True)
        except UnsafeUrl as exc:
            raise ValueError(str(exc)) from None
        return self

    @model_validator(mode="after")
    def _aws_settings(self) -> ProviderConfig:
        if self.type != "bedrock":
            named = [name for name in _AWS_ONLY if getattr(self, name) is not None]
            if named:
                raise ValueError(f"{', '.join(named)}: bedrock providers only")
            return self
        if self.region is None or not _AWS_REGION.match(self.region):
            raise ValueError("bedrock providers need region, e.g. us-east-1")
        if self.api_key.get_secret_value():
            raise ValueError(
                "bedrock providers sign requests: set access_key_id and secret_access_key, "
                "a profile, or nothing (the default credential chain), not api_key"
            )
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("bedrock: access_key_id and secret_access_key go together")
        if self.session_token is not None and self.access_key_id is None:
            raise ValueError("bedrock: session_token needs access_key_id and secret_access_key")
        if self.profile is not None and self.access_key_id is not None:
            raise ValueError("bedrock: set either a profile or explicit keys, not both")
        # The endpoint (override) is signed and has the API's paths appended: no query, fragment or
        # user name, the same shape check as tenants' upstream URLs (private addresses allowed here:
        # the operator's own file, e.g. a VPC endpoint).
        try:
            checked_shape(self.base_url, allow_private=True)
        except UnsafeUrl as exc:
            raise ValueError(str(exc)) from None
        return self


class TargetConfig(_Strict):
    """One place a model alias can be served from."""

    provider: str
    model: str
    flag: Flag | None = Field(
        default=None, description="Tried only for calls this feature flag is on for (e.g. canary_targets)."
    )


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
    regions: list[RegionName] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_REGIONS,
        description="Region pinning: calls go only to targets (and a fallback) whose provider region is listed.",
    )
    fallback: FallbackConfig | None = None
    cache_ttl_s: float | None = Field(default=None, gt=0, description="Opt-in exact-match response cache.")
    default_max_tokens: int | None = Field(
        default=None,
        gt=0,
        description="Completion tokens reserved against TPM when a request sets no max_tokens.",
    )


class LimitsConfig(_Strict):
    """Request size, and requests and tokens per minute per key and per tenant (``limits:``).

    ``mode``: ``fixed`` counts per UTC minute (exact; a burst across a minute's edge may reach twice
    the limit in a moment); ``gcra`` paces evenly (at most ``gcra_burst_s`` seconds' worth of a
    request limit at once). While Redis is unreachable each replica enforces ``local_share`` of every
    limit on its own: set it to 1/N for N replicas. See ``trueport.limits.ratelimit``.
    """

    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    mode: Literal["fixed", "gcra"] = "fixed"
    gcra_burst_s: float = Field(
        default=6.0, gt=0, le=60, description="gcra: seconds' worth of the request limit allowed at once."
    )
    local_share: float = Field(
        default=1.0, gt=0, le=1, description="Share of each limit one replica enforces while Redis is down."
    )
    default_max_tokens: int = Field(
        default=4096, gt=0, description="Completion tokens reserved for a request that sets no max_tokens."
    )


class ResilienceConfig(_Strict):
    """Per-request deadline, retries and circuit breakers per provider target (``resilience:``).

    Retries repeat an attempt on the same target (before the first byte only) within ``deadline_s``,
    then failover moves on. Breakers skip a target that fails too often, answers too slowly or keeps
    failing; see ``trueport.limits.breaker``.
    """

    deadline_s: float = Field(
        default=120.0, gt=0, description="Longest wait for an answer to start, all attempts included."
    )
    attempt_timeout_s: float | None = Field(
        default=None, gt=0, description="Cap on one attempt; unset: the provider's own timeouts."
    )
    retry_max_attempts: int = Field(default=2, ge=1, description="Attempts per target (1: never retry).")
    retry_backoff_s: float = Field(default=0.05, ge=0, description="First backoff cap; doubles per retry.")
    retry_backoff_max_s: float = Field(default=2.0, ge=0)
    retry_budget_ratio: float = Field(default=0.2, ge=0, le=1, description="Retries per request, at most.")
    retry_budget_min_per_s: float = Field(default=1.0, ge=0, description="Retries always allowed per second.")
    retry_budget_window_s: float = Field(default=10.0, gt=0)
    breaker_enabled: bool = True
    breaker_window_s: float = Field(default=30.0, gt=0, description="Window of failure and slow rates.")
    breaker_min_calls: int = Field(default=20, ge=1, description="Calls in the window before rates count.")
    breaker_failure_rate: float = Field(default=0.5, gt=0, le=1)
    breaker_consecutive_failures: int = Field(default=5, ge=0, description="0: off.")
    breaker_slow_call_ms: int | None = Field(default=60_000, gt=0, description="Unset: no slow-call rule.")
    breaker_slow_call_rate: float = Field(default=0.8, gt=0, le=1)
    breaker_open_s: float = Field(default=5.0, gt=0, description="First open interval; grows per re-opening.")
    breaker_open_max_s: float = Field(default=300.0, gt=0)
    breaker_open_jitter: float = Field(default=0.2, ge=0, lt=1, description="Random share taken off.")
    breaker_half_open_probes: int = Field(default=3, ge=1, description="Probes across all replicas.")
    breaker_probe_ttl_s: float = Field(default=120.0, gt=0, description="Life of a probe token.")
    breaker_store_timeout_ms: int = Field(default=100, gt=0, description="Each Redis call's limit.")
    breaker_store_recheck_s: float = Field(default=1.0, gt=0, description="Redis retry while degraded.")
    breaker_sync_ms: int = Field(
        default=100, ge=0, description="Closed breakers: a replica's view of Redis may be this old (0: none)."
    )


_MODEL_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")


class GuardModelsConfig(_Strict):
    """Where the guard's models run (``guard.models``; docs/guard.md, "Serving the models from Triton").

    ``local``: ONNX Runtime in this process, on the repository ``guard.models_dir``. ``triton``: a Triton
    server (or any server speaking KServe v2 over HTTP) at ``url`` serving the same repository; with
    ``fallback`` a call that fails or takes longer than its timeout is answered by the local models.
    """

    backend: Literal["local", "triton"] = "local"
    url: str | None = Field(
        default=None, description="The Triton server's HTTP endpoint (e.g. http://triton:8000); triton only."
    )
    timeout_s: float = Field(
        default=0.5, gt=0, le=60, description="Longest wait for one inference call to Triton."
    )
    timeouts: dict[str, float] = Field(
        default_factory=dict, description="Per model (pii_ner, injection, bias): its own timeout_s."
    )
    fallback: bool = Field(
        default=True, description="Answer from the local models when Triton fails or is too slow."
    )
    retry_after_s: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description="After Triton failed, the local models answer alone this long before it is tried again "
        "(fallback only): a Triton that is away does not cost every scan a timeout.",
    )

    @field_validator("timeouts")
    @classmethod
    def _timeouts(cls, value: dict[str, float]) -> dict[str, float]:
        for name, seconds in value.items():
            if not _MODEL_NAME.match(name):
                raise ValueError(f"guard.models.timeouts: {name!r} is not a model name")
            if not 0 < seconds <= 60:
                raise ValueError(f"guard.models.timeouts.{name} must be > 0 and <= 60 seconds")
        return value

    @model_validator(mode="after")
    def _triton_url(self) -> GuardModelsConfig:
        if self.backend == "local":
            if self.url is not None:
                raise ValueError("guard.models.url is for backend: triton")
            return self
        if not self.url:
            raise ValueError("guard.models.backend: triton needs guard.models.url")
        # The same shape check as tenants' upstream URLs (an operator's own setting: private addresses
        # are allowed, Triton usually runs beside the gateway); the API's paths are appended to it.
        try:
            normalised, _, _ = checked_shape(self.url, allow_private=True)
        except UnsafeUrl as exc:
            message = str(exc).replace("base_url", "guard.models.url").replace("the provider's", "the API's")
            raise ValueError(message) from None
        object.__setattr__(self, "url", normalised)
        return self


class GuardConfig(_Strict):
    """Violation detection on the proxy path (see docs/guard.md)."""

    enabled: bool = True
    detectors: list[str] = Field(default_factory=lambda: ["pii", "secrets", "injection", "bias"])
    policy_file: str | None = Field(
        default=None, description="A policy as JSON; the built-in default otherwise."
    )
    models_dir: str | None = Field(
        default=None, description="The model repository; the packaged one otherwise."
    )
    models: GuardModelsConfig = GuardModelsConfig()
    window_chars: int = Field(default=256, gt=0, description="Stream hold-back window.")
    scan_every_chars: int = Field(default=64, gt=0)
    context_chars: int = Field(default=128, ge=0)
    scan_threads: int = Field(
        default=2, ge=1, le=64, description="Threads that run inline scans off the event loop (per process)."
    )
    findings_cache: int = Field(
        default=20_000,
        ge=0,
        le=10_000_000,
        description="Detector findings kept per (detector, tenant, source, text digest), so a repeated text "
        "(system prompt, earlier turns) is not scanned again; 0: no cache.",
    )
    shadow_trial: list[str] = Field(
        default_factory=list,
        description="Detectors run in shadow mode (recorded, not enforced) on the calls the "
        "guard_shadow_trial flag is on for, where the tenant's policy leaves them off.",
    )

    @model_validator(mode="after")
    def _trial_detectors_loaded(self) -> GuardConfig:
        unknown = [name for name in self.shadow_trial if name not in self.detectors]
        if unknown:
            raise ValueError(
                f"guard.shadow_trial names detectors not in guard.detectors: {', '.join(unknown)}"
            )
        return self


class ServerConfig(_Strict):
    """The HTTP server of ``trueport serve`` (``server:``; see ``trueport.serving``)."""

    header_timeout_s: float = Field(
        default=10.0, gt=0, description="A request's headers must arrive within this (408 and closed)."
    )
    body_timeout_s: float = Field(
        default=60.0, gt=0, description="A request's body must arrive within this after its headers."
    )
    keep_alive_timeout_s: float = Field(default=5.0, gt=0, description="Idle keep-alive connections.")
    forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated proxy addresses (or '*') whose X-Forwarded-For/-Proto are believed; "
        "empty: nobody's (serve --forwarded-allow-ips overrides).",
    )
    shutdown_grace_s: float = Field(
        default=30.0,
        ge=0,
        description="On SIGTERM or SIGINT, how long calls in flight (streams included) may take to finish "
        "before their connections are closed; records and audit events are written after that.",
    )


class TracingConfig(_Strict):
    """OpenTelemetry traces of data-plane calls (``tracing:``; needs the ``otel`` extra; see
    ``trueport.tracing``)."""

    enabled: bool = False
    exporter: Literal["otlp", "console"] = Field(
        default="otlp", description="otlp: OTLP over HTTP; console: spans printed as JSON on stdout."
    )
    endpoint: str | None = Field(
        default=None,
        description="The OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces); unset: OpenTelemetry's "
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT, else localhost:4318.",
    )
    service_name: str = Field(default="trueport", min_length=1, max_length=128)
    sample_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Share of new traces recorded (a client's sampled parent is followed).",
    )


class MetricsConfig(_Strict):
    """The Prometheus endpoint (``metrics:``)."""

    public: bool = Field(
        default=False,
        description="Serve /metrics to anyone. Off: it needs `Authorization: Bearer <admin_token>`, and is "
        "refused (403) while no admin_token is set.",
    )


class RecordsConfig(_Strict):
    """Request records. Written by the recorder (``recorder.*``) since the books were split off the
    serving processes: ``batch_size``, ``flush_interval_ms`` and ``max_pending`` are accepted so that
    existing config files load, and do nothing."""

    batch_size: int = Field(default=500, gt=0, description="Unused: see recorder.batch_size.")
    flush_interval_ms: int = Field(default=200, gt=0, description="Unused: see recorder.flush_interval_ms.")
    max_pending: int = Field(default=100_000, gt=0, description="Unused: the hand-off never drops a call.")
    max_lag_s: float = Field(
        default=30.0,
        gt=0,
        description="/readyz says not ready when the recorder has failed to write for this long, or the "
        "hand-off has had calls queued this long without making any durable.",
    )


class RecorderConfig(_Strict):
    """Who keeps the books (``recorder:``): serving processes hand finished calls to a recorder.

    ``run``: ``auto`` — ``trueport serve`` starts one recorder process beside its workers, and an app
    made by ``create_app`` runs the recorder in its own event loop; ``process`` — always a separate
    process started by ``trueport serve``; ``in_process`` — in each serving process; ``external`` —
    run ``trueport recorder`` yourself (e.g. as its own deployment), serving processes start none.

    ``handoff``: ``spool`` — each call's line is fsync'd to the local spool (``audit.spool_dir``), which
    the recorder on the same machine tails: durable as this machine's disk is; ``redis`` — each line is
    added to the Redis stream ``trueport:books`` (needs ``redis``): durable as Redis is (run it with
    ``appendonly yes``, ``appendfsync always``), independent of the serving replica's disk.
    """

    run: Literal["auto", "process", "in_process", "external"] = "auto"
    handoff: Literal["spool", "redis"] = "spool"
    batch_size: int = Field(default=500, gt=0, le=10_000, description="Most calls in one books transaction.")
    flush_interval_ms: int = Field(
        default=50,
        gt=0,
        le=10_000,
        description="Longest a call nobody waits for (not a 2xx answer) is held before its group is written.",
    )
    interval_ms: int = Field(
        default=250,
        ge=0,
        le=60_000,
        description="After writing less than a full batch, the recorder waits this long for the next one "
        "to fill (fewer, larger transactions: ~4x less CPU per call than chunks of 20). Records and audit "
        "events appear in the database this much later.",
    )
    member: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:\-]+$",
        description="This recorder's name in the stream's consumer group (default: host and pid). Keep it "
        "stable across restarts so that a restarted recorder re-reads what it had not acknowledged.",
    )
    claim_idle_s: float = Field(
        default=30.0,
        gt=0,
        description="Entries another recorder left unacknowledged this long are taken over.",
    )
    probe_port: int | None = Field(
        default=None,
        ge=0,
        le=65_535,
        description="Where the recorder process serves /healthz, /readyz and /metrics (none by default).",
    )
    probe_host: str = Field(
        default="127.0.0.1",
        max_length=255,
        description="The address recorder.probe_port binds (0.0.0.0 in a container, for the kubelet and Prometheus).",
    )


class EventsConfig(_Strict):
    """The event bus (``events:``): how often a consumer may fail a message before it is parked."""

    max_deliveries: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Deliveries of a bus message a consumer group may fail (not acknowledge) before it is "
        "moved to its topic's dead-letter stream (trueport:events:dead:<topic>) and acknowledged.",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRUEPORT_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    environment: Literal["development", "production"] = "development"
    database: str = "sqlite:///./trueport.db"
    redis: str | None = None
    redis_timeout_ms: int = Field(
        default=100, gt=0, description="Limit on each Redis call; past it the call is served locally."
    )
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
    recorder: RecorderConfig = RecorderConfig()
    guard: GuardConfig = GuardConfig()
    audit: AuditConfig = AuditConfig()
    manifests: ManifestsConfig = ManifestsConfig()
    events: EventsConfig = EventsConfig()
    resilience: ResilienceConfig = ResilienceConfig()
    platform: PlatformConfig = PlatformConfig()
    mail: MailConfig = MailConfig()
    metrics: MetricsConfig = MetricsConfig()
    tracing: TracingConfig = TracingConfig()
    server: ServerConfig = ServerConfig()
    flags: dict[Flag, FlagRule] = Field(
        default_factory=dict,
        description="Installation-wide feature flag rules (docs/flags.md); unnamed flags keep their default.",
    )
    admin_token: SecretStr | None = Field(
        default=None, description="Bearer token for /metrics and /api/v1/providers/status (operators)."
    )
    key_refresh_interval_s: float = Field(
        default=60.0,
        gt=0,
        description="Safety net: the longest a key change takes to reach a gateway if both the push "
        "and the poll of the configuration generation (platform.live_config_poll_s) failed.",
    )
    idempotency_wait_s: float = Field(
        default=120.0,
        gt=0,
        description="How long a duplicate waits for the first request with its Idempotency-Key.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="Logs on stderr: json lines, or readable console lines; auto: console on a terminal.",
    )

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
            return {
                alias: {"targets": route} if isinstance(route, list) else route
                for alias, route in value.items()
            }
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        for alias, route in self.models.items():
            if not route.targets:
                raise ValueError(f"model {alias!r} has no targets")
            providers = [target.provider for target in route.targets]
            if all(target.flag is not None for target in route.targets):
                raise ValueError(f"model {alias!r} needs at least one target that no flag holds back")
            if route.fallback is not None and route.fallback.provider is not None:
                providers.append(route.fallback.provider)
            for provider in providers:
                if provider not in self.providers:
                    raise ValueError(f"model {alias!r} refers to unknown provider {provider!r}")
        for provider in self.platform.tenant_shared_models:
            if provider not in self.providers:
                raise ValueError(f"platform.tenant_shared_models names unknown provider {provider!r}")
        if self.recorder.handoff == "redis" and self.redis is None:
            raise ValueError("recorder.handoff: redis needs redis (the stream lives there)")
        if self.secret_key is not None and len(self.secret_key.get_secret_value().encode()) < 32:
            raise ValueError("secret_key must be at least 32 bytes")
        if self.environment == "production" and self.secret_key is None:
            raise ValueError("secret_key is required when environment is production")
        if self.environment == "production" and self.platform.jwt_secret is None:
            raise ValueError("platform.jwt_secret is required when environment is production")
        if self.environment == "production" and not self.platform.master_keys:
            raise ValueError("platform.master_keys is required when environment is production")
        return self

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def private_upstreams_allowed(self) -> bool:
        """May tenant-supplied provider URLs point at loopback or private networks (SSRF guard)?"""
        allowed = self.platform.allow_private_upstreams
        return self.development if allowed is None else allowed

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


def load_yaml_with_env(text: str, environ: dict[str, str], missing: list[str]) -> Any:
    """The YAML document, with ``${NAME}`` / ``${NAME:-default}`` replaced inside its scalars.

    Replacing in the parsed scalars rather than in the text leaves comments alone (a commented-out
    ``${KEY}`` is not reported missing), and a value cannot add structure (a variable holding a
    newline or ``: `` stays one string). A plain (unquoted) scalar is typed after replacement, as if
    written there (``port: ${PORT}`` is a number); a quoted one stays a string.
    """
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        pending: list[yaml.Node] = [root]
        while pending:
            node = pending.pop()
            if isinstance(node, yaml.ScalarNode):
                if isinstance(node.value, str) and "${" in node.value:
                    node.value = interpolate_env(node.value, environ, missing)
                    if node.style is None and node.tag == yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG:
                        node.tag = loader.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
            elif isinstance(node, yaml.SequenceNode):
                pending.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                pending.extend(part for pair in node.value for part in pair)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _reference_hint(text: str, exc: yaml.YAMLError) -> str:
    """A hint when the line YAML stumbled on holds a ``${...}``: unquoted inside ``{ }`` or ``[ ]`` it
    is not valid YAML (the references are replaced in the parsed values, not in the text)."""
    mark = getattr(exc, "problem_mark", None)
    lines = text.splitlines()
    if mark is None or not 0 <= mark.line < len(lines) or "${" not in lines[mark.line]:
        return ""
    return ' (a ${VAR} inside { } or [ ] must be quoted: "${VAR}")'


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
        try:
            loaded = load_yaml_with_env(text, dict(os.environ), missing)  # noqa: TID251 - the one place env is read
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"config file {path} is not valid YAML: {exc}{_reference_hint(text, exc)}"
            ) from exc
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
    extras.require(settings)  # a feature whose optional extra is absent: one sentence, now
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
