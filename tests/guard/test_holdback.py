from __future__ import annotations

import re
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.guard.test_engine import KEY, Exploding, bias, pii, secrets

from trueport.guard.base import Detector, Direction
from trueport.guard.engine import GuardEngine
from trueport.guard.holdback import ChunkGuard, Release, StreamGuard
from trueport.guard.messages import ChunkRestorer
from trueport.guard.policy import Action, DetectorPolicy, DirectionPolicy, FailMode, Policy
from trueport.guard.redaction import RedactionMap
from trueport.jsonutil import JSONObject

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}")


def output_policy(**overrides: DetectorPolicy) -> Policy:
    detectors = {
        "secrets": DetectorPolicy(fail_mode=FailMode.CLOSED, output=DirectionPolicy(action=Action.BLOCK)),
        "pii": DetectorPolicy(output=DirectionPolicy(action=Action.REDACT)),
        "bias": DetectorPolicy(output=DirectionPolicy(action=Action.FLAG)),
    }
    return Policy(version=4, detectors={**detectors, **overrides})


def guard(
    *detectors: Detector, window: int = 32, every: int = 4, redactions: RedactionMap | None = None
) -> StreamGuard:
    engine = GuardEngine(detectors or [secrets(), pii(), bias()], output_policy())
    return StreamGuard(engine, redactions, window_chars=window, scan_every_chars=every, context_chars=16)


def chunked(text: str, sizes: list[int]) -> Iterator[str]:
    i = 0
    for size in sizes:
        if i >= len(text):
            return
        yield text[i : i + size]
        i += size
    if i < len(text):
        yield text[i:]


def run(g: StreamGuard, deltas: Iterator[str] | list[str], **channel: int) -> tuple[str, Release]:
    out = []
    for delta in deltas:
        release = g.feed(delta, **channel)  # type: ignore[arg-type]
        if release.cut:
            return "".join(out), release
        out.append(release.text)
    release = g.finish(**channel)  # type: ignore[arg-type]
    return "".join(out) + release.text, release


safe_words = st.lists(
    st.sampled_from(["lorem", "ipsum", "dolor", "sit", "amet", "a", "\n", "AKIA", "AK"]), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(safe_words, safe_words, st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=400))
def test_a_secret_never_reaches_the_client_however_it_is_chunked(
    before: list[str], after: list[str], sizes: list[int]
) -> None:
    prefix = " ".join(before) + " "
    text = prefix + KEY + " " + " ".join(after)
    released, release = run(guard(), chunked(text, sizes))
    assert release.cut is not None
    assert (release.cut.reason, release.cut.detector, release.cut.type) == (
        "violation",
        "secrets",
        "aws_access_key",
    )
    assert text.startswith(released)  # what went out is a clean prefix...
    assert len(released) <= len(prefix)  # ...that stops before the secret's first character


def test_a_secret_fed_one_character_at_a_time_is_cut_before_its_first_character() -> None:
    text = "x" * 100 + KEY + "y" * 100
    g = guard(window=len(KEY), every=1)
    released, release = run(g, list(text))
    assert release.cut is not None and released == "x" * len(released) and len(released) <= 100
    assert release.cut.location == "choices[0].delta.content"
    assert g.feed("more").cut is release.cut  # once cut, nothing more on any channel
    assert g.feed("more", choice=1).cut is release.cut


def test_a_span_longer_than_the_window_is_outside_the_guarantee() -> None:
    released, release = run(guard(window=8, every=1), list("z" * 40 + KEY + "z" * 40))
    assert release.cut is not None and "AKIA" in released  # documented limit: window >= longest span


def test_safe_text_is_released_with_a_bounded_lag_and_linear_work() -> None:
    g = guard(window=64, every=16)
    text = "the quick brown fox jumps over the lazy dog. " * 1000
    released = "".join(g.feed(delta).text for delta in chunked(text, [5] * 20_000))
    assert len(text) - len(released) <= 64 + 16 + 5
    assert released + g.finish().text == text
    assert g.stats.scans <= len(text) // 16 + 2
    assert g.stats.over_budget == {}


def test_held_text_never_exceeds_window_plus_scan_interval() -> None:
    g = guard(window=50, every=10)
    text = "abcdefghij" * 300
    sent = 0
    for i, delta in enumerate(chunked(text, [3] * 1000)):
        sent += len(g.feed(delta).text)
        assert 3 * (i + 1) - sent <= 50 + 10 + 3 or 3 * (i + 1) > len(text)


def test_a_short_answer_is_released_whole_at_the_end() -> None:
    g = guard()
    assert g.feed("Hi there").text == ""
    assert g.finish().text == "Hi there"
    assert g.finish().text == ""  # nothing twice


def test_redactions_are_applied_before_release_even_when_split_across_deltas() -> None:
    text = "Write to bob@example.com, or to carol@example.org; bob@example.com again. " * 3 + "Bye."
    expected = EMAIL.sub(lambda m: "⟦EMAIL_1⟧" if m.group().startswith("bob") else "⟦EMAIL_2⟧", text)
    for sizes in ([1] * 400, [2, 3, 5, 7] * 40, [500]):
        redactions = RedactionMap()
        released, release = run(guard(redactions=redactions), chunked(text, sizes))
        assert release.cut is None
        assert released == expected
        assert not redactions.restorable  # output placeholders never come back


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=200))
def test_an_email_is_never_released_even_in_part(sizes: list[int]) -> None:
    text = "pad " * 20 + "someone.long.name@example.com" + " tail" * 20
    g = guard()
    fed = sent = 0
    for delta in chunked(text, sizes):
        fed += len(delta)
        sent += len(g.feed(delta).text.replace("⟦EMAIL_1⟧", "someone.long.name@example.com"))
        assert fed - sent <= 2 * 32 + 4 + len(delta)  # held: window + every, + window while a span is open
    released = "".join(run(g, [])[0])
    assert "someone" not in released and "@" not in released
    released, _ = run(guard(), chunked(text, sizes))
    assert "someone" not in released and "@" not in released and "⟦EMAIL_1⟧" in released


def test_flags_are_recorded_once_with_stream_offsets() -> None:
    g = guard(every=1)
    text = "x " * 30 + "all drivers are awful" + " y" * 30
    released, release = run(g, list(text))
    assert released == text and release.cut is None
    [record] = g.records
    assert (record.detector, record.type, record.action, record.policy_version) == (
        "bias",
        "stereotype",
        Action.FLAG,
        4,
    )
    assert (record.start, record.end) == (60, 75)
    assert record.location == "choices[0].delta.content"


def test_a_detector_failing_closed_cuts_the_stream() -> None:
    g = guard(Exploding(), pii())
    assert g.feed("harmless").text == ""
    release = g.finish()
    assert release.cut is not None and release.cut.reason == "guard_unavailable" and release.cut.type is None
    assert g.failures[0].error == "RuntimeError"


def test_tool_call_arguments_are_guarded_per_call() -> None:
    g = guard()
    args = '{"query": "deploy with ' + KEY + '"}'
    released, release = run(g, list(args), choice=0, tool_call=1)
    assert release.cut is not None and "AKIA" not in released
    assert release.cut.location == "choices[0].delta.tool_calls[1].function.arguments"


def test_choices_are_separate_channels() -> None:
    g = guard(window=4, every=1)
    for ch in "abcdefgh":
        g.feed(ch, choice=0)
        g.feed(ch.upper(), choice=1)
    assert sorted(g.pending()) == [(0, None), (1, None)]
    assert g.finish(choice=1).text == "EFGH"
    assert g.pending() == [(0, None)]


def chunk(delta: JSONObject, finish: str | None = None, index: int = 0) -> JSONObject:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish, "logprobs": {"content": []}}],
    }


def pump(
    guarded: ChunkGuard, chunks: list[JSONObject], restorer: ChunkRestorer | None = None
) -> list[JSONObject]:
    out: list[JSONObject] = []
    for c in chunks:
        release = guarded.feed(c)
        assert release.cut is None
        out.extend(release.chunks)
    out.extend(guarded.finish().chunks)
    if restorer is not None:
        out = [restorer.feed(c) for c in out] + restorer.finish()
    return out


def contents(chunks: list[JSONObject]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))


def test_chunk_guard_releases_content_and_flushes_on_finish_reason() -> None:
    text = "Reach me at carol@example.org any time; " * 4
    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": text[i : i + 3]}) for i in range(0, len(text), 3)]
    chunks += [
        chunk({}, "stop"),
        {"id": "c1", "object": "chat.completion.chunk", "choices": [], "usage": {"total_tokens": 9}},
    ]
    out = pump(ChunkGuard(guard()), chunks)
    assert out[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}  # passes at once
    assert contents(out) == text.replace("carol@example.org", "⟦EMAIL_1⟧")
    assert out[-2]["choices"][0]["finish_reason"] == "stop" and out[-1]["usage"] == {"total_tokens": 9}
    assert all(c["choices"][0].get("logprobs") is None for c in out if c["choices"])
    assert all(c["choices"][0]["delta"] or c["choices"][0]["finish_reason"] for c in out if c["choices"])


def test_chunk_guard_passes_tool_call_ids_and_names_and_holds_arguments() -> None:
    args = '{"to": "carol@example.org", "body": "' + "hello " * 10 + '"}'
    chunks = [
        chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "send", "arguments": ""},
                    }
                ],
            }
        )
    ]
    chunks += [
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[i : i + 4]}}]})
        for i in range(0, len(args), 4)
    ]
    chunks += [chunk({}, "tool_calls")]
    guarded = ChunkGuard(guard())
    first = guarded.feed(chunks[0]).chunks
    assert first[0]["choices"][0]["delta"]["tool_calls"][0]["function"] == {"name": "send", "arguments": ""}
    out = first + pump(guarded, chunks[1:])
    sent = "".join(
        call["function"].get("arguments", "")
        for c in out
        for call in c["choices"][0]["delta"].get("tool_calls", [])
    )
    assert sent == args.replace("carol@example.org", "⟦EMAIL_1⟧")
    assert out[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_chunk_guard_cuts_and_then_sends_nothing() -> None:
    guarded = ChunkGuard(guard(every=1))
    released = []
    cut = None
    for ch in "x" * 40 + KEY + "y" * 40:
        release = guarded.feed(chunk({"content": ch}))
        released.extend(release.chunks)
        if release.cut:
            cut = release.cut
            break
    assert cut is not None and "AKIA" not in contents(released)
    assert guarded.feed(chunk({"content": "z"})).chunks == []
    assert guarded.finish().cut is cut


def test_chunk_guard_then_restorer_gives_back_the_users_data_only() -> None:
    redactions = RedactionMap()
    mine = redactions.redact("I am dan@home.net", [m for m in pii().scan("I am dan@home.net", None)])  # type: ignore[arg-type]
    assert mine == "I am ⟦EMAIL_1⟧"
    answer = "Hello ⟦EMAIL_1⟧! Ask eve@corp.com. " * 3
    chunks = [chunk({"content": answer[i : i + 2]}) for i in range(0, len(answer), 2)] + [chunk({}, "stop")]
    out = pump(ChunkGuard(guard(redactions=redactions)), chunks, ChunkRestorer(redactions, output_policy()))
    assert contents(out) == "Hello dan@home.net! Ask ⟦EMAIL_2⟧. " * 3


def test_chunk_guard_flushes_choices_that_never_finished() -> None:
    guarded = ChunkGuard(guard())
    out = pump(guarded, [chunk({"content": "hello"}), chunk({"content": "bye"}, index=1)])
    assert [(c["choices"][0]["index"], c["choices"][0]["delta"]) for c in out] == [
        (0, {"content": "hello"}),
        (1, {"content": "bye"}),
    ]
    assert out[0]["id"] == "c1" and out[0]["object"] == "chat.completion.chunk"


def test_without_inline_output_detectors_the_guard_passes_text_through() -> None:
    engine = GuardEngine([pii()], Policy(version=1, detectors={"pii": DetectorPolicy()}))
    g = StreamGuard(engine)
    assert not engine.has_inline(Direction.OUTPUT)
    assert g.feed("bob@example.com").text == "bob@example.com"
    assert g.finish().text == "" and g.stats.scans == 0
