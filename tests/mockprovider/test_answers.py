from __future__ import annotations

import math

from trueport.mockprovider.answers import Prompt, ToolCall, compose, split_pieces
from trueport.mockprovider.vectors import embed, to_base64


def test_pieces_are_words_that_join_back_to_the_text() -> None:
    text = "Echo: two  spaces\nand a newline "
    pieces = split_pieces(text)
    assert pieces == ["Echo:", " two", "  spaces", "\nand", " a", " newline "]
    assert "".join(pieces) == text


def test_a_user_turn_is_echoed_and_counted_in_words() -> None:
    answer = compose(
        Prompt(texts=["be brief", "hello big world"], last_kind="user", last_text="hello big world")
    )
    assert answer.text == "Echo: hello big world"
    assert (answer.prompt_tokens, answer.completion_tokens, answer.stop) == (5, 4, "stop")


def test_max_tokens_cuts_the_answer() -> None:
    answer = compose(Prompt(texts=["a b c d"], last_kind="user", last_text="a b c d", max_tokens=2))
    assert (answer.text, answer.completion_tokens, answer.stop) == ("Echo: a", 2, "length")


def test_empty_input_still_counts_one_prompt_token() -> None:
    assert compose(Prompt(texts=[""], last_kind="user", last_text="")).prompt_tokens == 1


def test_a_user_turn_with_a_tool_calls_it_with_the_text() -> None:
    answer = compose(Prompt(texts=["look up"], last_kind="user", last_text="look up", tool="search"))
    assert answer.tool_call == ToolCall("search", {"input": "look up"})
    assert answer.stop == "tool"
    assert "".join(answer.argument_pieces) == '{"input":"look up"}'


def test_a_tool_result_is_echoed_even_when_tools_are_offered() -> None:
    answer = compose(Prompt(texts=["q", "42"], last_kind="tool", last_text="42", tool="search"))
    assert (answer.tool_call, answer.text) == (None, "Echo: 42")


def test_embeddings_are_deterministic_unit_vectors() -> None:
    vector = embed("hello", 16)
    assert vector == embed("hello", 16)
    assert vector != embed("hello!", 16)
    assert len(vector) == 16
    assert math.isclose(math.fsum(v * v for v in vector), 1.0, rel_tol=1e-6)
    assert to_base64(embed("x", 2)) != to_base64(embed("y", 2))
