"""How many tokens a request may use, estimated before it is sent (no tokenizer, nothing to download).

The estimate only sizes a tokens-per-minute reservation; ``Limiter.settle`` corrects it to the
provider's own count afterwards, so it needs to be cheap and roughly right, not exact.

- Text: one token per 4 bytes of UTF-8 (about 4 characters of English, the usual rule of thumb; a
  CJK character is 3 bytes, so about 1.3 characters per token, nearer the truth than 4 would be).
  Counted: every message's text, names, tool calls and tool results, the system prompt (Anthropic's
  ``system``, the Responses API's ``instructions``), tool definitions (``tools``, ``functions``, as JSON) and a structured-output schema
  (``response_format``); embeddings ``input`` likewise (token arrays count one per element).
- Framing: ``MESSAGE_TOKENS`` per message and ``REPLY_TOKENS`` to prime the answer (OpenAI's
  published cost of its chat format is 3-4 and 3).
- Images, audio, files and documents: ``ATTACHMENT_TOKENS`` each, whatever their size (a 1024x1024
  image costs 765 tokens at OpenAI's high detail and about 1,400 at Anthropic; the base64 payload
  is never counted as text).
"""

from __future__ import annotations

import math

from trueport.jsonutil import JSONObject, dumps

BYTES_PER_TOKEN = 4
MESSAGE_TOKENS = 4
REPLY_TOKENS = 3
ATTACHMENT_TOKENS = 1_000

_ATTACHMENTS = frozenset({"image_url", "image", "input_image", "input_audio", "file", "document"})
# Keys whose values are identifiers or markup, not text the model reads.
_NOT_TEXT = frozenset({"type", "role", "id", "tool_call_id", "tool_use_id", "cache_control", "signature"})
_SCHEMAS = ("tools", "functions", "response_format")
_MAX_TOKEN_FIELDS = ("max_completion_tokens", "max_tokens", "max_output_tokens")
_MAX_DEPTH = 32


def estimate_prompt_tokens(request: JSONObject) -> int:
    """Tokens the input of an OpenAI chat, Anthropic messages or embeddings request will count as."""
    counter = _Counter()
    messages = request.get("messages")
    framing = 0
    if isinstance(messages, list):
        framing = MESSAGE_TOKENS * len(messages) + REPLY_TOKENS
        for message in messages:
            counter.walk(message)
    counter.walk(request.get("system"))
    counter.walk(request.get("instructions"))  # the Responses API's system prompt
    for field in _SCHEMAS:
        value = request.get(field)
        if value:
            counter.text_bytes += len(dumps(value))
    _count_input(counter, request.get("input"))
    return math.ceil(counter.text_bytes / BYTES_PER_TOKEN) + counter.tokens + framing


def reservation_tokens(request: JSONObject, default_max_tokens: int, *, limit: int | None = None) -> int:
    """What to reserve before forwarding: the prompt estimate plus the most the answer may use
    (``max_completion_tokens``, ``max_tokens`` or the Responses API's ``max_output_tokens``, times
    ``n`` choices).

    A request that sets neither gets ``default_max_tokens`` (per choices), but no more than half of
    what ``limit`` (the smallest tokens-per-minute limit it is held to) leaves after its prompt: the
    reservation is settled to the real count afterwards, and a default larger than the limit would
    refuse every call that does not name ``max_tokens`` (most SDK calls) although each would have
    fitted. Half, not all, so that a call whose answer was sent but not yet settled does not refuse
    the next one.
    """
    prompt = estimate_prompt_tokens(request)
    choices = _positive_int(request.get("n")) or 1
    asked = next((value for field in _MAX_TOKEN_FIELDS if (value := _positive_int(request.get(field)))), None)
    if asked is not None:
        return prompt + asked * choices
    completion = default_max_tokens * choices
    if limit is not None:
        completion = max(0, min(completion, (limit - prompt) // 2))
    return prompt + completion


def _positive_int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


class _Counter:
    __slots__ = ("text_bytes", "tokens")

    def __init__(self) -> None:
        self.text_bytes = 0
        self.tokens = 0  # counted directly: attachments, token arrays

    def walk(self, value: object, depth: int = 0) -> None:
        if isinstance(value, str):
            self.text_bytes += len(value) if value.isascii() else len(value.encode())
        elif depth >= _MAX_DEPTH:
            return  # only a contrived request nests this deep; not worth a RecursionError
        elif isinstance(value, list):
            for item in value:
                self.walk(item, depth + 1)
        elif isinstance(value, dict):
            if value.get("type") in _ATTACHMENTS:
                self.tokens += ATTACHMENT_TOKENS
                return
            for name, item in value.items():
                if name not in _NOT_TEXT:
                    self.walk(item, depth + 1)


def _count_input(counter: _Counter, value: object) -> None:
    """Embeddings ``input``: a string, a list of strings, a token array or a list of token arrays."""
    items = value if isinstance(value, list) and not _token_array(value) else [value]
    for item in items:
        if isinstance(item, list) and _token_array(item):
            counter.tokens += len(item)
        else:
            counter.walk(item)


def _token_array(value: list[object]) -> bool:
    return bool(value) and all(isinstance(item, int) for item in value)
