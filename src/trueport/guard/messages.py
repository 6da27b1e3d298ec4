"""The scannable texts of OpenAI chat requests, completions and chunks, and putting texts back.

Every text is a ``ScannedText`` with its ``path`` in the JSON document (``("messages", 2, "content")``)
and its ``Source``, from its message's role: ``system`` and ``developer`` contents are system prompts,
``user`` contents user turns (a ``DocumentPart`` inside one is a document), ``assistant`` contents
earlier assistant turns, ``tool`` (and legacy ``function``) messages tool outputs; tool-call arguments
in the history and in answers are tool arguments, answer contents are completions. ``replace_texts`` writes new texts at those paths into
a copy (the original document is never mutated; only the containers on the way are copied).

``guard_request`` and ``guard_completion`` are the whole non-streaming pipeline for the gateway;
``ChunkRestorer`` puts input placeholders back into a stream of chunks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trueport.formats.parts import DocumentPart
from trueport.guard.base import Direction, Source
from trueport.guard.engine import Decision, GuardEngine, ScannedText, TextPath
from trueport.guard.policy import Policy
from trueport.guard.redaction import RedactionMap, StreamRestorer, redact_scanned, restore_tool_arguments
from trueport.jsonutil import JSONObject

_ROLE_SOURCES = {
    "system": Source.SYSTEM,
    "developer": Source.SYSTEM,
    "user": Source.USER,
    "assistant": Source.ASSISTANT,
    "tool": Source.TOOL_OUTPUT,
    "function": Source.TOOL_OUTPUT,
}


def request_texts(request: JSONObject) -> list[ScannedText]:
    """The texts of a chat request's messages, in order, each with the source of its role."""
    texts: list[ScannedText] = []
    messages = request.get("messages")
    if not isinstance(messages, list):
        return texts
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        source = _ROLE_SOURCES.get(role, Source.PROMPT) if isinstance(role, str) else Source.PROMPT
        content = message.get("content")
        if isinstance(content, str):
            texts.append(ScannedText(content, ("messages", i, "content"), source))
        elif isinstance(content, list):
            for j, part in enumerate(content):
                if (
                    isinstance(part, dict)
                    and part.get("type") == "text"
                    and isinstance(part.get("text"), str)
                ):
                    part_source = Source.DOCUMENT if isinstance(part, DocumentPart) else source
                    texts.append(
                        ScannedText(part["text"], ("messages", i, "content", j, "text"), part_source)
                    )
        texts.extend(_tool_call_texts(message, ("messages", i)))
    return texts


_PART_TYPE = re.compile(r"^[a-z][a-z_]{0,31}$")


def unscanned_parts(request: JSONObject) -> list[str]:
    """The type of every content part of a chat request that is not text (``image_url``,
    ``input_audio``, ``file``...), in order: the guard scans text only, so these go on unscanned."""
    kinds: list[str] = []
    messages = request.get("messages")
    if not isinstance(messages, list):
        return kinds
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue  # the common case: a string
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in ("text", "refusal"):
                # The client's own type name only when it looks like one (it ends up in records).
                kinds.append(kind if isinstance(kind, str) and _PART_TYPE.match(kind) else "other")
    return kinds


def completion_texts(completion: JSONObject) -> list[ScannedText]:
    """The answer texts of a ``chat.completion``: each choice's content and tool-call arguments."""
    texts: list[ScannedText] = []
    for c, choice in enumerate(_list(completion.get("choices"))):
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(ScannedText(content, ("choices", c, "message", "content"), Source.COMPLETION))
        texts.extend(_tool_call_texts(message, ("choices", c, "message")))
    return texts


def chunk_texts(chunk: JSONObject) -> list[ScannedText]:
    """The text deltas of one ``chat.completion.chunk`` (paths point into the chunk)."""
    texts: list[ScannedText] = []
    for c, choice in enumerate(_list(chunk.get("choices"))):
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if not isinstance(delta, dict):
            continue
        content = delta.get("content")
        if isinstance(content, str):
            texts.append(ScannedText(content, ("choices", c, "delta", "content"), Source.COMPLETION))
        texts.extend(_tool_call_texts(delta, ("choices", c, "delta")))
    return texts


def _tool_call_texts(holder: JSONObject, at: TextPath) -> list[ScannedText]:
    texts: list[ScannedText] = []
    for k, call in enumerate(_list(holder.get("tool_calls"))):
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            path = (*at, "tool_calls", k, "function", "arguments")
            texts.append(ScannedText(function["arguments"], path, Source.TOOL_ARGUMENTS))
    legacy = holder.get("function_call")
    if isinstance(legacy, dict) and isinstance(legacy.get("arguments"), str):
        texts.append(
            ScannedText(legacy["arguments"], (*at, "function_call", "arguments"), Source.TOOL_ARGUMENTS)
        )
    return texts


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def replace_texts(document: JSONObject, replacements: Mapping[TextPath, str]) -> JSONObject:
    """A copy of ``document`` with the text at each path replaced; ``document`` is left untouched."""
    if not replacements:
        return document
    root: JSONObject = dict(document)
    copied: set[TextPath] = set()
    for path, text in replacements.items():
        node: Any = root
        for depth, key in enumerate(path[:-1]):
            child = node[key]
            prefix = path[: depth + 1]
            if prefix not in copied:
                child = dict(child) if isinstance(child, dict) else list(child)
                node[key] = child
                copied.add(prefix)
            node = child
        node[path[-1]] = text
    return root


@dataclass(frozen=True, slots=True)
class GuardedDocument:
    decision: Decision
    texts: list[ScannedText]
    document: JSONObject  # the redacted copy (the original itself when nothing was redacted)


def guard_request(engine: GuardEngine, request: JSONObject, redactions: RedactionMap) -> GuardedDocument:
    """Scan a chat request (input); if not blocked, ``document`` is what goes to the provider."""
    texts = request_texts(request)
    decision = engine.evaluate(texts, Direction.INPUT)
    if decision.blocked:
        return GuardedDocument(decision, texts, request)
    replaced = redact_scanned(texts, decision, redactions, reversible=True)
    return GuardedDocument(decision, texts, replace_texts(request, replaced))


def guard_completion(
    engine: GuardEngine, completion: JSONObject, redactions: RedactionMap
) -> GuardedDocument:
    """Scan a ``chat.completion`` (output), redact what the policy says (for good), then restore the
    input placeholders; if not blocked, ``document`` is what goes to the client.

    ``logprobs`` are dropped whenever something was redacted: their tokens would repeat the text.
    """
    texts = completion_texts(completion)
    decision = engine.evaluate(texts, Direction.OUTPUT)
    if decision.blocked:
        return GuardedDocument(decision, texts, completion)
    replaced = redact_scanned(texts, decision, redactions, reversible=False)
    document = replace_texts(completion, replaced)
    if replaced:
        document = _without_logprobs(document)
    return GuardedDocument(decision, texts, restore_completion(document, redactions, engine.policy))


def restore_completion(completion: JSONObject, redactions: RedactionMap, policy: Policy) -> JSONObject:
    """Input placeholders put back into a ``chat.completion`` (a copy); tool-call arguments only if the
    policy's ``restore_in_tool_arguments`` allows it."""
    if not redactions.restorable:
        return completion
    restored: dict[TextPath, str] = {}
    for scanned in completion_texts(completion):
        if scanned.source is Source.TOOL_ARGUMENTS:
            new = restore_tool_arguments(scanned.text, redactions, policy)
        else:
            new = redactions.restore(scanned.text)
        if new != scanned.text:
            restored[scanned.path] = new
    return replace_texts(completion, restored)


def _without_logprobs(completion: JSONObject) -> JSONObject:
    choices = _list(completion.get("choices"))
    if not any(isinstance(c, dict) and c.get("logprobs") for c in choices):
        return completion
    return dict(
        completion,
        choices=[dict(c, logprobs=None) if isinstance(c, dict) and c.get("logprobs") else c for c in choices],
    )


class ChunkRestorer:
    """Restores input placeholders in a stream of ``chat.completion.chunk`` objects.

    One ``StreamRestorer`` per choice content and per tool call (arguments only if the policy allows),
    so a placeholder split across chunks is restored whole; what a restorer holds is flushed into the
    chunk that carries the choice's ``finish_reason``, or into chunks made by ``finish``.
    """

    def __init__(self, redactions: RedactionMap, policy: Policy):
        self._map = redactions
        self._tool_arguments = policy.restore_in_tool_arguments
        self._restorers: dict[tuple[int, int | None], StreamRestorer] = {}
        self._template: JSONObject = {}

    @property
    def active(self) -> bool:
        return self._map.restorable

    def feed(self, chunk: JSONObject) -> JSONObject:
        if not self._map.restorable:
            return chunk
        self._template = chunk
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices:
            return chunk
        return dict(chunk, choices=[self._choice(c) if isinstance(c, dict) else c for c in choices])

    def _choice(self, choice: JSONObject) -> JSONObject:
        index = choice.get("index", 0)
        delta = choice.get("delta")
        new_delta: JSONObject = dict(delta) if isinstance(delta, dict) else {}
        content = new_delta.get("content")
        if isinstance(content, str) and content:
            new_delta["content"] = self._restorer(index, None).feed(content)
        calls = new_delta.get("tool_calls")
        if self._tool_arguments and isinstance(calls, list):
            new_delta["tool_calls"] = [self._tool_call(index, call) for call in calls]
        if choice.get("finish_reason") is not None:
            append_tails(new_delta, self._flush(index))
        return dict(choice, delta=new_delta)

    def _tool_call(self, index: int, call: Any) -> Any:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("arguments"), str):
            return call
        restorer = self._restorer(index, call.get("index", 0))
        return dict(call, function=dict(function, arguments=restorer.feed(function["arguments"])))

    def _restorer(self, index: int, tool_call: int | None) -> StreamRestorer:
        key = (index, tool_call)
        restorer = self._restorers.get(key)
        if restorer is None:
            restorer = self._restorers[key] = self._map.restorer(json_escape=tool_call is not None)
        return restorer

    def _flush(self, index: int) -> dict[int | None, str]:
        tails: dict[int | None, str] = {}
        for (choice, tool_call), restorer in self._restorers.items():
            if choice == index:
                tail = restorer.flush()
                if tail:
                    tails[tool_call] = tail
        return tails

    def finish(self) -> list[JSONObject]:
        """Chunks carrying whatever is still held (normally none: ``finish_reason`` flushes)."""
        out: list[JSONObject] = []
        for index in sorted({choice for choice, _ in self._restorers}):
            tails = self._flush(index)
            if tails:
                delta: JSONObject = {}
                append_tails(delta, tails)
                out.append(synthesized_chunk(self._template, index, delta))
        return out


def append_tails(delta: JSONObject, tails: Mapping[int | None, str]) -> None:
    """Add held-back text to a delta: ``None`` → content, an int → that tool call's arguments."""
    for tool_call, tail in tails.items():
        if tool_call is None:
            content = delta.get("content")
            delta["content"] = (content if isinstance(content, str) else "") + tail
            continue
        calls = [dict(c) if isinstance(c, dict) else c for c in _list(delta.get("tool_calls"))]
        for call in calls:
            if isinstance(call, dict) and call.get("index", 0) == tool_call:
                function = dict(call.get("function") or {})
                function["arguments"] = str(function.get("arguments") or "") + tail
                call["function"] = function
                break
        else:
            calls.append({"index": tool_call, "function": {"arguments": tail}})
        delta["tool_calls"] = calls


def synthesized_chunk(template: JSONObject, index: int, delta: JSONObject) -> JSONObject:
    """A chunk shaped like ``template`` (same id, model...) carrying ``delta`` for choice ``index``."""
    chunk: JSONObject = {
        key: template[key]
        for key in ("id", "object", "created", "model", "system_fingerprint")
        if key in template
    }
    chunk.setdefault("object", "chat.completion.chunk")
    chunk["choices"] = [{"index": index, "delta": delta, "finish_reason": None}]
    return chunk
