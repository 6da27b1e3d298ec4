"""Output scanning of streams with a bounded hold-back window.

``StreamGuard`` is fed the text deltas of an answer, one channel per choice's content and per
tool call's arguments, and returns what may be sent to the client now. It keeps the last
``window_chars`` of each channel unreleased, scans the unreleased text (plus ``context_chars`` of
what was already released, so detectors see across the boundary) with the engine's output
detectors, and releases the prefix that the scan cleared:

- a **block** verdict (or a detector failing closed) returns a ``Cut``: the gateway ends the stream
  with an error event; nothing more is released on any channel;
- a **redact** verdict replaces the span in the held text before it is released (with an output
  placeholder that is never restored); a span that reaches into the last ``window_chars`` (it may
  still be growing) holds the release point back to its start;
- ``flag`` and shadow findings are recorded once each, when settled.

``finish`` scans the tail of a channel with no lookahead needed and releases it.

**Guarantee.** A character at offset ``p`` of a channel is released only after a scan whose text
held it together with at least ``window_chars`` characters after it (or everything up to the end
of the channel, at ``finish``), and that scan found nothing to block. Hence a forbidden span of at
most ``window_chars + 1`` characters that the detector finds when shown the span (plus up to
``context_chars`` before the release point) is never released, not even its first character, however
the stream is chunked: the scan that would release its first character contains all of it. Detectors
whose verdict needs a longer lookahead (a PEM block, a long document) need a larger window, or must
flag the prefix that announces them. The cost of the guarantee is latency: the first characters
reach the client once ``window_chars`` more have arrived, and an answer shorter than the window is
released whole at the end.

Cost: a scan covers at most ``context_chars + window_chars + scan_every_chars`` characters and runs
once per ``scan_every_chars`` new characters (and only once more than ``window_chars`` are held), so
the work is linear in the answer's length (each character is scanned about
``(context + window + every) / every`` times: 7 times with the defaults 128/256/64). Held text is at
most ``window_chars + scan_every_chars`` (plus the last delta), or up to ``window_chars`` more while a
redact span that may still be growing sits across the release point.

``ChunkGuard`` applies a ``StreamGuard`` to OpenAI ``chat.completion.chunk`` objects.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from trueport.guard.base import Direction, Source
from trueport.guard.engine import (
    AppliedFinding,
    BlockReasonKind,
    DetectorFailure,
    GuardEngine,
    ScannedText,
    TextPath,
    ViolationRecord,
    format_path,
)
from trueport.guard.messages import append_tails, synthesized_chunk
from trueport.guard.policy import Action
from trueport.guard.redaction import RedactionMap, Span, merge_spans
from trueport.jsonutil import JSONObject

ChannelKey = tuple[int, int | None]  # (choice index, tool-call index or None for the content)


@dataclass(frozen=True, slots=True)
class Cut:
    """Why a stream was cut; never the content."""

    reason: BlockReasonKind
    detector: str
    type: str | None
    location: str  # e.g. "choices[0].delta.content"


@dataclass(frozen=True, slots=True)
class Release:
    text: str = ""
    cut: Cut | None = None


_NOTHING = Release()  # shared: the common answer, and frozen


@dataclass(slots=True)
class _Channel:
    path: TextPath
    source: Source
    text: str = ""  # the raw text from offset ``base`` on
    base: int = 0
    released: int = 0  # absolute offset up to which text has been released
    scanned: int = 0  # absolute length at the last scan

    @property
    def end(self) -> int:
        return self.base + len(self.text)


@dataclass(slots=True)
class StreamGuardStats:
    scans: int = 0
    scan_ns: int = 0
    over_budget: dict[str, int] = field(default_factory=dict)


class StreamGuard:
    def __init__(
        self,
        engine: GuardEngine,
        redactions: RedactionMap | None = None,
        *,
        window_chars: int = 256,
        scan_every_chars: int = 64,
        context_chars: int = 128,
    ):
        if window_chars < 1 or scan_every_chars < 1 or context_chars < 0:
            raise ValueError("window_chars and scan_every_chars must be positive, context_chars >= 0")
        self._engine = engine
        self._redactions = redactions if redactions is not None else RedactionMap()
        self.window = window_chars
        self.every = scan_every_chars
        self.context = context_chars
        self._channels: dict[ChannelKey, _Channel] = {}
        self._recorded: set[tuple[ChannelKey, str, str, int | None, int | None]] = set()
        self.cut: Cut | None = None
        self.records: list[ViolationRecord] = []
        self.failures: list[DetectorFailure] = []
        self.stats = StreamGuardStats()
        self._pass_through = not engine.has_inline(Direction.OUTPUT)

    def feed(self, delta: str, *, choice: int = 0, tool_call: int | None = None) -> Release:
        """Add a delta; returns the text now cleared for the client (often ``""``) or the cut."""
        if self.cut is not None:
            return Release("", self.cut)
        if self._pass_through:
            return Release(delta)
        channel = self._channel((choice, tool_call))
        channel.text += delta
        end = channel.end
        if end - channel.released <= self.window or end - channel.scanned < self.every:
            return _NOTHING
        return self._scan((choice, tool_call), channel, final=False)

    def finish(self, *, choice: int = 0, tool_call: int | None = None) -> Release:
        """Scan and release the rest of one channel (its stream or tool call ended)."""
        if self.cut is not None:
            return Release("", self.cut)
        key = (choice, tool_call)
        channel = self._channels.get(key)
        if channel is None or channel.released == channel.end:
            return _NOTHING
        return self._scan(key, channel, final=True)

    def pending(self, choice: int | None = None) -> list[ChannelKey]:
        """Channels (of one choice, or all) still holding unreleased text."""
        return [
            key
            for key, channel in self._channels.items()
            if channel.released < channel.end and (choice is None or key[0] == choice)
        ]

    def _channel(self, key: ChannelKey) -> _Channel:
        channel = self._channels.get(key)
        if channel is None:
            choice, tool_call = key
            if tool_call is None:
                channel = _Channel(("choices", choice, "delta", "content"), Source.COMPLETION)
            else:
                path = ("choices", choice, "delta", "tool_calls", tool_call, "function", "arguments")
                channel = _Channel(path, Source.TOOL_ARGUMENTS)
            self._channels[key] = channel
        return channel

    def _scan(self, key: ChannelKey, channel: _Channel, *, final: bool) -> Release:
        started = time.perf_counter_ns()
        scanned = ScannedText(channel.text, channel.path, channel.source)
        decision = self._engine.evaluate([scanned], Direction.OUTPUT)
        self.stats.scans += 1
        for name in decision.over_budget:
            self.stats.over_budget[name] = self.stats.over_budget.get(name, 0) + 1
        self.failures.extend(decision.failures)
        end = channel.end
        channel.scanned = end
        limit = end if final else end - self.window
        base = channel.base

        if decision.block is not None:
            for applied in decision.findings:
                self._record(key, channel, applied, settled=True)
            block = decision.block
            self.cut = Cut(block.reason, block.detector, block.type, format_path(channel.path))
            self.stats.scan_ns += time.perf_counter_ns() - started
            return Release("", self.cut)

        spans: list[Span] = []  # enforced redactions, in channel text coordinates
        whole: list[Span] = []  # whole-text redact verdicts: clipped to what is released, never held
        for applied in decision.findings:
            finding = applied.finding
            settled = final or finding.start is None or base + (finding.end or 0) <= limit
            self._record(key, channel, applied, settled=settled)
            if applied.enforced and applied.action is Action.REDACT:
                if finding.start is None or finding.end is None:
                    whole.append(Span(0, len(channel.text), finding.type, finding.detector, finding.score))
                else:
                    spans.append(
                        Span(finding.start, finding.end, finding.type, finding.detector, finding.score)
                    )

        start = channel.released - base  # in channel text coordinates, like release_to
        release_to = max(limit - base, start)
        if not final:
            for span in merge_spans(spans, len(channel.text)):
                if start <= span.start < release_to < span.end and span.end - span.start <= self.window:
                    release_to = span.start  # it may still be growing: hold all of it
        if release_to <= start:
            self.stats.scan_ns += time.perf_counter_ns() - started
            return _NOTHING
        segment = channel.text[start:release_to]
        shifted = [Span(s.start - start, s.end - start, s.type, s.detector, s.score) for s in spans + whole]
        out = self._redactions.redact(segment, shifted, reversible=False) if shifted else segment
        channel.released = base + release_to
        keep_from = max(0, release_to - self.context)
        if keep_from:
            channel.text = channel.text[keep_from:]
            channel.base = base + keep_from
        self.stats.scan_ns += time.perf_counter_ns() - started
        return Release(out)

    def _record(self, key: ChannelKey, channel: _Channel, applied: AppliedFinding, *, settled: bool) -> None:
        if not settled:
            return
        finding = applied.finding
        start = None if finding.start is None else channel.base + finding.start
        end = None if finding.end is None else channel.base + finding.end
        detector = finding.detector
        marker = (key, detector, finding.type, start, end)
        if marker in self._recorded:
            return
        self._recorded.add(marker)
        self.records.append(
            ViolationRecord(
                detector=detector,
                type=finding.type,
                action=applied.action,
                shadow=applied.shadow,
                direction=Direction.OUTPUT,
                source=channel.source,
                location=format_path(channel.path),
                policy_version=self._engine.policy.version,
                score=finding.score,
                start=start,
                end=end,
                review=applied.action is Action.FLAG
                and not applied.shadow
                and detector in self._engine.reviewed(Direction.OUTPUT),
            )
        )


@dataclass(frozen=True, slots=True)
class ChunkRelease:
    chunks: list[JSONObject]
    cut: Cut | None = None


class ChunkGuard:
    """A ``StreamGuard`` over ``chat.completion.chunk`` objects.

    Content and tool-call argument deltas go through the guard; everything else (role, tool-call id
    and name, usage) passes at once. A choice's held text is flushed into the chunk that carries its
    ``finish_reason``; a usage-only chunk (the last) first flushes everything. ``logprobs`` are
    dropped: their tokens would repeat held text ahead of its verdict.
    """

    def __init__(self, guard: StreamGuard):
        self.guard = guard
        self._template: JSONObject = {}

    def feed(self, chunk: JSONObject) -> ChunkRelease:
        if self.guard.cut is not None:
            return ChunkRelease([], self.guard.cut)
        self._template = chunk
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices:
            flushed = self.finish()
            return ChunkRelease([*flushed.chunks, chunk] if flushed.cut is None else [], flushed.cut)
        kept: list[JSONObject] = []
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            guarded = self._choice(choice)
            if self.guard.cut is not None:
                return ChunkRelease([], self.guard.cut)
            if guarded is not None:
                kept.append(guarded)
        if not kept and chunk.get("usage") is None:
            return ChunkRelease([])
        return ChunkRelease([dict(chunk, choices=kept)])

    def finish(self) -> ChunkRelease:
        """Scan and release everything still held (the upstream stream ended)."""
        out: list[JSONObject] = []
        for index in sorted({choice for choice, _ in self.guard.pending()}):
            tails = self._flush(index)
            if self.guard.cut is not None:
                return ChunkRelease([], self.guard.cut)
            if tails:
                delta: JSONObject = {}
                append_tails(delta, tails)
                out.append(synthesized_chunk(self._template, index, delta))
        return ChunkRelease(out)

    def _choice(self, choice: JSONObject) -> JSONObject | None:
        index = choice.get("index", 0)
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            delta = {}
        new_delta: JSONObject = dict(delta)
        content = delta.get("content")
        if isinstance(content, str) and content:
            released = self.guard.feed(content, choice=index).text
            if released:
                new_delta["content"] = released
            else:
                del new_delta["content"]
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            kept_calls = [c for c in (self._tool_call(index, call) for call in calls) if c is not None]
            if kept_calls:
                new_delta["tool_calls"] = kept_calls
            else:
                del new_delta["tool_calls"]
        finished = choice.get("finish_reason") is not None
        if finished:
            append_tails(new_delta, self._flush(index))
        if self.guard.cut is not None:
            return None
        if delta and not new_delta and not finished:
            return None  # everything in it is held back
        new_choice = dict(choice, delta=new_delta)
        if new_choice.get("logprobs") is not None:
            new_choice["logprobs"] = None
        return new_choice

    def _tool_call(self, index: int, call: object) -> JSONObject | None:
        if not isinstance(call, dict):
            return None
        function = call.get("function")
        arguments = function.get("arguments") if isinstance(function, dict) else None
        if not isinstance(function, dict) or not isinstance(arguments, str) or not arguments:
            return call
        released = self.guard.feed(arguments, choice=index, tool_call=call.get("index", 0)).text
        if released:
            return dict(call, function=dict(function, arguments=released))
        rest = {k: v for k, v in call.items() if k not in ("index", "function")}
        named = {k: v for k, v in function.items() if k != "arguments"}
        if not rest and not named:
            return None  # only held-back arguments
        return dict(call, function=dict(named, arguments=""))

    def _flush(self, index: int) -> dict[int | None, str]:
        tails: dict[int | None, str] = {}
        for _, tool_call in self.guard.pending(index):
            release = self.guard.finish(choice=index, tool_call=tool_call)
            if release.cut is not None:
                return {}
            if release.text:
                tails[tool_call] = release.text
        return tails
