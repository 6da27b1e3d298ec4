from __future__ import annotations

import copy

from tests.guard.test_engine import KEY, bias, injection, pii, secrets

from trueport.formats.parts import DocumentPart
from trueport.guard.base import Source
from trueport.guard.engine import GuardEngine
from trueport.guard.messages import (
    ChunkRestorer,
    chunk_texts,
    completion_texts,
    guard_completion,
    guard_request,
    replace_texts,
    request_texts,
)
from trueport.guard.policy import Action, DirectionPolicy, Policy, default_policy
from trueport.guard.redaction import RedactionMap
from trueport.jsonutil import JSONObject, loads

REQUEST: JSONObject = {
    "model": "m",
    "messages": [
        {"role": "system", "content": "You are helpful."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "I am Alice Smith, alice@example.com"},
                {"type": "image_url", "image_url": {"url": "data:..."}},
                {"type": "text", "text": "what is my name?"},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "crm", "arguments": '{"q": "x"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "record: bob@example.com"},
    ],
}


def redacting_names(policy: Policy) -> Policy:
    """``policy`` with names redacted on the way in (the default only flags them)."""
    rules = dict(policy.detectors)
    rules["pii"] = rules["pii"].model_copy(
        update={"input": rules["pii"].input.model_copy(update={"types": {}})}
    )
    return policy.model_copy(update={"detectors": rules})


def engine() -> GuardEngine:
    return GuardEngine([pii(), secrets(), injection(), bias()], redacting_names(default_policy()))


def test_the_default_policy_leaves_names_and_redacts_contact_details() -> None:
    request: JSONObject = {"messages": [{"role": "user", "content": "I am Alice Smith, alice@example.com"}]}
    default = GuardEngine([pii(), secrets()], default_policy())
    guarded = guard_request(default, request, RedactionMap())
    assert guarded.document["messages"][0]["content"] == "I am Alice Smith, ⟦EMAIL_1⟧"
    assert not guarded.decision.flags


def test_request_texts_lists_every_text_with_its_location_and_source() -> None:
    assert [(t.location, t.source, t.text) for t in request_texts(REQUEST)] == [
        ("messages[0].content", Source.SYSTEM, "You are helpful."),
        ("messages[1].content[0].text", Source.USER, "I am Alice Smith, alice@example.com"),
        ("messages[1].content[2].text", Source.USER, "what is my name?"),
        ("messages[2].tool_calls[0].function.arguments", Source.TOOL_ARGUMENTS, '{"q": "x"}'),
        ("messages[3].content", Source.TOOL_OUTPUT, "record: bob@example.com"),
    ]
    assert request_texts({"messages": "nope"}) == []
    assert request_texts({"messages": [None, {"role": "user"}]}) == []


def test_request_texts_take_their_source_from_the_role() -> None:
    request: JSONObject = {
        "messages": [
            {"role": "developer", "content": "Rules."},
            {"role": "assistant", "content": "Earlier answer."},
            {"role": "function", "name": "f", "content": "Result."},
            {"role": "moderator", "content": "Unknown role."},
            {"role": "user", "content": [DocumentPart(type="text", text="Attached.")]},
        ]
    }
    assert [t.source for t in request_texts(request)] == [
        Source.SYSTEM,
        Source.ASSISTANT,
        Source.TOOL_OUTPUT,
        Source.PROMPT,
        Source.DOCUMENT,
    ]


def test_replace_texts_copies_and_never_mutates() -> None:
    before = copy.deepcopy(REQUEST)
    out = replace_texts(
        REQUEST,
        {("messages", 1, "content", 2, "text"): "NEW", ("messages", 3, "content"): "TOOL"},
    )
    assert before == REQUEST
    assert out["messages"][1]["content"][2]["text"] == "NEW" and out["messages"][3]["content"] == "TOOL"
    assert out["messages"][0] is REQUEST["messages"][0]  # untouched parts are shared, not copied
    assert out["messages"][1]["content"][1] is REQUEST["messages"][1]["content"][1]
    assert replace_texts(REQUEST, {}) is REQUEST


def test_guard_request_redacts_into_a_copy() -> None:
    before = copy.deepcopy(REQUEST)
    redactions = RedactionMap()
    guarded = guard_request(engine(), REQUEST, redactions)
    assert not guarded.decision.blocked and before == REQUEST
    messages = guarded.document["messages"]
    assert messages[1]["content"][0]["text"] == "I am ⟦PERSON_1⟧, ⟦EMAIL_1⟧"
    assert messages[3]["content"] == "record: ⟦EMAIL_2⟧"
    assert [(v.location, v.type) for v in guarded.decision.violations(guarded.texts)] == [
        ("messages[1].content[0].text", "email"),
        ("messages[1].content[0].text", "person"),
        ("messages[3].content", "email"),
    ]


def test_guard_request_blocked_leaves_the_request_alone() -> None:
    request = {"messages": [{"role": "user", "content": f"use {KEY} and alice@example.com"}]}
    guarded = guard_request(engine(), request, RedactionMap())
    assert guarded.decision.blocked and guarded.document is request


def completion(content: str, arguments: str | None = None) -> JSONObject:
    message: JSONObject = {"role": "assistant", "content": content}
    if arguments is not None:
        message["tool_calls"] = [
            {"id": "t", "type": "function", "function": {"name": "f", "arguments": arguments}}
        ]
    return {
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "stop",
                "logprobs": {"content": [{"token": "x"}]},
            }
        ],
    }


def test_completion_texts() -> None:
    body = completion("hi", '{"a": 1}')
    assert [(t.location, t.source) for t in completion_texts(body)] == [
        ("choices[0].message.content", Source.COMPLETION),
        ("choices[0].message.tool_calls[0].function.arguments", Source.TOOL_ARGUMENTS),
    ]


def _redacting_answers(policy: Policy) -> Policy:
    rules = dict(policy.detectors)
    rules["pii"] = rules["pii"].model_copy(update={"output": DirectionPolicy(action=Action.REDACT)})
    return policy.model_copy(update={"detectors": rules})


def test_guard_completion_redacts_new_data_and_restores_the_users() -> None:
    redactions = RedactionMap()
    guard_request(engine(), {"messages": [{"role": "user", "content": 'I am "Alice Smith"'}]}, redactions)
    body = completion(
        "Hi ⟦PERSON_1⟧, ask eve@corp.com",
        '{"name": "⟦PERSON_1⟧", "cc": "eve@corp.com"}',
    )
    kept = _redacting_answers(redacting_names(default_policy())).model_copy(
        update={"restore_in_tool_arguments": False}
    )
    guarded = guard_completion(GuardEngine([pii(), secrets()], kept), body, redactions)
    message = guarded.document["choices"][0]["message"]
    assert message["content"] == "Hi Alice Smith, ask ⟦EMAIL_1⟧"
    assert message["tool_calls"][0]["function"]["arguments"] == '{"name": "⟦PERSON_1⟧", "cc": "⟦EMAIL_1⟧"}'
    assert guarded.document["choices"][0]["logprobs"] is None  # their tokens would leak the email
    assert body["choices"][0]["message"]["content"] == "Hi ⟦PERSON_1⟧, ask eve@corp.com"

    allowed = _redacting_answers(redacting_names(default_policy()))
    blocked = guard_completion(GuardEngine([pii()], allowed), body, redactions)  # secrets missing: closed
    assert blocked.decision.block is not None and blocked.decision.block.reason == "guard_unavailable"
    restored = guard_completion(GuardEngine([pii(), secrets()], allowed), body, redactions).document
    arguments = loads(restored["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"name": "Alice Smith", "cc": "⟦EMAIL_1⟧"}


def test_default_policy_leaves_ordinary_personal_data_in_answers_and_restores_placeholders() -> None:
    redactions = RedactionMap()
    guard_request(engine(), {"messages": [{"role": "user", "content": 'I am "Alice Smith"'}]}, redactions)
    body = completion("Hi ⟦PERSON_1⟧, ask eve@corp.com", '{"name": "⟦PERSON_1⟧"}')
    guarded = guard_completion(engine(), body, redactions)
    message = guarded.document["choices"][0]["message"]
    assert message["content"] == "Hi Alice Smith, ask eve@corp.com"
    assert loads(message["tool_calls"][0]["function"]["arguments"]) == {"name": "Alice Smith"}


def test_guard_completion_blocked() -> None:
    guarded = guard_completion(
        GuardEngine([secrets()], default_policy().model_copy(update={"detectors": {}})),
        completion(KEY),
        RedactionMap(),
    )
    assert not guarded.decision.blocked  # no rules: nothing
    policy = default_policy()
    rules = dict(policy.detectors)
    rules["secrets"] = rules["secrets"].model_copy(update={"output": rules["secrets"].input})
    body = completion(f"here: {KEY}")
    guarded = guard_completion(
        GuardEngine([secrets()], policy.model_copy(update={"detectors": rules})), body, RedactionMap()
    )
    assert guarded.decision.blocked and guarded.document is body


def test_chunk_texts() -> None:
    chunk = {
        "choices": [
            {
                "index": 0,
                "delta": {"content": "a", "tool_calls": [{"index": 0, "function": {"arguments": "{"}}]},
            }
        ]
    }
    assert [(t.location, t.text) for t in chunk_texts(chunk)] == [
        ("choices[0].delta.content", "a"),
        ("choices[0].delta.tool_calls[0].function.arguments", "{"),
    ]


def _chunk(delta: JSONObject, finish: str | None = None) -> JSONObject:
    return {
        "id": "x",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def test_chunk_restorer_restores_placeholders_split_across_chunks() -> None:
    redactions = RedactionMap()
    redactions.placeholder("Alice Smith", "person")
    text = "Hello ⟦PERSON_1⟧, bye ⟦PERS"
    chunks = [_chunk({"content": ch}) for ch in text] + [_chunk({}, "stop")]
    restorer = ChunkRestorer(redactions, default_policy())
    out = [restorer.feed(c) for c in chunks] + restorer.finish()
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in out) == "Hello Alice Smith, bye ⟦PERS"
    assert out[-1]["choices"][0] == {"index": 0, "delta": {"content": "⟦PERS"}, "finish_reason": "stop"}
    assert chunks[7]["choices"][0]["delta"] == {"content": "P"}  # inputs untouched


def test_chunk_restorer_tool_arguments_follow_the_policy() -> None:
    redactions = RedactionMap()
    redactions.placeholder("Alice Smith", "person")
    arguments = '{"n": "⟦PERSON_1⟧"}'
    chunks = [_chunk({"tool_calls": [{"index": 2, "function": {"arguments": ch}}]}) for ch in arguments]
    kept = default_policy().model_copy(update={"restore_in_tool_arguments": False})
    for policy, expected in ((kept, arguments), (default_policy(), '{"n": "Alice Smith"}')):
        restorer = ChunkRestorer(redactions, policy)
        out = [restorer.feed(c) for c in chunks] + restorer.finish()
        sent = "".join(c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for c in out)
        assert sent == expected


def test_chunk_restorer_is_a_pass_through_without_placeholders() -> None:
    restorer = ChunkRestorer(RedactionMap(), default_policy())
    chunk = _chunk({"content": "⟦"})
    assert restorer.feed(chunk) is chunk and not restorer.active
