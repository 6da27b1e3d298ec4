"""The guard on the proxy path: screen the request, screen and restore the answer, guard streams.

One ``GuardService`` per process holds the detectors (models loaded once) and, in ``policies``, an
engine per tenant policy (``trueport.gateway.tenant_policies``: refreshed by the live-config watcher,
never read from the database per request). One ``CallGuard`` per request runs the engine of the
request's tenant and holds that request's redaction map, so placeholders sent to the provider are
restored in its answer (streams included) and violations are recorded with the request, under the
version of the tenant's policy that decided them.

Detectors a policy runs in ``mode: async`` are deferred by the engine: the call's guard hands the
texts it already extracted (input, output, and a stream's answer as collected) to ``scans``
(``trueport.gateway.guard_queue``), tagged with the request, key and policy version; the request
never waits for them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from trueport import tracing
from trueport.db.engine import SessionFactory
from trueport.errors import GuardUnavailable, PolicyViolation
from trueport.gateway.guard_queue import GuardScanQueue, ScanJob
from trueport.gateway.guard_report import GuardReport
from trueport.gateway.scan_pool import ScanDeadlineExceeded, ScanPool
from trueport.gateway.tenant_policies import TenantPolicies, installation_policy
from trueport.guard.base import Detector, Direction, Source
from trueport.guard.engine import Decision, GuardEngine, ScannedText
from trueport.guard.findings_cache import FindingsCache
from trueport.guard.holdback import ChunkGuard, StreamGuard
from trueport.guard.messages import (
    ChunkRestorer,
    GuardedDocument,
    completion_texts,
    guard_completion,
    guard_request,
    request_texts,
    unscanned_parts,
)
from trueport.guard.policy import Policy, RunMode
from trueport.guard.redaction import RedactionMap
from trueport.guard.scanner import Scanner
from trueport.jsonutil import JSONObject
from trueport.settings import GuardConfig

if TYPE_CHECKING:
    from trueport.guard.models import InferenceBackend

_Scanned = tuple[GuardedDocument, list[dict[str, object]]]
_PRECHECK_BYTES = 256 * 1024  # smaller bodies parse in well under a millisecond: no need


# Requests whose scanned texts are this short are scanned on the event loop, not in the pool.
INLINE_SCAN_CHARS = 2_000


class GuardService:
    def __init__(self, config: GuardConfig, detectors: list[Detector], policy: Policy):
        self.config = config
        self.detectors = detectors
        self.policy = policy  # the installation's: tenants without a policy of their own get it
        self.findings_cache = FindingsCache(config.findings_cache) if config.findings_cache else None
        self.policies = TenantPolicies(
            detectors, policy, cache=self.findings_cache, trial=config.shadow_trial
        )
        self.scanner = Scanner(detectors)  # default thresholds, for the scan API
        self.scans: GuardScanQueue | None = None  # async detectors' queue; None: deferred ones are skipped
        self.pool = ScanPool(config.scan_threads)  # inline scans run here, off the event loop
        self.models: InferenceBackend | None = None  # what the model detectors run on (guard.models)

    @classmethod
    def from_config(cls, config: GuardConfig) -> GuardService:
        from trueport.guard.registry import default_detectors

        models_dir = Path(config.models_dir) if config.models_dir else None
        built: list[InferenceBackend] = []

        def make_backend() -> InferenceBackend:
            from trueport.guard.backends import model_backend  # ONNX Runtime: only if a detector needs it

            built.append(model_backend(config.models, models_dir))  # local, or Triton (guard.models)
            return built[0]

        detectors = default_detectors(config.detectors, models_dir=models_dir, make_backend=make_backend)
        service = cls(config, detectors, installation_policy(config))
        service.models = built[0] if built else None
        return service

    async def reload_policies(self, sessions: SessionFactory) -> None:
        """Load every tenant's active policy (at start-up, then on each configuration change)."""
        await self.policies.reload(sessions)

    def policies_reloader(self, sessions: SessionFactory) -> Callable[[], Awaitable[None]]:
        """``reload_policies`` bound to ``sessions``, for the live-config watcher (``ConfigWatcher.add``)."""

        async def reload_tenant_policies() -> None:
            await self.policies.reload(sessions)

        return reload_tenant_policies

    def for_call(self, tenant_id: str | None, *, shadow_trial: bool = False) -> CallGuard:
        """A guard for one request of ``tenant_id`` (None: the installation policy), under its policy;
        with ``shadow_trial``, plus the detectors of ``guard.shadow_trial`` in shadow mode."""
        policies = self.policies
        engine = policies.trial_engine_for(tenant_id) if shadow_trial else policies.engine_for(tenant_id)
        return CallGuard(engine, self.config, scans=self.scans, pool=self.pool)

    def close(self) -> None:
        self.pool.close()

    def precheck(self, tenant_id: str, body: bytes) -> None:
        """Refuse, before it is parsed, a body with more messages than the tenant's policy scans.

        Parsing a 4 MiB body of 50,000 messages holds the event loop (and every other tenant) for tens
        of milliseconds, and its scan limit would refuse it anyway: ``"role"`` is counted in the raw
        bytes (every message has one; inside a string it would be ``\"role\"``). Only under
        ``over_limit: block``; the parsed request is checked exactly afterwards either way.
        """
        engine = self.policies.engine_for(tenant_id)
        limits = engine.policy.scan_limits
        if limits.over_limit != "block" or len(body) < _PRECHECK_BYTES or not engine.active(Direction.INPUT):
            return
        count = body.count(b'"role"')
        if count > limits.max_texts:
            raise PolicyViolation(
                f"the request has {count} messages, more than the {limits.max_texts} texts the guard "
                "policy scans (scan_limits)",
                detector="guard",
                violation_type="scan_limit_exceeded",
            )


@dataclass(slots=True)
class ChunkPipeline:
    """Output guard then placeholder restorer, chunk by chunk."""

    guard: ChunkGuard | None
    restorer: ChunkRestorer | None

    collector: AnswerCollector | None = None

    def feed(self, chunk: JSONObject) -> tuple[list[JSONObject], bool]:
        """Chunks safe to send now, and whether the stream must be cut."""
        if self.collector is not None:
            self.collector.feed(chunk)
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


_MAX_COLLECTED_CHARS = 64_000  # per choice: what async detectors see of a streamed answer


@dataclass(slots=True)
class AnswerCollector:
    """The content deltas of a streamed answer, per choice, for the async detectors (memory only)."""

    parts: dict[int, list[str]] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)

    def feed(self, chunk: JSONObject) -> None:
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            return
        for position, choice in enumerate(choices):
            delta = choice.get("delta") if isinstance(choice, dict) else None
            content = delta.get("content") if isinstance(delta, dict) else None
            if not isinstance(content, str) or not content:
                continue
            index = choice.get("index", position)
            index = index if isinstance(index, int) else position
            size = self.sizes.get(index, 0)
            if size < _MAX_COLLECTED_CHARS:
                self.parts.setdefault(index, []).append(content[: _MAX_COLLECTED_CHARS - size])
                self.sizes[index] = size + len(content)

    def texts(self) -> list[ScannedText]:
        return [
            ScannedText("".join(parts), ("choices", index, "message", "content"), Source.COMPLETION)
            for index, parts in sorted(self.parts.items())
        ]


@dataclass(slots=True)
class CallGuard:
    engine: GuardEngine
    config: GuardConfig
    redactions: RedactionMap = field(default_factory=RedactionMap)
    violations: list[JSONObject] = field(default_factory=list)
    stream_guard: StreamGuard | None = None
    scans: GuardScanQueue | None = None
    collector: AnswerCollector | None = None
    report: GuardReport = field(default_factory=GuardReport)
    pool: ScanPool | None = None  # None: scan on the calling thread (tests, tools)
    finished: bool = False  # finish_stream ran (before the answer's last bytes, or when the call ended)

    async def screen_request(
        self, request: JSONObject, *, origins: Sequence[str] | None = None
    ) -> JSONObject:
        """The request to send upstream (redacted if the policy says so); raises if it is blocked.

        ``origins``: where each message came from in the client's own request, when the request was
        translated (Anthropic ingress), so that a refusal names the client's message.
        """
        if not self.engine.active(Direction.INPUT):
            return request
        messages = request.get("messages")
        count = len(messages) if isinstance(messages, list) else 0  # before any work proportional to it
        texts = request_texts(request) if count <= self.engine.policy.scan_limits.max_texts else []
        if not self._within_limits(Direction.INPUT, max(count, len(texts)), texts):
            return request
        self._note_unscanned(request)
        scanned = await self._scan(
            Direction.INPUT,
            lambda: guard_request(self.engine, request, self.redactions),
            sum(len(text.text) for text in texts),
        )
        if scanned is None:
            return request
        guarded, records = scanned
        self._note(guarded.decision, guarded.texts, records)
        self.report.note_input(guarded.decision)
        _raise_if_blocked(guarded.decision, guarded.texts, request, origins)
        return guarded.document

    async def screen_completion(self, completion: JSONObject) -> JSONObject | None:
        """The answer for the client, or None if it was not changed (send the upstream bytes)."""
        if not self.engine.active(Direction.OUTPUT) and not self.redactions.restorable:
            return None
        texts = completion_texts(completion)
        if self.engine.active(Direction.OUTPUT) and not self._within_limits(
            Direction.OUTPUT, len(texts), texts
        ):
            return None  # an answer is never refused for its size: sent unscanned, flagged (or blocked)
        scanned = await self._scan(
            Direction.OUTPUT,
            lambda: guard_completion(self.engine, completion, self.redactions),
            sum(len(text.text) for text in texts),
        )
        if scanned is None:
            return None
        guarded, records = scanned
        self._note(guarded.decision, guarded.texts, records)
        self.report.note_output(guarded.decision)
        if guarded.decision.block is not None:
            return _content_filtered(completion)
        return None if guarded.document is completion else guarded.document

    def tell(self, headers: list[tuple[bytes, bytes]]) -> None:
        """Add the ``x-trueport-guard`` header to a call's headers (before its response starts)."""
        header = self.report.header()
        if header is not None:
            headers.append(header)

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
        if self.scans is not None and _defers(self.engine.policy, Direction.OUTPUT):
            self.collector = AnswerCollector()
        if guard is None and restorer is None and self.collector is None:
            return None
        return ChunkPipeline(guard, restorer, self.collector)

    def finish_stream(self) -> None:
        """The answer is complete: its stream findings join the violations (once, whoever calls first:
        the call's last bytes, so that the handed-over call carries them, or the handler's end)."""
        if self.finished:
            return
        self.finished = True
        if self.stream_guard is not None:
            self.violations.extend(record.as_dict() for record in self.stream_guard.records)
        if self.collector is not None:
            collected, self.collector = self.collector.texts(), None
            if collected:
                self._defer(Direction.OUTPUT, collected)

    def _within_limits(self, direction: Direction, count: int, texts: Sequence[ScannedText]) -> bool:
        """Whether the texts may be scanned; False: skip them (flagged); raises when the policy blocks."""
        limits = self.engine.policy.scan_limits
        size = sum(len(scanned.text) for scanned in texts) if count <= limits.max_texts else 0
        if count <= limits.max_texts and size <= limits.max_chars:
            return True
        what = (
            f"{count} texts, more than the {limits.max_texts}"
            if count > limits.max_texts
            else f"{size} characters, more than the {limits.max_chars}"
        )
        if limits.over_limit == "block" and direction is Direction.INPUT:
            raise PolicyViolation(
                f"the request has {what} the guard policy scans (scan_limits)",
                detector="guard",
                violation_type="scan_limit_exceeded",
            )
        self._flag(direction, "scan_limit_exceeded")
        return False

    async def _scan(
        self, direction: Direction, scan: Callable[[], GuardedDocument], chars: int
    ) -> _Scanned | None:
        if not tracing.active():
            return await self._scan_now(direction, scan, chars)
        started = tracing.wall_ns()
        with tracing.span(f"guard.{direction.value}", {"trueport.guard.chars": chars}):
            scanned = await self._scan_now(direction, scan, chars)
            if scanned is not None:
                timings = scanned[0].decision.timings
                tracing.timed_children(
                    "guard.detector", started, [(t.detector, t.elapsed_ms) for t in timings]
                )
            return scanned

    async def _scan_now(
        self, direction: Direction, scan: Callable[[], GuardedDocument], chars: int
    ) -> _Scanned | None:
        """``scan()`` in the pool within the policy's deadline; None when the deadline passed and every
        inline detector fails open (the text goes on unscanned, flagged); 503 if one fails closed.

        The violation records are made in the worker too: thousands of findings are work as well.
        Texts of at most ``INLINE_SCAN_CHARS`` are scanned on the event loop: a millisecond or two,
        less than the hand-off to a thread and back costs the whole process under load."""

        def scanned() -> _Scanned:
            guarded = scan()
            records = [record.as_dict() for record in guarded.decision.violations(guarded.texts)]
            return guarded, records

        if self.pool is None or chars <= INLINE_SCAN_CHARS:
            return scanned()
        try:
            return await self.pool.run(scanned, self.engine.policy.scan_limits.deadline_ms / 1000)
        except ScanDeadlineExceeded:
            self._flag(direction, "scan_deadline_exceeded")
            if self.engine.fails_closed(direction):
                raise GuardUnavailable(
                    "the guard could not finish scanning within its deadline and its policy fails closed"
                ) from None
            return None

    def _note_unscanned(self, request: JSONObject) -> None:
        """Record that the request's non-text parts (images, audio, files) went on unscanned: one
        ``unscanned_parts`` flag naming how many and of which types, and the count in the report."""
        kinds = unscanned_parts(request)
        if not kinds:
            return
        self.report.unscanned_parts += len(kinds)
        counted = ", ".join(f"{kind} x{kinds.count(kind)}" for kind in dict.fromkeys(kinds))
        self._flag(Direction.INPUT, "unscanned_parts", location=f"{len(kinds)} not scanned: {counted}"[:200])

    def _flag(self, direction: Direction, kind: str, *, location: str = "") -> None:
        policy = self.engine.policy
        self.violations.append(
            {
                "detector": "guard",
                "type": kind,
                "action": "flag",
                "shadow": False,
                "direction": direction.value,
                "source": Source.PROMPT.value if direction is Direction.INPUT else Source.COMPLETION.value,
                "location": location,
                "policy_version": policy.version,
                "score": 1.0,
                "start": None,
                "end": None,
            }
        )

    def _note(
        self, decision: Decision, texts: list[ScannedText], records: list[dict[str, object]] | None = None
    ) -> None:
        if records is None:
            records = [record.as_dict() for record in decision.violations(texts)]
        self.violations.extend(records)
        if decision.deferred:
            self._defer(decision.direction, texts)

    def _defer(self, direction: Direction, texts: list[ScannedText]) -> None:
        """Hand the texts to the async detectors' queue (never blocks; the queue drops when full)."""
        if self.scans is None or not any(t.text for t in texts):
            return
        # dispatch binds the request's context once per call (STYLE 9): read it only when deferring.
        bound = structlog.contextvars.get_contextvars()
        request_id = bound.get("request_id")
        if not isinstance(request_id, str):
            return  # outside a data-plane call (the scan API): nothing to attach findings to
        tenant_id, key_id = bound.get("tenant_id"), bound.get("key_id")
        self.scans.submit(
            ScanJob(
                engine=self.engine,
                direction=direction,
                texts=tuple(t for t in texts if t.text),
                request_id=request_id,
                tenant_id=tenant_id if isinstance(tenant_id, str) else None,
                key_id=key_id if isinstance(key_id, str) else None,
            )
        )


def _defers(policy: Policy, direction: Direction) -> bool:
    """Whether ``policy`` runs an async detector in ``direction``."""
    return any(
        rules.mode is RunMode.ASYNC and rules.direction(direction).active
        for rules in policy.detectors.values()
    )


def _raise_if_blocked(
    decision: Decision, texts: Sequence[ScannedText], request: JSONObject, origins: Sequence[str] | None
) -> None:
    block = decision.block
    if block is None:
        return
    if block.reason == "guard_unavailable":
        raise GuardUnavailable(f"the {block.detector} detector is unavailable and its policy fails closed")
    where, param = _where(texts[block.text_index] if block.text_index is not None else None, request, origins)
    raise PolicyViolation(
        f"the request was blocked by the {block.detector} detector ({block.type}){where}",
        detector=block.detector,
        violation_type=block.type or "unknown",
        param=param,
    )


def _where(
    scanned: ScannedText | None, request: JSONObject, origins: Sequence[str] | None
) -> tuple[str, str | None]:
    """`` in messages[3] (role: tool, tool_output)`` and ``messages[3]``: which message, never its content."""
    if scanned is None or len(scanned.path) < 2 or scanned.path[0] != "messages":
        return "", None
    index = scanned.path[1]
    if not isinstance(index, int):
        return "", None
    messages = request.get("messages")
    message = messages[index] if isinstance(messages, list) and index < len(messages) else None
    role = message.get("role") if isinstance(message, dict) else None
    location = origins[index] if origins is not None and index < len(origins) else f"messages[{index}]"
    described = f"role: {role}, {scanned.source.value}" if isinstance(role, str) else scanned.source.value
    return f" in {location} ({described})", location


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
