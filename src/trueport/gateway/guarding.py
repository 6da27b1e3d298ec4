"""The guard on the proxy path: screen the request, screen and restore the answer, guard streams.

One ``GuardService`` per process holds the detectors (models loaded once) and, in ``policies``, an
engine per tenant policy (``trueport.gateway.tenant_policies``: refreshed by the live-config watcher,
never read from the database per request). One ``CallGuard`` per request runs the engine of the
request's tenant and holds that request's redaction map, so placeholders sent to the provider are
restored in its answer (streams included) and violations are recorded with the request, under the
version of the tenant's policy that decided them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from trueport.db.engine import SessionFactory
from trueport.errors import GuardUnavailable, PolicyViolation
from trueport.gateway.tenant_policies import TenantPolicies, installation_policy
from trueport.guard.base import Detector, Direction
from trueport.guard.engine import Decision, GuardEngine, ScannedText
from trueport.guard.holdback import ChunkGuard, StreamGuard
from trueport.guard.messages import ChunkRestorer, guard_completion, guard_request
from trueport.guard.policy import Policy
from trueport.guard.redaction import RedactionMap
from trueport.guard.scanner import Scanner
from trueport.jsonutil import JSONObject
from trueport.settings import GuardConfig


class GuardService:
    def __init__(self, config: GuardConfig, detectors: list[Detector], policy: Policy):
        self.config = config
        self.detectors = detectors
        self.policy = policy  # the installation's: tenants without a policy of their own get it
        self.policies = TenantPolicies(detectors, policy)
        self.scanner = Scanner(detectors)  # default thresholds, for the scan API

    @classmethod
    def from_config(cls, config: GuardConfig) -> GuardService:
        from trueport.guard.registry import default_detectors

        models_dir = Path(config.models_dir) if config.models_dir else None
        detectors = default_detectors(config.detectors, models_dir=models_dir)
        return cls(config, detectors, installation_policy(config))

    async def reload_policies(self, sessions: SessionFactory) -> None:
        """Load every tenant's active policy (at start-up, then on each configuration change)."""
        await self.policies.reload(sessions)

    def policies_reloader(self, sessions: SessionFactory) -> Callable[[], Awaitable[None]]:
        """``reload_policies`` bound to ``sessions``, for the live-config watcher (``ConfigWatcher.add``)."""

        async def reload_tenant_policies() -> None:
            await self.policies.reload(sessions)

        return reload_tenant_policies

    def for_call(self, tenant_id: str | None) -> CallGuard:
        """A guard for one request of ``tenant_id`` (None: the installation policy), under its policy."""
        return CallGuard(self.policies.engine_for(tenant_id), self.config)


@dataclass(slots=True)
class ChunkPipeline:
    """Output guard then placeholder restorer, chunk by chunk."""

    guard: ChunkGuard | None
    restorer: ChunkRestorer | None

    def feed(self, chunk: JSONObject) -> tuple[list[JSONObject], bool]:
        """Chunks safe to send now, and whether the stream must be cut."""
        released = [chunk]
        if self.guard is not None:
            result = self.guard.feed(chunk)
            if result.cut is not None:
                return [], True
            released = list(result.chunks)
        return self._restore(released), False

    def finish(self) -> tuple[list[JSONObject], bool]:
        released: list[JSONObject] = []
        if self.guard is not None:
            result = self.guard.finish()
            if result.cut is not None:
                return [], True
            released = list(result.chunks)
        out = self._restore(released)
        if self.restorer is not None:
            out.extend(self.restorer.finish())
        return out, False

    def _restore(self, chunks: list[JSONObject]) -> list[JSONObject]:
        if self.restorer is None:
            return chunks
        return [self.restorer.feed(chunk) for chunk in chunks]


@dataclass(slots=True)
class CallGuard:
    engine: GuardEngine
    config: GuardConfig
    redactions: RedactionMap = field(default_factory=RedactionMap)
    violations: list[JSONObject] = field(default_factory=list)
    stream_guard: StreamGuard | None = None

    def screen_request(self, request: JSONObject) -> JSONObject:
        """The request to send upstream (redacted if the policy says so); raises if it is blocked."""
        if not self.engine.active(Direction.INPUT):
            return request
        guarded = guard_request(self.engine, request, self.redactions)
        self._note(guarded.decision, guarded.texts)
        _raise_if_blocked(guarded.decision)
        return guarded.document

    def screen_completion(self, completion: JSONObject) -> JSONObject | None:
        """The answer for the client, or None if it was not changed (send the upstream bytes)."""
        if not self.engine.active(Direction.OUTPUT) and not self.redactions.restorable:
            return None
        guarded = guard_completion(self.engine, completion, self.redactions)
        self._note(guarded.decision, guarded.texts)
        if guarded.decision.block is not None:
            return _content_filtered(completion)
        return None if guarded.document is completion else guarded.document

    def chunk_pipeline(self) -> ChunkPipeline | None:
        guard: ChunkGuard | None = None
        if self.engine.has_inline(Direction.OUTPUT):
            self.stream_guard = StreamGuard(
                self.engine,
                self.redactions,
                window_chars=self.config.window_chars,
                scan_every_chars=self.config.scan_every_chars,
                context_chars=self.config.context_chars,
            )
            guard = ChunkGuard(self.stream_guard)
        restorer = ChunkRestorer(self.redactions, self.engine.policy) if self.redactions.restorable else None
        if guard is None and restorer is None:
            return None
        return ChunkPipeline(guard, restorer)

    def finish_stream(self) -> None:
        if self.stream_guard is not None:
            self.violations.extend(record.as_dict() for record in self.stream_guard.records)

    def _note(self, decision: Decision, texts: list[ScannedText]) -> None:
        self.violations.extend(record.as_dict() for record in decision.violations(texts))


def _raise_if_blocked(decision: Decision) -> None:
    block = decision.block
    if block is None:
        return
    if block.reason == "guard_unavailable":
        raise GuardUnavailable(f"the {block.detector} detector is unavailable and its policy fails closed")
    raise PolicyViolation(
        f"the request was blocked by the {block.detector} detector ({block.type})",
        detector=block.detector,
        violation_type=block.type or "unknown",
    )


def _content_filtered(completion: JSONObject) -> JSONObject:
    """What the client gets when the answer itself is blocked: OpenAI's content_filter ending."""
    choices = [
        {
            "index": c.get("index", i),
            "message": {"role": "assistant", "content": None},
            "finish_reason": "content_filter",
            "logprobs": None,
        }
        for i, c in enumerate(completion.get("choices") or [{}])
    ]
    return {**completion, "choices": choices}
