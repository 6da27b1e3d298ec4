"""OpenAI's Responses API: ``POST /v1/responses``, a ``response`` object or its typed SSE events.

The answer is the shared deterministic one (``answers.compose``). Each answer is remembered by its
id in this emulator process (``MockState.responses``), so a request naming it as
``previous_response_id`` continues that conversation (its texts count as prompt tokens, and an unknown
id is a 400, as at OpenAI). Fault directives in the model name apply as on chat completions.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from trueport.jsonutil import JSONObject
from trueport.mockprovider.answers import Answer, Prompt, TurnKind, compose
from trueport.mockprovider.exchange import Exchange, MockError, send_json, send_stream, sse_data
from trueport.mockprovider.faults import Faults
from trueport.mockprovider.openai_format import content_text

_TERMINAL = {
    "stop": ("completed", None),
    "length": ("incomplete", "max_output_tokens"),
    "tool": ("completed", None),
}


def _item_text(item: JSONObject) -> str:
    kind = item.get("type", "message")
    if kind == "message":
        return content_text(item.get("content"))
    if kind == "function_call_output":
        output = item.get("output")
        return output if isinstance(output, str) else content_text(output)
    if kind == "function_call":
        return str(item.get("arguments") or "")
    return ""


def _chosen_tool(body: JSONObject) -> str | None:
    tools = body.get("tools")
    choice = body.get("tool_choice", "auto")
    if not isinstance(tools, list) or choice == "none":
        return None
    if isinstance(choice, dict) and choice.get("type") == "function" and isinstance(choice.get("name"), str):
        return str(choice["name"])
    for tool in tools:
        if isinstance(tool, dict) and tool.get("type") == "function":
            if not isinstance(tool.get("name"), str):
                raise MockError(400, "a function tool needs a 'name'", param="tools")
            return str(tool["name"])
    return None  # built-in tools only: the emulator answers in text


def read_prompt(body: JSONObject, history: list[str]) -> Prompt:
    value = body.get("input")
    items: Any = [{"role": "user", "content": value}] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise MockError(400, "'input' must be a string or a non-empty array", param="input")
    texts = list(history)
    if isinstance(body.get("instructions"), str):
        texts.append(body["instructions"])
    kind: TurnKind = "user"
    last_user = last_tool = ""
    for item in items:
        if not isinstance(item, dict):
            raise MockError(400, "each input item must be an object", param="input")
        text = _item_text(item)
        texts.append(text)
        item_type = item.get("type", "message")
        if item_type == "function_call_output":
            kind, last_tool = "tool", text
        elif item_type == "message" and item.get("role") == "user":
            kind, last_user = "user", text
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise MockError(400, "'max_output_tokens' must be a positive integer", param="max_output_tokens")
    return Prompt(
        texts=texts,
        last_kind=kind,
        last_text=last_tool if kind == "tool" else last_user,
        tool=_chosen_tool(body),
        max_tokens=limit,
    )


def _usage(answer: Answer, faults: Faults) -> JSONObject:
    prompt: Any = answer.prompt_tokens
    completion: Any = answer.completion_tokens
    if faults.usage is not None:
        prompt, completion = faults.usage
    total = prompt + completion if isinstance(prompt, int) and isinstance(completion, int) else None
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": total,
    }


class _Builder:
    """The ids and objects of one answer."""

    def __init__(self, ex: Exchange, body: JSONObject, model: str, answer: Answer, faults: Faults):
        self.body, self.model, self.answer, self.faults = body, model, answer, faults
        self.ident = ex.next_id("resp_")
        self.item_id = ex.next_id("fc_" if answer.tool_call is not None else "msg_")
        self.call_id = ex.next_id("call_")
        self.sequence = 0

    def response(self, status: str, output: list[JSONObject], usage: JSONObject | None) -> JSONObject:
        final_status, reason = _TERMINAL[self.answer.stop]
        return {
            "id": self.ident,
            "object": "response",
            "created_at": int(time.time()),
            "status": status if status == "in_progress" else final_status,
            "error": None,
            "incomplete_details": {"reason": reason} if reason and status != "in_progress" else None,
            "instructions": self.body.get("instructions"),
            "max_output_tokens": self.body.get("max_output_tokens"),
            "model": self.model,
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": self.body.get("previous_response_id"),
            "store": self.body.get("store", True),
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": self.body.get("tool_choice", "auto"),
            "tools": self.body.get("tools") or [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": usage,
            "metadata": {},
        }

    def item(self, status: str, *, empty: bool = False) -> JSONObject:
        call = self.answer.tool_call
        if call is not None:
            arguments = "" if empty else call.arguments_json
            return {
                "id": self.item_id,
                "type": "function_call",
                "status": status,
                "call_id": self.call_id,
                "name": call.name,
                "arguments": arguments,
            }
        content = [] if empty else [self.part(self.answer.text)]
        return {
            "id": self.item_id,
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": content,
        }

    @staticmethod
    def part(text: str) -> JSONObject:
        return {"type": "output_text", "text": text, "annotations": []}

    def whole(self) -> JSONObject:
        return self.response("completed", [self.item("completed")], _usage(self.answer, self.faults))

    def event(self, kind: str, **data: Any) -> bytes:
        payload = {"type": kind, "sequence_number": self.sequence, **data}
        self.sequence += 1
        return sse_data(payload, event=kind)

    def events(self) -> tuple[list[bytes], list[bytes], list[bytes]]:
        at = {"item_id": self.item_id, "output_index": 0}
        lead = [
            self.event("response.created", response=self.response("in_progress", [], None)),
            self.event("response.in_progress", response=self.response("in_progress", [], None)),
            self.event(
                "response.output_item.added", output_index=0, item=self.item("in_progress", empty=True)
            ),
        ]
        call = self.answer.tool_call
        if call is None:
            lead.append(self.event("response.content_part.added", **at, content_index=0, part=self.part("")))
            content = [
                self.event("response.output_text.delta", **at, content_index=0, delta=piece)
                for piece in self.answer.pieces
            ]
            tail = [
                self.event("response.output_text.done", **at, content_index=0, text=self.answer.text),
                self.event(
                    "response.content_part.done", **at, content_index=0, part=self.part(self.answer.text)
                ),
            ]
        else:
            content = [
                self.event("response.function_call_arguments.delta", **at, delta=piece)
                for piece in self.answer.argument_pieces
            ]
            tail = [self.event("response.function_call_arguments.done", **at, arguments=call.arguments_json)]
        tail.append(self.event("response.output_item.done", output_index=0, item=self.item("completed")))
        final = self.whole()
        kind = "response.completed" if final["status"] == "completed" else "response.incomplete"
        tail.append(self.event(kind, response=final))
        return lead, content, tail


async def responses(ex: Exchange) -> web.StreamResponse:
    body = ex.body()
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise MockError(400, "'model' is required", param="model")
    history: list[str] = []
    previous = body.get("previous_response_id")
    if previous is not None:
        remembered = ex.state.responses.get(previous) if isinstance(previous, str) else None
        if remembered is None:
            raise MockError(
                400, f"Previous response with id '{previous}' not found.", param="previous_response_id"
            )
        history = remembered
    prompt = read_prompt(body, history)
    faults = await ex.apply_faults(model)
    answer = compose(prompt)
    builder = _Builder(ex, body, model, answer, faults)
    said = answer.tool_call.arguments_json if answer.tool_call is not None else answer.text
    ex.state.responses[builder.ident] = [*prompt.texts, said]
    if not body.get("stream"):
        return await send_json(ex, builder.whole(), faults)
    lead, content, tail = builder.events()
    return await send_stream(ex, faults, lead=lead, content=content, tail=tail)
