"""The emulator's deterministic answers, independent of any wire format.

Each format module reads its request into a ``Prompt``; ``compose`` turns that into an ``Answer``:

- the last turn is a user message and a tool is to be called: a call to that tool with the
  arguments ``{"input": <last user text>}``;
- otherwise ``"Echo: " + <text of the last user message, or of the last tool result>``, cut to
  ``max_tokens`` words when given.

Tokens are words (runs of non-space characters): prompt tokens are the words of all input text
(at least 1), completion tokens the words of the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from trueport.jsonutil import JSONObject, dumps

Stop = Literal["stop", "length", "tool"]
TurnKind = Literal["user", "tool"]

_PIECE = re.compile(r"\s*\S+")


def count_words(text: str) -> int:
    return len(text.split())


def split_pieces(text: str) -> list[str]:
    """Cut ``text`` into word-sized pieces (leading space kept) whose concatenation is ``text``."""
    pieces: list[str] = _PIECE.findall(text)
    tail = text[sum(map(len, pieces)) :]
    if tail:
        if pieces:
            pieces[-1] += tail
        else:
            pieces.append(tail)
    return pieces


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a request asks, in provider-neutral terms."""

    texts: list[str]
    """Every piece of input text (system, messages, tool results), for the prompt token count."""
    last_kind: TurnKind
    last_text: str
    """The last user message's text, or the last tool result's text when ``last_kind`` is "tool"."""
    tool: str | None = None
    """The tool to call when the last turn is the user's (``None``: no tools, or tool choice none)."""
    max_tokens: int | None = None

    @property
    def prompt_tokens(self) -> int:
        return max(1, sum(count_words(text) for text in self.texts))


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    arguments: JSONObject

    @property
    def arguments_json(self) -> str:
        return dumps(self.arguments).decode()


@dataclass(frozen=True, slots=True)
class Answer:
    pieces: list[str]
    """The answer text in stream-sized pieces; empty for a tool call."""
    stop: Stop
    prompt_tokens: int
    completion_tokens: int
    tool_call: ToolCall | None = None
    argument_pieces: list[str] = field(default_factory=list)
    """The tool call's JSON arguments in stream-sized pieces."""

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def compose(prompt: Prompt) -> Answer:
    """The answer to ``prompt``; see the module docstring."""
    if prompt.last_kind == "user" and prompt.tool is not None:
        call = ToolCall(prompt.tool, {"input": prompt.last_text})
        argument_pieces = split_pieces(call.arguments_json)
        return Answer(
            pieces=[],
            stop="tool",
            prompt_tokens=prompt.prompt_tokens,
            completion_tokens=max(1, len(argument_pieces)),
            tool_call=call,
            argument_pieces=argument_pieces,
        )
    pieces = split_pieces("Echo: " + prompt.last_text)
    stop: Stop = "stop"
    if prompt.max_tokens is not None and len(pieces) > prompt.max_tokens:
        pieces = pieces[: max(prompt.max_tokens, 0)]
        stop = "length"
    return Answer(pieces=pieces, stop=stop, prompt_tokens=prompt.prompt_tokens, completion_tokens=len(pieces))
